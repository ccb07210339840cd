"""The reminder plan: which messages are due, worked out afresh from the case at every sweep.

Pure, like the readiness engine: no ORM, no clock. Given a case's data, the rule config, the
notification settings and `now`, it returns the due messages (kind, planned time, recipient,
language and what the message says). Nothing is stored ahead of time, so a rescheduled case
simply yields other times and a cancelled one none. Clock times are clinic-local; a planned
time is that local time on that local date, so a reminder stays at 10:00 across a DST change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from checklists import rules
from checklists.casedata import ANTICOAGULANT_CLASSES, CaseData
from checklists.catalog import RuleConfig
from checklists.contact import message_routes
from checklists.phones import may_take_texts

LANGUAGES = ("en", "es")
DAY_BEFORE = "day_before"
DIGEST_COORDINATOR = "digest_coordinator"
DIGEST_CLINICIAN = "digest_clinician"
_REMINDER = "reminder_"
_LAST_DOSE = "last_dose:"
INTAKE_SUBMITTED = "intake_submitted"  # to each coordinator: the outbox keeps one per recipient
INVITATION = "intake_invitation"  # sent by staff from the case page, not planned by the sweep
LINK_LOCKED = "link_locked"  # to each coordinator, when wrong dates of birth lock a link
DRIVER_DECLINED_NOTICE = "driver_declined"  # to each coordinator, when a driver answers "I can't"
DRIVER_LINK = "driver_link"  # to the driver, by SMS, when they are recorded: their own link
DRIVER_PICKUP = "driver_pickup"  # to a driver who said yes (or was confirmed), the evening before
READY_FOR_PICKUP = "ready_for_pickup"  # to the driver, sent by staff from the case page on the day
EMAIL, SMS = "email", "sms"
OWNERS = (rules.PATIENT, rules.COORDINATOR, rules.CLINICIAN)


def message_language(language: str) -> str:
    """The language a patient's (or their driver's) message is written in: theirs if we have it."""
    return language if language in LANGUAGES else "en"


def reminder_kind(days: int) -> str:
    """'reminder_7d': the missing-items reminder `days` before the procedure day."""
    return f"{_REMINDER}{days}d"


def last_dose_kind(drug: str) -> str:
    """'last_dose:apixaban': one per held drug, so the outbox keeps one per drug per day."""
    return f"{_LAST_DOSE}{drug}"[:50]


_KIND_LABELS = {
    INVITATION: "Intake link (invitation)",
    LINK_LOCKED: "Intake link locked (to the coordinator)",
    DRIVER_DECLINED_NOTICE: "Driver can't drive (to the coordinator)",
    DRIVER_LINK: "Driver's own link (to the driver)",
    DRIVER_PICKUP: "Pickup time, the evening before (to the driver)",
    READY_FOR_PICKUP: "Ready to be collected (to the driver)",
    INTAKE_SUBMITTED: "Intake submitted (to the coordinator)",
    DAY_BEFORE: "Day-before instructions",
    DIGEST_COORDINATOR: "Coordinator digest",
    DIGEST_CLINICIAN: "Clinician digest",
}


def kind_label(kind: str) -> str:
    """What a message is, in staff words: 'Reminder: what is missing, 7 days before'."""
    if kind.startswith(_REMINDER):
        days = kind.removeprefix(_REMINDER).removesuffix("d")
        return f"Reminder: what is missing, {days} day{'s' if days != '1' else ''} before"
    if kind.startswith(_LAST_DOSE):
        return f"Last dose day: {kind.removeprefix(_LAST_DOSE)}"
    return _KIND_LABELS.get(kind, kind)


def is_planned_kind(kind: str) -> bool:
    """Kinds this plan produces: a pending row of one that it no longer produces is stale."""
    planned = (DAY_BEFORE, DIGEST_COORDINATOR, DIGEST_CLINICIAN, INTAKE_SUBMITTED, DRIVER_LINK, DRIVER_PICKUP)
    return kind in planned or kind.startswith((_REMINDER, _LAST_DOSE))


def parse_days(text: str) -> tuple[int, ...]:
    """'7, 3,1' -> (7, 3, 1): distinct, largest first."""
    return tuple(sorted({int(part) for part in text.split(",") if part.strip()}, reverse=True))


@dataclass(frozen=True)
class ReminderSettings:
    """The clinic's reminder and digest times (NotificationSettings), as plain values."""

    patient_reminder_days: tuple[int, ...]
    patient_reminder_time: dt.time
    day_before_time: dt.time
    last_dose_time: dt.time
    coordinator_digest_time: dt.time
    clinician_digest_time: dt.time
    digest_horizon_days: int
    clinician_digest_horizon_days: int
    late_send_grace: dt.timedelta
    # No text message between these clinic times: one planned inside waits for the end.
    quiet_hours_start: dt.time = dt.time(20, 0)
    quiet_hours_end: dt.time = dt.time(8, 0)
    driver_pickup_time: dt.time = dt.time(18, 0)

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> ReminderSettings:
        """From a NotificationSettings row's field values (or the shipped defaults)."""
        days = values["patient_reminder_days"]
        optional = {
            name: values[name]
            for name in ("quiet_hours_start", "quiet_hours_end", "driver_pickup_time")
            if values.get(name) is not None
        }
        return cls(
            **optional,
            patient_reminder_days=parse_days(days) if isinstance(days, str) else tuple(days),
            patient_reminder_time=values["patient_reminder_time"],
            day_before_time=values["day_before_time"],
            last_dose_time=values["last_dose_time"],
            coordinator_digest_time=values["coordinator_digest_time"],
            clinician_digest_time=values["clinician_digest_time"],
            digest_horizon_days=values["digest_horizon_days"],
            clinician_digest_horizon_days=values["clinician_digest_horizon_days"],
            late_send_grace=dt.timedelta(hours=values["late_send_grace_hours"]),
        )

    @classmethod
    def defaults(cls) -> ReminderSettings:
        from notifications.defaults import NOTIFICATION_SETTINGS

        return cls.from_values({name: value for name, (value, _meaning) in NOTIFICATION_SETTINGS.items()})


@dataclass(frozen=True)
class StaffRecipient:
    email: str


@dataclass(frozen=True)
class Contact:
    """Where a patient's own messages go: an email address, a number agreed for texts, both or
    neither (then nobody is messaged and the dashboard says to phone them)."""

    email: str | None = None
    sms: str | None = None
    fallback_email: str | None = None  # a text that cannot be delivered goes here, once

    @classmethod
    def of(cls, *, email: str, phone: str, channel: str, sms_confirmed_phone: str) -> Contact:
        """From the patient's stored choice (`checklists.contact.message_routes`)."""
        routes = message_routes(
            email=email, phone=phone, channel=channel, sms_confirmed_phone=sms_confirmed_phone
        )
        return cls(*routes)


@dataclass(frozen=True)
class Message:
    """One message the plan wants sent: rendered from `template` with `context`."""

    kind: str
    planned_at: dt.datetime  # aware UTC
    recipient: str
    language: str
    template: str  # "reminder" -> templates/notifications/reminder.<language>.txt and .html
    context: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)
    # "sms": rendered from templates/notifications/sms/<template>.<language>.txt, to a phone number.
    channel: str = EMAIL
    fallback_email: str = field(default="", compare=False)


def local_at(day: dt.date, time: dt.time, tz: ZoneInfo) -> dt.datetime:
    """`time` on `day` in the clinic's zone, as aware UTC."""
    return dt.datetime.combine(day, time, tzinfo=tz).astimezone(dt.UTC)


def after_quiet_hours(planned_at: dt.datetime, settings: ReminderSettings, tz: ZoneInfo) -> dt.datetime:
    """`planned_at`, or the end of the quiet hours it falls in (clinic time; across midnight and DST)."""
    local = planned_at.astimezone(tz)
    start, end = settings.quiet_hours_start, settings.quiet_hours_end
    if start == end:
        return planned_at  # no quiet hours
    clock = local.time()
    if start < end:
        quiet, day = start <= clock < end, local.date()
    else:  # 20:00-08:00: the evening of one day and the morning of the next
        quiet = clock >= start or clock < end
        day = local.date() + dt.timedelta(days=1) if clock >= start else local.date()
    return local_at(day, end, tz) if quiet else planned_at


def is_due(
    planned_at: dt.datetime, now: dt.datetime, settings: ReminderSettings, start: dt.datetime | None
) -> bool:
    """Planned at or before now, not older than the grace window, and never at or after the start."""
    return planned_at <= now < planned_at + settings.late_send_grace and (start is None or now < start)


# --- Case messages -------------------------------------------------------------------------------


def case_messages(
    case: CaseData,
    config: RuleConfig,
    settings: ReminderSettings,
    now: dt.datetime,
    *,
    coordinators: Sequence[StaffRecipient] = (),
    contact: Contact | None = None,
) -> list[Message]:
    """Every message of an active (not cancelled or completed) case's current reminder plan, due or not.

    The case is judged at `now`: a missing-items reminder exists only while a patient-owned flag
    is open. The patient's messages go where `contact` says (by default: email, if they have an
    address); a patient with neither gets nothing (the dashboard says "call patient"). A text
    planned in the quiet hours waits for their end, and none is planned at or after the start.
    """
    ctx = rules.build_context(case, config, now)
    flags = rules.evaluate(case, config, now)
    tz, timeline = config.time_zone, ctx.timeline
    base = {"case": case, "timeline": timeline, "flags": flags}
    messages: list[Message] = []
    contact = contact if contact is not None else Contact(email=case.patient.email)
    language = message_language(case.patient.language)

    def to_patient(kind: str, planned: dt.datetime, template: str, context: Mapping[str, Any]) -> None:
        if contact.email:
            messages.append(Message(kind, planned, contact.email, language, template, context))
        if contact.sms:
            texted = after_quiet_hours(planned, settings, tz)
            if timeline is None or texted < timeline.start:
                messages.append(
                    Message(
                        kind,
                        texted,
                        contact.sms,
                        language,
                        template,
                        context,
                        SMS,
                        contact.fallback_email or "",
                    )
                )

    if timeline is not None:
        day = timeline.procedure_day
        missing = tuple(flag for flag in flags if flag.owner == rules.PATIENT)
        if missing:
            for days in settings.patient_reminder_days:
                planned = local_at(day - dt.timedelta(days=days), settings.patient_reminder_time, tz)
                to_patient(
                    reminder_kind(days), planned, "reminder", base | {"missing": missing, "days": days}
                )
        planned = local_at(day - dt.timedelta(days=1), settings.day_before_time, tz)
        # Premedication times only once a clinician has prescribed it (READINESS.md, fasting).
        prescribed = "contrast_premedication_prescribed" in ctx.signoffs
        premedication = rules.premedication_for(ctx) if prescribed else ()
        to_patient(
            DAY_BEFORE, planned, "day_before", base | {"driver": case.driver, "premedication": premedication}
        )
        kinds = set()
        # Only a date the patient may act on: an approved plan, or a hold that needs no approval.
        for stop in rules.medicine_stops(ctx):
            kind = last_dose_kind(stop.drugs[0].name) if stop.drugs else ""
            if stop.last_dose_on is None or not kind or kind in kinds:
                continue  # one message per drug, even if two lines name it
            kinds.add(kind)
            planned, last_day = _last_dose_plan(stop, ctx, settings)
            to_patient(kind, planned, "last_dose", base | {"hold": stop, "last_dose_day": last_day})
        messages.extend(_driver_pickup(case, timeline, settings, tz, language, base))

    if case.intake is not None:
        # Planned at the submission itself: each submission is announced once.
        for coordinator in coordinators:
            messages.append(
                Message(
                    INTAKE_SUBMITTED,
                    case.intake.submitted_at,
                    coordinator.email,
                    "en",
                    "intake_submitted",
                    base,
                )
            )
    return messages


def _driver_pickup(
    case: CaseData,
    timeline: rules.Timeline,
    settings: ReminderSettings,
    tz: ZoneInfo,
    language: str,
    base: Mapping[str, Any],
) -> list[Message]:
    """The evening before, a text to a confirmed driver: whom to collect, when and where."""
    driver = case.driver
    if driver is None or driver.confirmed_at is None or not may_take_texts(driver.phone):
        return []
    planned = local_at(timeline.procedure_day - dt.timedelta(days=1), settings.driver_pickup_time, tz)
    planned = after_quiet_hours(planned, settings, tz)
    if planned >= timeline.start:
        return []
    return [
        Message(
            DRIVER_PICKUP, planned, driver.phone, language, "driver_pickup", base | {"driver": driver}, SMS
        )
    ]


def due_case_messages(
    case: CaseData,
    config: RuleConfig,
    settings: ReminderSettings,
    now: dt.datetime,
    *,
    coordinators: Sequence[StaffRecipient] = (),
    contact: Contact | None = None,
) -> list[Message]:
    """The case's messages that are due at `now` (see `is_due`)."""
    timeline = rules.timeline_for(case, config)
    start = timeline.start if timeline is not None else None
    return [
        message
        for message in case_messages(case, config, settings, now, coordinators=coordinators, contact=contact)
        if is_due(message.planned_at, now, settings, start)
    ]


def _last_dose_plan(
    stop: rules.MedicineStop, ctx: rules.Context, settings: ReminderSettings
) -> tuple[dt.datetime, dt.date]:
    """(when to send, the last-dose day the message names).

    The patient's own planned last day wins when it is earlier, or, for a blood thinner, when a
    clinician approved it as an exception for that line; otherwise the plan's (or permitted) day.
    An hours-based hold whose last dose falls before the message time is announced the day before.
    """
    day = stop.last_dose_on
    planned_day = stop.medication.last_dose_planned
    if stop.last_dose_at is None and planned_day is not None:
        excepted = ("anticoagulant_exception_approved", stop.medication.name) in ctx.line_signoffs and any(
            d.drug_class in ANTICOAGULANT_CLASSES for d in stop.drugs
        )
        if planned_day < day or excepted:
            day = planned_day
    planned = local_at(day, settings.last_dose_time, ctx.tz)
    if stop.last_dose_at is not None and planned >= stop.last_dose_at:
        planned = local_at(day - dt.timedelta(days=1), settings.last_dose_time, ctx.tz)
    return planned, day


# --- Digests -------------------------------------------------------------------------------------


def digest_planned_at(
    kind: str, now: dt.datetime, settings: ReminderSettings, tz: ZoneInfo
) -> dt.datetime | None:
    """Today's (or, when the grace window crosses midnight, yesterday's) digest time if it is due."""
    time = settings.coordinator_digest_time if kind == DIGEST_COORDINATOR else settings.clinician_digest_time
    today = now.astimezone(tz).date()
    for day in (today, today - dt.timedelta(days=1)):
        planned = local_at(day, time, tz)
        if is_due(planned, now, settings, None):
            return planned
    return None


def digest_until(now: dt.datetime, days: int, tz: ZoneInfo) -> dt.datetime:
    """00:00 after the `days`-th day from today (clinic time): 3 days on Monday reaches Thursday night."""
    return local_at(now.astimezone(tz).date() + dt.timedelta(days=days + 1), dt.time(0), tz)


@dataclass(frozen=True)
class DigestEntry:
    """One case in a digest, with the open flags that concern this part of it."""

    case: CaseData
    start: dt.datetime
    flags: tuple[rules.Flag, ...]
    unreachable: bool  # no reminder reaches the patient (no email or texts they want): phone them

    @property
    def overdue(self) -> int:
        return sum(flag.overdue for flag in self.flags)


@dataclass(frozen=True)
class DigestGroup:
    owner: str
    entries: tuple[DigestEntry, ...]

    @property
    def flag_count(self) -> int:
        return sum(len(entry.flags) for entry in self.entries)

    @property
    def overdue(self) -> int:
        return sum(entry.overdue for entry in self.entries)


def _entries(
    rows: Iterable[tuple[CaseData, tuple[rules.Flag, ...]]],
    owner: str,
    config: RuleConfig,
    reached: Collection[str] | None,
) -> tuple[DigestEntry, ...]:
    entries = []
    for case, flags in rows:
        mine = tuple(flag for flag in flags if flag.owner == owner)
        timeline = rules.timeline_for(case, config)
        if mine and timeline is not None:
            unreachable = case.reference not in reached if reached is not None else not case.patient.email
            entries.append(DigestEntry(case, timeline.start, mine, unreachable=unreachable))
    return tuple(sorted(entries, key=lambda entry: (entry.start, entry.case.reference)))


def coordinator_digest(
    rows: Iterable[tuple[CaseData, tuple[rules.Flag, ...]]],
    config: RuleConfig,
    reached: Collection[str] | None = None,
) -> tuple[DigestGroup, ...]:
    """Not-ready cases grouped by who must act (patient, coordinator, clinician); no empty groups.
    `reached`: the references of cases whose patient some reminder reaches (None: those with an
    email address)."""
    not_ready = [(case, flags) for case, flags in rows if not rules.is_ready(flags)]
    groups = (DigestGroup(owner, _entries(not_ready, owner, config, reached)) for owner in OWNERS)
    return tuple(group for group in groups if group.entries)


def clinician_digest(
    rows: Iterable[tuple[CaseData, tuple[rules.Flag, ...]]],
    config: RuleConfig,
    reached: Collection[str] | None = None,
) -> tuple[DigestGroup, ...]:
    """Every open clinician-owned flag (blockers and warnings) of the upcoming cases."""
    group = DigestGroup(rules.CLINICIAN, _entries(rows, rules.CLINICIAN, config, reached))
    return (group,) if group.entries else ()
