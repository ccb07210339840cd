"""SMS as a channel of the outbox: planned with its segment count, sent once (locmem, and Twilio's
own library against tests/sms_stub.py), retried like email, given up at once on a permanent error,
moved on by Twilio's signed status callbacks, and falling back to one email when it fails for good."""

from __future__ import annotations

import datetime as dt
import threading
from urllib.parse import urlencode

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse

from checklists.models import Case
from notifications.models import Notification
from notifications.services import notification_plan, notification_send
from notifications.sms.webhooks import SIGNATURE_HEADER, sign
from tests.factories import CaseFactory
from tests.sms_stub import FROM_NUMBER, sms_stub_fixture  # noqa: F401 - the `sms_stub` fixture

pytestmark = pytest.mark.django_db
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
PLANNED = dt.datetime(2026, 12, 1, 14, 0, tzinfo=dt.UTC)
PHONE = "+15550100001"
EMAIL = "ann@example.org"
SITE = "https://prep.example-clinic.org"
CALLBACK = f"{SITE}/sms/status/"
SPANISH = "Recuerde: no tome aspirina el día de la cita; llegue a la clínica a las 7:00."


@pytest.fixture(autouse=True)
def clinic_site(settings) -> None:
    """Links (the status callback among them) point at the clinic's public address; a fallback
    email is sent inline (the immediate task backend), so mail.outbox shows it."""
    settings.SITE_URL = SITE
    settings.TASKS = IMMEDIATE
    settings.TWILIO_AUTH_TOKEN = settings.TWILIO_AUTH_TOKEN or "webhook-token"


@pytest.fixture
def case(db) -> Case:
    return CaseFactory(reference="SMS-1")


def plan_sms(case: Case | None, **overrides) -> Notification | None:
    values = {
        "case": case,
        "kind": "reminder_7d",
        "channel": Notification.Channel.SMS,
        "recipient": PHONE,
        "subject": "Reminder: what is missing, 7 days before",
        "body_text": "PrepDesk: 2 questions are still open before your procedure. Please call us.",
        "planned_at": PLANNED,
        "fallback_email": EMAIL,
    }
    return notification_plan(**(values | overrides))


def sent_sms(case: Case, **overrides) -> Notification:
    """An SMS the provider accepted: "sent", with the provider's id."""
    row = notification_send(notification_id=plan_sms(case, **overrides).pk)
    assert row.status == Notification.Status.SENT
    return row


def report(provider_id: str, status: str, *, error_code: str = "", signature: str | None = None):
    """Twilio's status callback, as it posts it (form-encoded, signed over the URL and the fields)."""
    fields = {"MessageSid": provider_id, "MessageStatus": status, "To": PHONE, "From": FROM_NUMBER}
    if error_code:
        fields["ErrorCode"] = error_code
    url = reverse("notifications:sms_status")
    signature = sign(f"http://testserver{url}", fields) if signature is None else signature
    return Client().post(
        url,
        urlencode(fields),
        content_type="application/x-www-form-urlencoded",
        headers={SIGNATURE_HEADER: signature},
    )


def fallbacks() -> list[Notification]:
    return list(Notification.objects.filter(fallback_for__isnull=False))


# --- Planning --------------------------------------------------------------------------------------


def test_planning_an_sms_stores_its_segment_count_gsm_7_in_one_part_and_spanish_accents_in_two(case):
    english = plan_sms(case, body_text="Recuerde: no tome aspirina el dia de la cita.")
    spanish = plan_sms(case, kind="reminder_3d", body_text=SPANISH, language="es")
    long_gsm = plan_sms(case, kind="reminder_1d", body_text="a" * 161)
    email = notification_plan(
        case=case, kind="reminder_7d", recipient=EMAIL, subject="Reminder", body_text="Hi", planned_at=PLANNED
    )

    assert (english.segments, spanish.segments, long_gsm.segments, email.segments) == (1, 2, 2, 0)
    assert (spanish.channel, spanish.language, spanish.fallback_email) == ("sms", "es", EMAIL)
    assert (email.channel, email.fallback_email) == ("email", "")


def test_an_email_and_an_sms_of_the_same_message_both_exist_and_a_second_sms_is_refused(case):
    email = notification_plan(
        case=case, kind="reminder_7d", recipient=EMAIL, subject="Reminder", body_text="Hi", planned_at=PLANNED
    )
    text = plan_sms(case)
    again = plan_sms(case, body_text="Another wording, same message")

    assert email is not None and text is not None and again is None
    assert Notification.objects.filter(case=case).count() == 2


def test_the_same_digest_by_email_and_by_sms_to_one_recipient_are_two_rows_once_each():
    digest = {"case": None, "kind": "digest_coordinator", "recipient": "cora", "subject": "Digest"}
    values = digest | {"body_text": "Two cases need you.", "planned_at": PLANNED}

    assert notification_plan(**values) is not None
    assert notification_plan(**values, channel=Notification.Channel.SMS) is not None
    assert notification_plan(**values, channel=Notification.Channel.SMS) is None
    assert Notification.objects.count() == 2


# --- Sending ---------------------------------------------------------------------------------------


def test_sending_an_sms_through_locmem_marks_it_sent_with_the_providers_id(case, sms_outbox):
    row = plan_sms(case)

    sent = notification_send(notification_id=row.pk)
    notification_send(notification_id=row.pk)  # a second task for the same row sends nothing

    [message] = sms_outbox
    assert (message.to, message.body, message.status_callback) == (PHONE, row.body_text, CALLBACK)
    assert sent.status == Notification.Status.SENT and sent.sent_at is not None
    assert sent.provider_id.startswith("locmem-") and sent.segments == 1 and sent.attempts == 1
    assert mail.outbox == []


def test_sending_through_twilio_stores_the_stubs_message_id_and_its_segment_count(case, sms_stub):
    sms_stub.num_segments = 3  # what Twilio counted wins over our own count
    row = plan_sms(case, body_text=SPANISH)

    sent = notification_send(notification_id=row.pk)

    [request] = sms_stub.requests
    assert request.fields["To"] == [PHONE] and request.fields["Body"] == [SPANISH]
    assert request.fields["StatusCallback"] == [CALLBACK]
    assert sent.status == Notification.Status.SENT
    assert sent.provider_id.startswith("SM") and len(sent.provider_id) == 34
    assert (row.segments, sent.segments) == (2, 3)
    sent.refresh_from_db()
    assert sent.provider_id.startswith("SM") and sent.segments == 3


def test_a_permanent_provider_error_fails_at_once_and_falls_back_to_email_exactly_once(case, sms_stub):
    sms_stub.fail_next(400, 21211, "The 'To' number +1555 is not a valid phone number.")
    row = plan_sms(case, recipient="+1555")

    failed = notification_send(notification_id=row.pk)
    notification_send(notification_id=row.pk)  # the row is done: nothing is tried again

    assert failed.status == Notification.Status.UNDELIVERED
    assert (failed.attempts, failed.next_attempt_at) == (1, None)
    assert "not a valid phone number" in failed.error
    assert len(sms_stub.requests) == 1
    [email] = mail.outbox
    assert (email.to, email.subject, email.body) == ([EMAIL], row.subject, row.body_text)
    [fallback] = fallbacks()
    assert (fallback.fallback_for_id, fallback.channel, fallback.recipient) == (row.pk, "email", EMAIL)
    assert (fallback.case_id, fallback.kind, fallback.planned_at) == (case.pk, row.kind, row.planned_at)
    assert fallback.status == Notification.Status.SENT


def test_a_transient_error_is_retried_with_the_email_back_off_and_then_sent(case, sms_stub):
    row = plan_sms(case)
    moment = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
    sms_stub.fail_next(503, 20503, "Service temporarily unavailable")

    with time_machine.travel(moment, tick=False):
        first = notification_send(notification_id=row.pk)
    with time_machine.travel(moment + dt.timedelta(minutes=5), tick=False):
        second = notification_send(notification_id=row.pk)

    assert first.status == Notification.Status.FAILED and "temporarily unavailable" in first.error
    assert first.next_attempt_at == moment + dt.timedelta(minutes=5)
    assert second.status == Notification.Status.SENT and second.provider_id.startswith("SM")
    assert (second.attempts, second.error) == (2, "")
    assert mail.outbox == [] and fallbacks() == []


def test_an_sms_failing_on_every_attempt_gives_up_after_the_last_back_off_and_falls_back(case, sms_stub):
    row = plan_sms(case)
    moment = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
    retry_times = []
    for _ in range(4):
        sms_stub.fail_next(500, 20500, "Internal server error")
        with time_machine.travel(moment, tick=False):
            attempt = notification_send(notification_id=row.pk)
        retry_times.append(attempt.next_attempt_at and attempt.next_attempt_at - moment)
        moment = attempt.next_attempt_at or moment

    assert retry_times == [dt.timedelta(minutes=5), dt.timedelta(minutes=30), dt.timedelta(hours=2), None]
    assert (attempt.status, attempt.attempts) == (Notification.Status.UNDELIVERED, 4)
    assert len(sms_stub.requests) == 4
    [email] = mail.outbox
    assert email.to == [EMAIL]


def test_an_sms_without_a_fallback_address_just_ends_undelivered(case, sms_stub):
    sms_stub.fail_next(400, 21610, "Attempt to send to unsubscribed recipient")

    failed = notification_send(notification_id=plan_sms(case, fallback_email="").pk)

    assert failed.status == Notification.Status.UNDELIVERED
    assert mail.outbox == [] and fallbacks() == []


def test_an_sms_to_a_cancelled_case_is_not_sent(case, sms_outbox):
    row = plan_sms(case)
    Case.objects.filter(pk=case.pk).update(status=Case.Status.CANCELLED)

    cancelled = notification_send(notification_id=row.pk)

    assert cancelled.status == Notification.Status.CANCELLED and "cancelled" in cancelled.error
    assert sms_outbox == [] and mail.outbox == []


# --- Twilio's status callbacks ----------------------------------------------------------------------


def test_a_signed_delivered_report_moves_a_sent_sms_to_delivered_and_never_back(case):
    row = sent_sms(case)

    response = report(row.provider_id, "delivered")
    late = report(row.provider_id, "sent")  # reports may arrive out of order
    failed = report(row.provider_id, "failed", error_code="30003")

    assert response.status_code == late.status_code == failed.status_code == 204
    assert response.content == b""
    row.refresh_from_db()
    assert row.status == Notification.Status.DELIVERED
    assert mail.outbox == [] and fallbacks() == []


def test_queued_and_sending_reports_leave_a_sent_sms_as_it_is(case):
    row = sent_sms(case)

    for status in ("queued", "accepted", "sending", "sent"):
        assert report(row.provider_id, status).status_code == 204

    row.refresh_from_db()
    assert row.status == Notification.Status.SENT


def test_a_signed_failed_report_marks_the_sms_undelivered_and_falls_back_to_email_once(case):
    row = sent_sms(case)

    first = report(row.provider_id, "failed", error_code="30003")
    second = report(row.provider_id, "undelivered", error_code="30005")

    assert first.status_code == second.status_code == 204
    row.refresh_from_db()
    assert row.status == Notification.Status.UNDELIVERED and "30003" in row.error
    [email] = mail.outbox
    assert (email.to, email.subject) == ([EMAIL], row.subject)
    [fallback] = fallbacks()
    assert fallback.fallback_for_id == row.pk and fallback.status == Notification.Status.SENT


def test_no_fallback_email_when_that_address_already_has_the_message_by_email(case):
    notification_plan(
        case=case, kind="reminder_7d", recipient=EMAIL, subject="Reminder", body_text="Hi", planned_at=PLANNED
    )
    row = sent_sms(case)

    report(row.provider_id, "undelivered", error_code="30005")

    row.refresh_from_db()
    assert row.status == Notification.Status.UNDELIVERED
    assert fallbacks() == [] and Notification.objects.filter(channel="email").count() == 1


@pytest.mark.parametrize("signature", ["", "forged+signature="])
def test_an_unsigned_or_forged_report_is_refused_and_changes_nothing(case, signature):
    row = sent_sms(case)

    response = report(row.provider_id, "failed", error_code="30003", signature=signature)

    assert response.status_code == 403
    row.refresh_from_db()
    assert row.status == Notification.Status.SENT and row.error == ""
    assert mail.outbox == [] and fallbacks() == []


def test_a_report_signed_with_another_token_is_refused(case, settings):
    row = sent_sms(case)
    token, settings.TWILIO_AUTH_TOKEN = settings.TWILIO_AUTH_TOKEN, "someone-elses-token"
    url = f"http://testserver{reverse('notifications:sms_status')}"
    fields = {"MessageSid": row.provider_id, "MessageStatus": "delivered", "To": PHONE, "From": FROM_NUMBER}
    forged = sign(url, fields)
    settings.TWILIO_AUTH_TOKEN = token

    assert report(row.provider_id, "delivered", signature=forged).status_code == 403
    row.refresh_from_db()
    assert row.status == Notification.Status.SENT


def test_a_report_about_an_unknown_message_is_accepted_and_changes_nothing(case):
    row = sent_sms(case)

    response = report("SM" + "00" * 16, "failed", error_code="30003")

    assert response.status_code == 204
    row.refresh_from_db()
    assert row.status == Notification.Status.SENT
    assert mail.outbox == [] and fallbacks() == []


def test_the_status_webhook_takes_posts_only():
    assert Client().get(reverse("notifications:sms_status")).status_code == 405


# --- What staff see ---------------------------------------------------------------------------------


def test_the_case_page_outbox_shows_each_messages_channel_parts_and_delivery(config, client, coordinator):
    case = CaseFactory(reference="SMS-PAGE")
    notification_plan(
        case=case, kind="reminder_7d", recipient=EMAIL, subject="Reminder", body_text="Hi", planned_at=PLANNED
    )
    row = sent_sms(case, body_text=SPANISH, fallback_email="")
    report(row.provider_id, "delivered")
    client.force_login(coordinator)

    page = client.get(reverse("checklists:case_detail", args=[case.uuid])).content.decode()

    assert f"<td>{PHONE}</td><td>SMS, 2 parts</td>" in page
    assert f"<td>{EMAIL}</td><td>Email</td>" in page
    assert "<td>Delivered</td>" in page


# --- At most once, under concurrency ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="two connections inserting at once race only on PostgreSQL (SQLite has one writer)",
)
def test_two_workers_planning_the_same_sms_at_once_store_one_row():
    """PostgreSQL only (DATABASE_URL): both threads insert for real; the per-channel unique
    constraint lets exactly one of them store the SMS."""
    case = CaseFactory(reference="SMS-RACE")
    barrier = threading.Barrier(2)
    results: list[Notification | None] = []
    errors: list[BaseException] = []

    def plan() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(plan_sms(case))
        except BaseException as exc:  # reported to the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=plan) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(result is None for result in results) == [False, True]
    assert Notification.objects.filter(case=case, channel=Notification.Channel.SMS).count() == 1
