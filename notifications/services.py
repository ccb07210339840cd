"""Writing to and sending from the outbox."""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.utils import timezone

from checklists import rules
from checklists.ics import appointment_calendar
from checklists.models import Case
from checklists.selectors.cases import case_queryset, case_to_data
from checklists.selectors.catalogue import load_rule_config
from notifications.models import Notification
from notifications.reminder_plan import DAY_BEFORE

logger = logging.getLogger(__name__)
RETRY_DELAYS = (dt.timedelta(minutes=5), dt.timedelta(minutes=30), dt.timedelta(hours=2))
SENDABLE = (Notification.Status.PENDING, Notification.Status.FAILED)


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
) -> Notification | None:
    """Queue a message; None if this (case, kind, planned time, recipient) was already queued."""
    notification = Notification(
        case=case,
        kind=kind,
        recipient=recipient,
        subject=subject[:200],
        body_text=body_text,
        body_html=body_html,
        planned_at=planned_at,
        language=language,
    )
    notification.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            notification.save()
    except IntegrityError:
        return None  # already planned by another sweep or worker: at most once
    return notification


def unsendable_reason(notification: Notification, now: dt.datetime) -> str:
    """Why a queued message must not go out any more ("" if it may): nothing to a cancelled or
    completed case, nothing once the appointment has started, no day-before message unscheduled."""
    case = notification.case
    if case is None:
        return ""
    if case.status == Case.Status.CANCELLED:
        return "Not sent: the case was cancelled."
    if case.status == Case.Status.COMPLETED:
        return "Not sent: the case is completed."
    appointment = getattr(case, "appointment", None)
    scheduled = appointment is not None and appointment.is_active
    if scheduled and appointment.start <= now:
        return "Not sent: the appointment has started."
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
