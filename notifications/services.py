"""Writing to and sending from the outbox."""

from __future__ import annotations

import datetime as dt
import logging

from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.utils import timezone

from checklists.models import Case
from notifications.models import Notification

logger = logging.getLogger(__name__)
RETRY_DELAYS = (dt.timedelta(minutes=5), dt.timedelta(minutes=30), dt.timedelta(hours=2))


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
    """Queue a message; None if this (case, kind, planned time) was already queued."""
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


def notification_send(*, notification_id: int) -> Notification:
    """Send one queued message; a failure is recorded and retried later with back-off."""
    with transaction.atomic():
        notification = Notification.objects.select_for_update().get(pk=notification_id)
        if notification.status not in (Notification.Status.PENDING, Notification.Status.FAILED):
            return notification  # sent, being sent, or cancelled: never twice
        notification.status = Notification.Status.SENDING
        notification.attempts += 1
        notification.save(update_fields=["status", "attempts"])
    message = EmailMultiAlternatives(
        notification.subject, notification.body_text, to=[notification.recipient]
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    try:
        message.send()
    except Exception as exc:  # any transport error: keep it, retry later
        logger.warning("Sending notification %s failed: %s", notification.pk, exc)
        notification.status = Notification.Status.FAILED
        notification.error = str(exc)[:2000]
        delay = RETRY_DELAYS[min(notification.attempts, len(RETRY_DELAYS)) - 1]
        notification.next_attempt_at = timezone.now() + delay
    else:
        notification.status = Notification.Status.SENT
        notification.sent_at = timezone.now()
        notification.error = ""
    notification.save(update_fields=["status", "error", "sent_at", "next_attempt_at"])
    return notification
