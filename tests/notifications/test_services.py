"""The outbox: a message is planned at most once, sent once, and a failure is kept for retry."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from notifications import reminder_plan
from notifications.models import Notification
from notifications.selectors import reminder_settings_load
from notifications.services import notification_plan, notification_send, notifications_mark_unknown
from notifications.sweep import digest_render, notifications_sweep
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db
PLANNED = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def new_york_defaults(settings, clinical_defaults):
    return reminder_settings_load()


def plan(**overrides) -> Notification | None:
    values = {
        "case": None,
        "kind": "digest_coordinator",
        "recipient": "coord@example.org",
        "subject": "Cases not ready",
        "body_text": "Three cases need you.",
        "body_html": "<p>Three cases need you.</p>",
        "planned_at": PLANNED,
    }
    return notification_plan(**(values | overrides))


def test_the_same_message_planned_twice_is_stored_once():
    assert plan() is not None
    assert plan() is None
    assert Notification.objects.count() == 1


def test_one_message_to_two_people_is_two_rows_at_the_same_moment(config):
    case = CaseFactory()
    first = plan(case=case, kind="intake_submitted", recipient="cora@clinic.example")
    second = plan(case=case, kind="intake_submitted", recipient="dan@clinic.example")
    again = plan(case=case, kind="intake_submitted", recipient="cora@clinic.example")

    assert first is not None and second is not None and again is None
    assert first.planned_at == second.planned_at == PLANNED


def test_sending_delivers_text_and_html_and_is_never_repeated():
    notification = plan()

    notification_send(notification_id=notification.pk)
    notification_send(notification_id=notification.pk)

    assert len(mail.outbox) == 1
    assert mail.outbox[0].alternatives[0].content == "<p>Three cases need you.</p>"
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT and notification.sent_at is not None


def test_a_failed_send_is_recorded_with_its_error_and_a_retry_time(monkeypatch):
    def refuse(self, fail_silently=False):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)
    notification = notification_send(notification_id=plan().pk)

    assert notification.status == Notification.Status.FAILED
    assert "mail server down" in notification.error
    assert notification.next_attempt_at is not None and notification.attempts == 1


# --- A worker that died mid-send --------------------------------------------------------------------


def stuck_sending(case, since: dt.datetime) -> Notification:
    """A row a worker took and never finished (killed between taking it and recording the send)."""
    notification = plan(
        case=case, kind="intake_invitation", recipient="ann@example.org", subject="Your questions"
    )
    Notification.objects.filter(pk=notification.pk).update(
        status=Notification.Status.SENDING, sending_since=since, attempts=1
    )
    return notification


def test_a_message_left_sending_past_the_timeout_becomes_unknown_and_is_never_resent_by_the_sweep(config):
    case = CaseFactory(reference="STUCK-1")
    taken = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
    stuck = stuck_sending(case, taken)

    with time_machine.travel(taken + dt.timedelta(minutes=10), tick=False):
        assert notifications_sweep().unknown == 0  # a slow send, perhaps: not yet
    with time_machine.travel(taken + dt.timedelta(minutes=16), tick=False):
        report = notifications_sweep()
        notifications_sweep()

    stuck.refresh_from_db()
    assert report.unknown == 1 and stuck.status == Notification.Status.UNKNOWN
    assert "may have gone out, or not" in stuck.error
    assert mail.outbox == []  # the sweep never sends it again by itself


def test_staff_see_a_message_that_may_not_have_been_sent_and_send_it_again_with_one_click(
    config, client, coordinator
):
    case = CaseFactory(reference="STUCK-2")
    stuck = stuck_sending(case, dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC))
    notifications_mark_unknown(now=dt.datetime(2026, 11, 1, 10, 0, tzinfo=dt.UTC))
    client.force_login(coordinator)

    page = client.get(reverse("checklists:case_detail", args=[case.uuid])).content.decode()
    token = re.search(r'name="message" value="([^"]+)"', page).group(1)
    response = client.post(reverse("intake:outbox_resend", args=[case.uuid]), {"message": token}, follow=True)
    again = client.post(reverse("intake:outbox_resend", args=[case.uuid]), {"message": token}, follow=True)

    assert "May not have been sent — check" in page and str(stuck.pk) != token
    assert "Sent again to ann@example.org." in response.content.decode()
    assert "not waiting to be checked" in again.content.decode()
    assert len(mail.outbox) == 1 and Notification.objects.get().status == Notification.Status.SENT
    forged = client.post(
        reverse("intake:outbox_resend", args=[case.uuid]), {"message": str(stuck.pk)}, follow=True
    )
    assert "could not be found" in forged.content.decode()


def test_the_coordinator_digest_lists_messages_that_may_not_have_been_sent(config, new_york_defaults):
    case = CaseFactory(reference="STUCK-3")
    stuck_sending(case, dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC))
    notifications_mark_unknown(now=dt.datetime(2026, 11, 1, 10, 0, tzinfo=dt.UTC))

    digest = digest_render(
        reminder_plan.DIGEST_COORDINATOR, now=dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.UTC), config=config,
        settings=new_york_defaults,
    )  # fmt: skip

    assert digest is not None
    assert "STUCK-3  Your questions -- to ann@example.org: may not have been sent, check" in digest.text
    assert "may not have been sent — check" in digest.html
