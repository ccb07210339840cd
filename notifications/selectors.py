"""Reads behind the sweep and the digests, each in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from django.contrib.auth import get_user_model

from checklists import rules
from checklists.casedata import CaseData
from checklists.catalog import RuleConfig
from checklists.contact import message_routes
from checklists.models import Appointment, Case, Driver, Intake
from checklists.selectors.cases import case_queryset, cases_data_iter
from notifications.models import Notification, NotificationSettings
from notifications.reminder_plan import ReminderSettings, StaffRecipient

logger = logging.getLogger(__name__)
ACTIVE_STATUSES = (Case.Status.DRAFT, Case.Status.SCHEDULED)


def reminder_settings_load() -> ReminderSettings:
    """The clinic's reminder times (one query); the shipped defaults if the row is missing."""
    row = NotificationSettings.objects.filter(pk=1).first()
    if row is None:
        logger.warning("No NotificationSettings row: using the shipped defaults (run migrate).")
        return ReminderSettings.defaults()
    return ReminderSettings.from_values(
        {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields}
    )


def staff_recipients(group: str) -> list[StaffRecipient]:
    """Active users of `group` ("coordinator", "clinician") with an email address, in one query."""
    users = (
        get_user_model()
        .objects.filter(is_active=True, groups__name=group)
        .exclude(email="")
        .order_by("pk")
        .distinct()
    )
    return [StaffRecipient(email=user.email) for user in users]


def lookahead(settings: ReminderSettings, config: RuleConfig) -> dt.timedelta:
    """How far ahead an appointment can have a message due now: the longest of the reminder days,
    the longest medicine hold (its last-dose day) and the digests' horizons, plus a day's margin."""
    holds = [d for drug in config.drugs for d in (drug.hold_days, drug.renal_hold_days) if d is not None]
    days = max(
        (
            *settings.patient_reminder_days,
            *(hold + 1 for hold in holds),
            1,  # the day before
            settings.digest_horizon_days + 1,
            settings.clinician_digest_horizon_days + 1,
        )
    )
    return dt.timedelta(days=days + 1)


def sweep_cases(*, now: dt.datetime, until: dt.datetime, submitted_since: dt.datetime) -> list[Case]:
    """Active cases that may have a message due: starting in (now, until], or whose intake was
    submitted since `submitted_since`. Everything the engine reads, in five queries."""
    # Two index scans (active slots by start; intakes by submission time), never an OR across
    # two joins, which reads every case: the cost follows what is due, not the table.
    upcoming = Appointment.objects.filter(is_active=True, start__gt=now, start__lte=until).values("case_id")
    submitted = Intake.objects.filter(submitted_at__gte=submitted_since, submitted_at__lte=now).values(
        "case_id"
    )
    wanted = upcoming.order_by().union(submitted.order_by())
    return list(case_queryset().filter(status__in=ACTIVE_STATUSES, pk__in=wanted).order_by("pk"))


def upcoming_evaluated(
    *, now: dt.datetime, until: dt.datetime, config: RuleConfig
) -> list[tuple[CaseData, tuple[rules.Flag, ...]]]:
    """Active cases starting in [now, until), as engine data with their open flags (one query,
    then four per 500 cases)."""
    cases = Case.objects.filter(
        status__in=ACTIVE_STATUSES,
        appointment__is_active=True,
        appointment__start__gte=now,
        appointment__start__lt=until,
    ).order_by("appointment__start", "pk")
    return [(case, rules.evaluate(case, config, now)) for case in cases_data_iter(cases)]


def unknown_outcome_messages() -> list[Notification]:
    """Messages a worker died sending (they may not have gone out), for the coordinator digest."""
    return list(
        Notification.objects.filter(status=Notification.Status.UNKNOWN)
        .select_related("case__patient")
        .order_by("planned_at", "pk")
    )


def drivers_to_invite(*, now: dt.datetime, since: dt.datetime) -> list[Driver]:
    """Drivers recorded between `since` and now who have not answered and were not confirmed,
    of scheduled cases not yet started (one query, by the index on `recorded_at`)."""
    return list(
        Driver.objects.filter(
            recorded_at__gt=since,
            recorded_at__lte=now,
            confirmed_at__isnull=True,
            declined_at__isnull=True,
            case__status=Case.Status.SCHEDULED,
            case__appointment__is_active=True,
            case__appointment__start__gt=now,
        )
        .select_related("case__patient", "case__appointment")
        .order_by("pk")
    )


def reached_references(references: Sequence[str]) -> set[str]:
    """Of these cases, those whose patient some reminder reaches: an address they want email at,
    or a number they agreed to texts at (`checklists.contact`); one query."""
    patients = Case.objects.filter(reference__in=references).values_list(
        "reference",
        "patient__email",
        "patient__phone",
        "patient__message_channel",
        "patient__sms_confirmed_phone",
    )
    return {
        reference
        for reference, email, phone, channel, agreed in patients
        if any(message_routes(email=email, phone=phone, channel=channel, sms_confirmed_phone=agreed)[:2])
    }
