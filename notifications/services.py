"""Writing to and sending from the outbox: email and SMS rows, an SMS's delivery reports, and the
one email that stands in for an SMS that failed for good."""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from checklists import rules, site
from checklists.catalog import RuleConfig
from checklists.ics import appointment_calendar
from checklists.models import Case
from checklists.phones import may_take_texts
from checklists.selectors.cases import case_queryset, case_to_data
from checklists.selectors.catalogue import load_rule_config
from notifications import messages, sms
from notifications.inbound import sms_opted_out
from notifications.models import Notification
from notifications.reminder_plan import DAY_BEFORE, READY_FOR_PICKUP, kind_label, message_language
from notifications.sms.segments import segments as sms_segments

logger = logging.getLogger(__name__)
RETRY_DELAYS = (dt.timedelta(minutes=5), dt.timedelta(minutes=30), dt.timedelta(hours=2))
SENDABLE = (Notification.Status.PENDING, Notification.Status.FAILED)
# An SMS is tried once, then once after each back-off delay; then it has failed for good. (An email
# keeps retrying every RETRY_DELAYS[-1] until the sweep finds it no longer due.)
SMS_MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# Twilio error codes meaning this number cannot get this text however often it is tried, so the
# SMS fails at once and falls back (https://www.twilio.com/docs/api/errors/<code>).
PERMANENT_SMS_ERRORS = frozenset(
    {
        21211,  # invalid 'To' phone number
        21408,  # permission to send to this region is not enabled
        21610,  # the recipient unsubscribed (replied STOP): texting again breaks carrier rules
        21614,  # 'To' is not a mobile number
    }
)
# What Twilio's status callback says (MessageStatus) -> what the outbox records. Every other status
# (queued, accepted, scheduled, sending, sent, ...) leaves the row as it is: "sent" already.
SMS_REPORTED = {
    "delivered": Notification.Status.DELIVERED,
    "failed": Notification.Status.UNDELIVERED,
    "undelivered": Notification.Status.UNDELIVERED,
}


def notification_plan(
    *,
    case: Case | None,
    kind: str,
    recipient: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    planned_at: dt.datetime,
    language: str = "en",
    channel: str = Notification.Channel.EMAIL,
    fallback_email: str = "",
) -> Notification | None:
    """Queue a message; None if this (case, kind, planned time, channel, recipient) was already queued.

    An SMS (`recipient` a phone number in E.164) is sent as `body_text` alone, its subject kept as a
    label for staff; `fallback_email`, when given, receives it by email if the SMS fails for good.
    """
    is_sms = channel == Notification.Channel.SMS
    notification = Notification(
        case=case,
        kind=kind,
        channel=channel,
        recipient=recipient,
        subject=subject[:200],
        body_text=body_text,
        body_html="" if is_sms else body_html,
        planned_at=planned_at,
        language=language,
        segments=sms_segments(body_text) if is_sms else 0,
        fallback_email=fallback_email if is_sms else "",
    )
    notification.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            notification.save()
    except IntegrityError:
        return None  # already planned by another sweep or worker: at most once
    return notification


def unsendable_reason(notification: Notification, now: dt.datetime, *, opted_out: bool | None = None) -> str:
    """Why a queued message must not go out any more ("" if it may): no text to a number that
    replied STOP (`opted_out`, when the caller read it already), nothing to a cancelled or
    completed case, nothing once the appointment has started, no day-before message unscheduled."""
    if opted_out is None:
        opted_out = notification.channel == Notification.Channel.SMS and sms_opted_out(notification.recipient)
    if notification.channel == Notification.Channel.SMS and opted_out:
        return "Not sent: this number replied STOP (no texts until it replies START)."
    case = notification.case
    if case is None:
        return ""
    if case.status == Case.Status.CANCELLED:
        return "Not sent: the case was cancelled."
    if case.status == Case.Status.COMPLETED:
        return "Not sent: the case is completed."
    appointment = getattr(case, "appointment", None)
    scheduled = appointment is not None and appointment.is_active
    if scheduled and appointment.start <= now and notification.kind != READY_FOR_PICKUP:
        return "Not sent: the appointment has started."  # but staff tell the driver the patient is ready
    if notification.kind == DAY_BEFORE and not scheduled:
        return "Not sent: the case is no longer scheduled."
    return ""


def notification_send(*, notification_id: int) -> Notification:
    """Send one queued message; a failure is recorded and retried later with back-off.

    The row is locked and moved to "sending" first, so a second worker (or a second task for the
    same row) finds it taken and sends nothing: at most once. A message that must not go out any
    more (see `unsendable_reason`) is cancelled instead, with the reason in `error`.
    """
    now = timezone.now()
    with transaction.atomic():
        notification = Notification.objects.select_for_update().get(pk=notification_id)
        if notification.status not in SENDABLE:
            return notification  # sent, being sent, or cancelled: never twice
        reason = unsendable_reason(notification, now)
        if reason:
            notification.status, notification.error, notification.enqueued_at = (
                Notification.Status.CANCELLED,
                reason,
                None,
            )
            notification.save(update_fields=["status", "error", "enqueued_at"])
            return notification
        notification.status = Notification.Status.SENDING
        notification.attempts += 1
        notification.enqueued_at = None
        notification.sending_since = now
        notification.save(update_fields=["status", "attempts", "enqueued_at", "sending_since"])
    if notification.channel == Notification.Channel.SMS:
        return _sms_send(notification)
    try:
        _email(notification).send()
    except Exception as exc:  # any transport error: keep it, retry later
        logger.warning("Sending notification %s failed: %s", notification.pk, exc)
        notification.status = Notification.Status.FAILED
        notification.error = f"{type(exc).__name__}: {exc}"[:2000]
        delay = RETRY_DELAYS[min(notification.attempts, len(RETRY_DELAYS)) - 1]
        notification.next_attempt_at = timezone.now() + delay
    else:
        notification.status = Notification.Status.SENT
        notification.sent_at = timezone.now()
        notification.error = ""
    notification.save(update_fields=["status", "error", "sent_at", "next_attempt_at"])
    return notification


# A send takes seconds; one still "sending" after this long lost its worker mid-send.
SENDING_TIMEOUT = dt.timedelta(minutes=15)
UNKNOWN_NOTE = (
    "The worker stopped while sending this: it may have gone out, or not. Check with the "
    "recipient, then send it again if it did not arrive."
)


def notifications_mark_unknown(*, now: dt.datetime) -> int:
    """Rows left "sending" past SENDING_TIMEOUT become "unknown" (never re-sent automatically)."""
    return Notification.objects.filter(
        status=Notification.Status.SENDING, sending_since__lt=now - SENDING_TIMEOUT
    ).update(status=Notification.Status.UNKNOWN, error=UNKNOWN_NOTE)


def notification_resend(*, notification: Notification, now: dt.datetime) -> Notification:
    """Send a message whose outcome is unknown once more, at a person's request."""
    with transaction.atomic():
        row = Notification.objects.select_for_update().get(pk=notification.pk)
        if row.status != Notification.Status.UNKNOWN:
            raise ValidationError("This message is not waiting to be checked: it was not sent again.")
        row.status, row.next_attempt_at, row.enqueued_at = Notification.Status.PENDING, None, None
        row.save(update_fields=["status", "next_attempt_at", "enqueued_at"])
    return notification_send(notification_id=row.pk)


def notification_sms_report(*, provider_id: str, status: str, error_code: str = "") -> Notification | None:
    """Record what the provider's status callback says of the SMS it calls `provider_id`.

    Only a row still "sent" moves, and only to an end: "delivered", or "undelivered" (then its
    fallback email, if any, is queued once). Reports arriving late or out of order change nothing,
    so a delivered SMS never moves back. None when the report is not an end (queued, sending,
    sent...) or no SMS has that id (not ours, or gone).
    """
    reported = SMS_REPORTED.get(status)
    if reported is None or not provider_id:
        return None
    fallback = None
    with transaction.atomic():
        row = (
            Notification.objects.select_for_update()
            .filter(channel=Notification.Channel.SMS, provider_id=provider_id)
            .first()
        )
        if row is None or row.status != Notification.Status.SENT:
            return row
        row.status = reported
        if reported == Notification.Status.UNDELIVERED:
            row.error = f"The provider reported the text {status} (error {error_code or 'not given'})."
            row.save(update_fields=["status", "error"])
            fallback = _fallback_plan(row)
        else:
            row.save(update_fields=["status"])
    _fallback_queue(fallback)
    return row


def _sms_send(notification: Notification) -> Notification:
    """Hand a row (already "sending") to the SMS backend; record its id, or the failure.

    Accepted is "sent": the provider's status callback later says "delivered" or "undelivered".
    A refusal the provider calls permanent, or the last allowed attempt failing, is the end: the
    row is "undelivered" and its fallback email queued; any other failure is retried like email.
    """
    callback = site.absolute(reverse("notifications:sms_status"))
    try:
        sent = sms.send_sms(notification.recipient, notification.body_text, status_callback=callback)
    except Exception as exc:  # any transport error: keep it, retry later (or give up, below)
        logger.warning("Sending SMS notification %s failed: %s", notification.pk, exc)
        code = exc.code if isinstance(exc, sms.SmsError) else None
        notification.error = f"{type(exc).__name__}: {exc}"[:2000]
        if code not in PERMANENT_SMS_ERRORS and notification.attempts < SMS_MAX_ATTEMPTS:
            notification.status = Notification.Status.FAILED
            delay = RETRY_DELAYS[min(notification.attempts, len(RETRY_DELAYS)) - 1]
            notification.next_attempt_at = timezone.now() + delay
            notification.save(update_fields=["status", "error", "next_attempt_at"])
            return notification
        with transaction.atomic():
            notification.status, notification.next_attempt_at = Notification.Status.UNDELIVERED, None
            notification.save(update_fields=["status", "error", "next_attempt_at"])
            fallback = _fallback_plan(notification)
        _fallback_queue(fallback)
        return notification
    notification.status = Notification.Status.SENT
    notification.sent_at = timezone.now()
    notification.error = ""
    notification.provider_id = sent.provider_id[:64]
    notification.segments = sent.segments or notification.segments
    notification.save(
        update_fields=["status", "error", "sent_at", "next_attempt_at", "provider_id", "segments"]
    )
    return notification


def _fallback_plan(failed: Notification) -> Notification | None:
    """The one email standing in for an SMS that failed for good (its text, its subject), stored
    with a sending lease taken; None when the SMS names no address, or it already fell back (or
    that address already has this message by email: the unique constraints say so)."""
    if failed.channel != Notification.Channel.SMS or not failed.fallback_email:
        return None
    email = Notification(
        case_id=failed.case_id,
        kind=failed.kind,
        channel=Notification.Channel.EMAIL,
        recipient=failed.fallback_email,
        subject=failed.subject,
        body_text=failed.body_text,
        planned_at=failed.planned_at,
        language=failed.language,
        fallback_for=failed,
        enqueued_at=timezone.now(),  # queued below: a sweep leaves it to that task for a while
    )
    email.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            email.save()
    except IntegrityError:
        return None  # fell back already: at most once
    return email


def _fallback_queue(fallback: Notification | None) -> None:
    """Queue the fallback email's send (once its row is committed), the way the sweep queues rows."""
    if fallback is None:
        return
    from notifications import tasks  # tasks imports this module

    tasks.send_notification.enqueue(notification_id=fallback.pk)


def _email(notification: Notification) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        notification.subject, notification.body_text, to=[notification.recipient]
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    if notification.kind == DAY_BEFORE and notification.case_id is not None:
        message.attach("appointment.ics", _calendar(notification.case_id), "text/calendar")
    return message


def _calendar(case_id: int) -> bytes:
    """The appointment's .ics, made from the case as it is now (times in the clinic's zone)."""

    config = load_rule_config()
    case = case_queryset().get(pk=case_id)
    ctx = rules.build_context(case_to_data(case), config, timezone.now())
    if ctx.timeline is None:
        raise ValueError("the case has no appointment")
    with timezone.override(config.time_zone):
        return appointment_calendar(case, ctx)


def driver_ready_send(*, case: Case, now: dt.datetime, config: RuleConfig) -> Notification:
    """Staff, on the procedure day: text the confirmed driver that the patient will be ready to be
    collected in about 30 minutes. Once a minute at most (a double click sends one text)."""
    problem = driver_ready_problem(case=case, now=now, tz=config.time_zone)
    if problem:
        raise ValidationError(problem)
    driver, appointment = case.driver, case.appointment
    language = message_language(case.patient.language)
    context = {"patient": case.patient, "location": appointment.room.location}
    body = messages.render_sms("ready_for_pickup", language, context, config.time_zone)
    notification = notification_plan(
        case=case,
        kind=READY_FOR_PICKUP,
        recipient=driver.phone,
        subject=kind_label(READY_FOR_PICKUP),
        body_text=body,
        planned_at=now.replace(second=0, microsecond=0),
        language=language,
        channel=Notification.Channel.SMS,
    )
    if notification is None:
        raise ValidationError("The driver was texted a moment ago: nothing was sent again.")
    return notification_send(notification_id=notification.pk)


def driver_ready_problem(*, case: Case, now: dt.datetime, tz: dt.tzinfo) -> str:
    """Why the driver cannot be texted "ready soon" now ("" if they can)."""
    driver = getattr(case, "driver", None)
    appointment = getattr(case, "appointment", None)
    if driver is None or driver.confirmed_at is None:
        return "No confirmed driver to text."
    if not may_take_texts(driver.phone):
        return "The driver's number cannot take texts: phone them."
    if appointment is None or not appointment.is_active or case.status != Case.Status.SCHEDULED:
        return "The case is not scheduled."
    if appointment.start.astimezone(tz).date() != now.astimezone(tz).date():
        return "The driver can be texted on the procedure day only."
    return ""
