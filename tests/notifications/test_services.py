"""The outbox: a message is planned at most once, sent once, and a failure is kept for retry."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives

from notifications.models import Notification
from notifications.services import notification_plan, notification_send
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db
PLANNED = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


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
