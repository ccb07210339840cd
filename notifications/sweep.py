"""The sweep behind `manage.py send_due_notifications`: plan what is due, drop what no longer is,
and queue the sending.

Safe to run every few minutes and concurrently. Due messages are worked out afresh from each case
(`reminder_plan`), and the outbox's unique constraints let exactly one sweep store each message: a
second insert fails and is skipped. Rows are queued for sending under a short lease, and the
send itself locks the row, so a message goes out at most once however many sweeps and workers run.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from checklists.catalog import RuleConfig
from checklists.driver_links import token_for
from checklists.models import Case
from checklists.phones import may_take_texts
from checklists.rules import procedure_times
from checklists.selectors.cases import case_to_data
from checklists.selectors.catalogue import load_rule_config
from notifications import messages, reminder_plan, selectors, tasks
from notifications.models import Notification, SmsOptOut
from notifications.services import SENDABLE, notification_plan, notifications_mark_unknown, unsendable_reason

logger = logging.getLogger(__name__)
# A queued send that no worker has taken after this long is queued again (a lost task, a dead worker).
ENQUEUE_LEASE = dt.timedelta(minutes=10)
STALE = "Not sent: no longer due (the appointment moved, the item was done, or its send window passed)."

# (case id or None, kind, planned time, channel, recipient): what the outbox's unique constraints
# keep once.
Key = tuple[int | None, str, dt.datetime, str, str]


@dataclass
class SweepReport:
    planned: int = 0
    cancelled: int = 0
    enqueued: int = 0
    errors: int = 0
    unknown: int = 0  # left "sending" by a worker that died: may not have been sent

    def __str__(self) -> str:
        return (
            f"planned {self.planned}, cancelled {self.cancelled}, queued for sending {self.enqueued}, "
            f"errors {self.errors}, may not have been sent {self.unknown}"
        )


def notifications_sweep(*, now: dt.datetime | None = None) -> SweepReport:
    """One sweep: plan the due messages, cancel stale ones, queue every sendable row."""
    now = now or timezone.now()
    config = load_rule_config()
    settings = selectors.reminder_settings_load()
    coordinators = selectors.staff_recipients("coordinator")
    report = SweepReport()
    report.unknown = notifications_mark_unknown(now=now)
    due: set[Key] = set()
    unsure: set[int | str] = set()  # case ids and digest kinds whose planning failed: judge nothing of theirs
    _plan_case_messages(now, config, settings, coordinators, due, unsure, report)
    _plan_driver_links(now, config, settings, due, unsure, report)
    _plan_digests(now, config, settings, coordinators, due, unsure, report)
    report.cancelled = _cancel_stale(now, due, unsure)
    report.enqueued = _enqueue_sendable(now)
    return report


def _case_extras(case: Case) -> dict:
    appointment = getattr(case, "appointment", None)
    site_url = messages.clinic_context()["site_url"]
    return {
        "location": appointment.room.location if appointment is not None else "",
        "case_url": f"{site_url}{reverse('checklists:case_detail', args=[case.uuid])}",
    }


def _plan_case_messages(
    now: dt.datetime,
    config: RuleConfig,
    settings: reminder_plan.ReminderSettings,
    coordinators: list[reminder_plan.StaffRecipient],
    due: set[Key],
    unsure: set[int | str],
    report: SweepReport,
) -> None:
    cases = selectors.sweep_cases(
        now=now,
        until=now + selectors.lookahead(settings, config),
        submitted_since=now - settings.late_send_grace,
    )
    # What earlier sweeps already stored (due messages are never older than the grace window).
    stored = set(
        Notification.objects.filter(
            case__isnull=False, planned_at__gt=now - settings.late_send_grace, planned_at__lte=now
        ).values_list("case_id", "kind", "planned_at", "channel", "recipient")
    )
    for case in cases:
        try:
            found = reminder_plan.due_case_messages(
                case_to_data(case), config, settings, now, coordinators=coordinators, contact=_contact(case)
            )
            for message in found:
                key = (case.pk, message.kind, message.planned_at, message.channel, message.recipient)
                due.add(key)
                if key not in stored:
                    report.planned += _plan(case, message, config) is not None
        except Exception:  # one broken case must not stop everyone else's reminders
            logger.exception("Planning notifications for case %s failed", case.reference)
            unsure.add(case.pk)
            report.errors += 1


def _contact(case: Case) -> reminder_plan.Contact:
    patient = case.patient
    return reminder_plan.Contact.of(
        email=patient.email,
        phone=patient.phone,
        channel=patient.message_channel,
        sms_confirmed_phone=patient.sms_confirmed_phone,
    )


def _plan(case: Case, message: reminder_plan.Message, config: RuleConfig) -> Notification | None:
    """Render one due message and store it in the outbox (None: another sweep already did)."""
    context = {**message.context, **_case_extras(case)}
    if message.channel == reminder_plan.SMS:
        text = messages.render_sms(message.template, message.language, context, config.time_zone)
        return notification_plan(
            case=case,
            kind=message.kind,
            recipient=message.recipient,
            subject=reminder_plan.kind_label(message.kind),
            body_text=text,
            planned_at=message.planned_at,
            language=message.language,
            channel=Notification.Channel.SMS,
            fallback_email=message.fallback_email,
        )
    rendered = messages.render(message.template, message.language, context, config.time_zone)
    return notification_plan(
        case=case,
        kind=message.kind,
        recipient=message.recipient,
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
        planned_at=message.planned_at,
        language=message.language,
    )


def _plan_driver_links(
    now: dt.datetime,
    config: RuleConfig,
    settings: reminder_plan.ReminderSettings,
    due: set[Key],
    unsure: set[int | str],
    report: SweepReport,
) -> None:
    """A driver recorded lately (and not yet confirmed) gets their own link once: by text, or by
    email when their phone takes no texts and an address was given (else the coordinator phones)."""
    # Recorded up to a day before the grace window: one recorded in the quiet hours waits for them.
    since = now - settings.late_send_grace - dt.timedelta(days=1)
    for driver in selectors.drivers_to_invite(now=now, since=since):
        case = driver.case
        try:
            texts = may_take_texts(driver.phone)
            if not texts and not driver.email:
                continue  # a landline and no address: the coordinator phones, as before
            planned_at = driver.recorded_at
            if texts:
                planned_at = reminder_plan.after_quiet_hours(planned_at, settings, config.time_zone)
            if not reminder_plan.is_due(planned_at, now, settings, case.appointment.start):
                continue
            channel = Notification.Channel.SMS if texts else Notification.Channel.EMAIL
            recipient = driver.phone if texts else driver.email
            due.add((case.pk, reminder_plan.DRIVER_LINK, planned_at, channel, recipient))
            language = reminder_plan.message_language(case.patient.language)
            context = {
                "patient": case.patient,
                "driver": driver,
                "timeline": procedure_times(case.appointment.start, len(case.levels), config),
                "url": messages.clinic_context()["site_url"]
                + reverse("intake:driver_link", args=[token_for(driver)]),
            }
            message = reminder_plan.Message(
                reminder_plan.DRIVER_LINK,
                planned_at,
                recipient,
                language,
                "driver_link",
                context,
                channel,
                driver.email if texts else "",
            )
            report.planned += _plan(case, message, config) is not None
        except Exception:
            logger.exception("Planning the driver's link for case %s failed", case.reference)
            unsure.add(case.pk)
            report.errors += 1


DIGESTS = (
    (reminder_plan.DIGEST_COORDINATOR, "coordinator"),
    (reminder_plan.DIGEST_CLINICIAN, "clinician"),
)


def digest_render(
    kind: str, *, now: dt.datetime, config: RuleConfig, settings: reminder_plan.ReminderSettings
) -> messages.Rendered | None:
    """Today's digest of `kind` (the same for every recipient), or None when it has nothing to say.

    Six queries whatever the number of cases (the cases and what the engine reads, how each patient
    can be reached), and for the coordinator one more for the messages that may not have been sent.
    """
    tz = config.time_zone
    if kind == reminder_plan.DIGEST_COORDINATOR:
        days, build = settings.digest_horizon_days, reminder_plan.coordinator_digest
    else:
        days, build = settings.clinician_digest_horizon_days, reminder_plan.clinician_digest
    until = reminder_plan.digest_until(now, days, tz)
    rows = selectors.upcoming_evaluated(now=now, until=until, config=config)
    reached = selectors.reached_references([case.reference for case, _ in rows]) if rows else set()
    groups = build(rows, config, reached)
    unknown = selectors.unknown_outcome_messages() if kind == reminder_plan.DIGEST_COORDINATOR else []
    if not groups and not unknown:
        return None
    site_url = messages.clinic_context()["site_url"]
    context = {
        "groups": groups,
        "last_day": (until.astimezone(tz) - dt.timedelta(days=1)).date(),
        "case_count": len({entry.case.reference for group in groups for entry in group.entries}),
        "flag_count": sum(group.flag_count for group in groups),
        "overdue": sum(group.overdue for group in groups),
        "unknown": unknown,
        "dashboard_url": f"{site_url}{reverse('checklists:dashboard')}",
    }
    return messages.render(kind, "en", context, tz)


def _plan_digests(
    now: dt.datetime,
    config: RuleConfig,
    settings: reminder_plan.ReminderSettings,
    coordinators: list[reminder_plan.StaffRecipient],
    due: set[Key],
    unsure: set[int | str],
    report: SweepReport,
) -> None:
    for kind, group in DIGESTS:
        planned_at = reminder_plan.digest_planned_at(kind, now, settings, config.time_zone)
        if planned_at is None:
            continue
        recipients = coordinators if group == "coordinator" else selectors.staff_recipients(group)
        due.update((None, kind, planned_at, Notification.Channel.EMAIL, r.email) for r in recipients)
        stored = set(
            Notification.objects.filter(case__isnull=True, kind=kind, planned_at=planned_at).values_list(
                "recipient", flat=True
            )
        )
        waiting = [r for r in recipients if r.email not in stored]
        if not waiting:
            continue
        try:
            rendered = digest_render(kind, now=now, config=config, settings=settings)
        except Exception:
            logger.exception("Building the %s failed", kind)
            unsure.add(kind)
            report.errors += 1
            continue
        if rendered is None:
            continue  # nothing to report today: no empty digest
        for recipient in waiting:
            planned = notification_plan(
                case=None,
                kind=kind,
                recipient=recipient.email,
                subject=rendered.subject,
                body_text=rendered.text,
                body_html=rendered.html,
                planned_at=planned_at,
            )
            report.planned += planned is not None


def _cancel_stale(now: dt.datetime, due: set[Key], unsure: set[int | str]) -> int:
    """Cancel queued rows that must not go out any more, with the reason in `error`.

    Only rows stored before this sweep began are judged: a concurrent sweep may have stored a row
    from newer data than this sweep read.
    """
    rows = list(
        Notification.objects.filter(status__in=SENDABLE, created_at__lt=now).select_related(
            "case__appointment"
        )
    )
    texted = {row.recipient for row in rows if row.channel == Notification.Channel.SMS}
    opted_out = (
        set(SmsOptOut.objects.filter(phone__in=texted).values_list("phone", flat=True)) if texted else set()
    )
    reasons: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        reason = unsendable_reason(row, now, opted_out=row.recipient in opted_out)
        planned = reminder_plan.is_planned_kind(row.kind) and row.fallback_for_id is None  # not a fallback
        if not reason and planned and not ({row.case_id, row.kind} & unsure):
            key = (row.case_id, row.kind, row.planned_at, row.channel, row.recipient)
            reason = "" if key in due else STALE
        if reason:
            reasons[reason].append(row.pk)
    cancelled = 0
    for reason, ids in reasons.items():
        cancelled += Notification.objects.filter(pk__in=ids, status__in=SENDABLE).update(
            status=Notification.Status.CANCELLED, error=reason, enqueued_at=None
        )
    return cancelled


def _enqueue_sendable(now: dt.datetime) -> int:
    """Queue a send task for every row due to go (new, or failed and past its back-off), once per lease."""
    sendable = Notification.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        Q(enqueued_at__isnull=True) | Q(enqueued_at__lte=now - ENQUEUE_LEASE),
        status__in=SENDABLE,
        planned_at__lte=now,
    )
    with transaction.atomic():
        # SKIP LOCKED: a concurrent sweep's rows are its own (PostgreSQL; SQLite runs one writer at a time).
        ids = list(
            sendable.select_for_update(skip_locked=True)
            .order_by("planned_at", "pk")
            .values_list("pk", flat=True)
        )
        Notification.objects.filter(pk__in=ids).update(enqueued_at=now)
    for pk in ids:
        tasks.send_notification.enqueue(notification_id=pk)
    return len(ids)
