"""The reads behind the dashboard and the day view: cases with their flags, in fixed queries.

The dashboard and the day view read the stored readiness (models.Readiness), filtering, sorting
and paging in SQL and computing only the answers that are stale.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar
from uuid import UUID

from django.db.models import Q, QuerySet
from django.utils import timezone, translation

from checklists import rules
from checklists.catalog import RuleConfig
from checklists.contact import message_routes
from checklists.models import Case, Readiness, Room
from checklists.selectors.cases import cases_data
from checklists.selectors.readiness import StoredAnswer, fresh, is_fresh, stored_flags, without_fresh_answer
from checklists.services.readiness import readiness_make_fresh

OWNERS = (rules.PATIENT, rules.COORDINATOR, rules.CLINICIAN)
# What a list row shows (templates/checklists/dashboard/) and how its stored answer is judged: read
# as plain values for the page's cases only, never as model instances (four a row, most of the cost).
ROW_COLUMNS = (
    *("pk", "uuid", "reference", "levels", "created_at"),
    *(
        f"patient__{name}"
        for name in ("first_name", "last_name", "email", "phone", "message_channel", "sms_confirmed_phone")
    ),
    *(f"appointment__{name}" for name in ("pk", "start", "end", "room_id", "room__name")),
    "readiness__pk",
    *(f"readiness__{name}" for name in StoredAnswer._fields),
)


@dataclass(frozen=True)
class RowPatient:
    first_name: str
    last_name: str
    email: str
    phone: str
    message_channel: str
    sms_confirmed_phone: str

    @property
    def reachable(self) -> bool:
        """A reminder can reach them: an address they want email at, or a number agreed to texts."""
        routes = message_routes(
            email=self.email,
            phone=self.phone,
            channel=self.message_channel,
            sms_confirmed_phone=self.sms_confirmed_phone,
        )
        return bool(routes.email or routes.sms)


@dataclass(frozen=True)
class RowRoom:
    name: str


@dataclass(frozen=True)
class RowSlot:
    start: dt.datetime
    end: dt.datetime
    room_id: int
    room: RowRoom


@dataclass(frozen=True)
class RowCase:
    """What a list row shows of a case, under the model's own names (`row.case.patient.last_name`)."""

    pk: int
    uuid: UUID
    reference: str
    levels: list[str]
    created_at: dt.datetime
    patient: RowPatient
    appointment: RowSlot | None


@dataclass(frozen=True)
class DashboardFilters:
    """What the coordinator asked for; dates are clinic-local and both inclusive."""

    from_date: dt.date
    to_date: dt.date
    not_ready: bool = False
    owner: str = ""  # one of OWNERS, or "" for anyone
    room: Room | None = None
    search: str = ""


@dataclass(frozen=True)
class CaseRow:
    """A case with its open flags (sorted by the engine) and what the lists show about them
    (each worked out once: a template reads them several times per row)."""

    case: RowCase
    flags: tuple[rules.Flag, ...]
    tz: dt.tzinfo
    is_gap: ClassVar[bool] = False  # told apart from `Gap` in the day view's template

    @cached_property
    def ready(self) -> bool:
        return rules.is_ready(self.flags)

    @cached_property
    def blockers(self) -> int:
        return sum(flag.severity == rules.BLOCKER for flag in self.flags)

    @cached_property
    def warnings(self) -> int:
        return len(self.flags) - self.blockers

    @cached_property
    def overdue(self) -> int:
        return sum(flag.overdue for flag in self.flags)

    @cached_property
    def top_flag(self) -> rules.Flag | None:
        """The most urgent open flag: the first in the engine's sort order."""
        return self.flags[0] if self.flags else None

    @cached_property
    def start(self) -> dt.datetime | None:
        appointment = getattr(self.case, "appointment", None)
        return appointment.start if appointment is not None else None

    @cached_property
    def day(self) -> dt.date | None:
        """The appointment's date in the clinic time zone (for grouping by day)."""
        return self.start.astimezone(self.tz).date() if self.start else None

    def has_owner(self, owner: str) -> bool:
        return any(flag.owner == owner for flag in self.flags)

    @cached_property
    def call_patient(self) -> bool:
        """The patient has items open and no reminder reaches them (no email they want, no number
        agreed to texts, or they asked for none): phone them."""
        return not self.case.patient.reachable and self.has_owner(rules.PATIENT)

    @cached_property
    def fragment_key(self) -> str:
        """Everything a list row's HTML is made of: what it shows of the case and of its flags (the
        counts and the most urgent one, `overdue` judged now), and the language and time zone it is
        written in. The lists keep rendered rows under this key (`{% cache %}`), so a kept row is
        never stale: a row with anything else to show has another key. A row template that shows
        more must add it here."""
        case, patient = self.case, self.case.patient
        slot = (
            (case.appointment.start, case.appointment.end, case.appointment.room.name)
            if case.appointment
            else None
        )
        shown = (case.uuid, case.reference, case.levels, case.created_at, slot, patient)
        judged = (self.ready, self.blockers, self.warnings, self.overdue, self.call_patient, self.top_flag)
        return repr((shown, judged, translation.get_language(), timezone.get_current_timezone_name()))


@dataclass(frozen=True)
class Gap:
    """A free stretch of a room's opening hours."""

    start: dt.datetime
    end: dt.datetime
    is_gap: ClassVar[bool] = True

    @property
    def length(self) -> str:
        """How long, in words: "2 h 30 min", "45 min"."""
        hours, minutes = divmod(int((self.end - self.start).total_seconds() // 60), 60)
        if not hours:
            return f"{minutes} min"
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"


@dataclass(frozen=True)
class RoomDay:
    """One room's day: its cases in time order with the free gaps between them."""

    room: Room
    opens: dt.datetime
    closes: dt.datetime
    entries: tuple[CaseRow | Gap, ...]

    @property
    def case_count(self) -> int:
        return sum(isinstance(entry, CaseRow) for entry in self.entries)


def day_bounds(first: dt.date, last: dt.date, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """[00:00 on `first`, 00:00 after `last`) in the clinic time zone, as aware datetimes."""
    return (
        dt.datetime.combine(first, dt.time.min, tzinfo=tz),
        dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    )


def _search_q(search: str) -> Q:
    """Every word must match the patient's first or last name or the case reference."""
    query = Q()
    for word in search.replace(",", " ").split():
        query &= (
            Q(patient__first_name__icontains=word)
            | Q(patient__last_name__icontains=word)
            | Q(reference__icontains=word)
        )
    return query


def dashboard_cases(
    *, filters: DashboardFilters, as_of: dt.datetime, config: RuleConfig
) -> tuple[QuerySet[int], QuerySet[int]]:
    """(upcoming, unscheduled) as case ids to page through (`case_rows` reads a page's cases):
    the range's active cases by start, and draft cases without a slot, filtered and sorted in SQL
    on their stored readiness.

    Each list is its own query driven by its index (active slots by start; drafts by creation),
    never "in range OR unscheduled" across a join, which reads every case; each sorts narrow rows
    (ids and sort keys) and `case_rows` reads whole rows for one page only.
    """
    start, end = day_bounds(filters.from_date, filters.to_date, config.time_zone)
    in_range = {
        "appointment__is_active": True,
        "appointment__start__gte": start,
        "appointment__start__lt": end,
    }
    if filters.room is not None:
        in_range["appointment__room"] = filters.room
    upcoming = Case.objects.filter(status__in=[Case.Status.DRAFT, Case.Status.SCHEDULED], **in_range)
    upcoming = upcoming.order_by("appointment__start", "appointment__room__name", "created_at", "pk")
    # A draft has no slot: booking one makes it scheduled, in the same transaction (services/cases.py,
    # services/imports.py). Read from the drafts' own index, so the count never reads the slots;
    # a draft that somehow held a slot would be listed in both lists, never in neither.
    unscheduled = Case.objects.filter(status=Case.Status.DRAFT).order_by("created_at", "pk")
    lists = []
    for cases in (upcoming, unscheduled):
        cases = cases.filter(_search_q(filters.search))
        if filters.not_ready or filters.owner:
            cases = _by_readiness(cases, filters, as_of=as_of, config=config)
        lists.append(cases.values_list("pk", flat=True))
    return lists[0], lists[1]


def _by_readiness(
    cases: QuerySet[Case], filters: DashboardFilters, *, as_of: dt.datetime, config: RuleConfig
) -> QuerySet[Case]:
    """`cases` narrowed to the not ready ones or an owner's: the list's stored answers are made
    fresh first (only the cases changed since they were last computed are evaluated: found by
    probing each one's readiness row, no ids sent back and forth), and a case changed since is
    kept in the list (`case_rows` evaluates it), never left out."""
    freshness = {"as_of": as_of, "config": config}
    not_fresh = without_fresh_answer(cases.order_by(), **freshness)
    readiness_make_fresh(list(not_fresh.values_list("pk", flat=True)), **freshness)
    unsure = ~fresh(prefix="readiness__", **freshness)
    if filters.not_ready:
        cases = cases.filter(Q(readiness__ready=False) | unsure)
    if filters.owner:
        cases = cases.filter(Q(**{f"readiness__open_{filters.owner}": True}) | unsure)
    return cases


def case_rows(case_ids: Iterable[int], *, as_of: dt.datetime, config: RuleConfig) -> list[CaseRow]:
    """Rows for these cases, in this order, from their stored readiness, made fresh first where
    it is not (only those cases are evaluated, and stored for the next reader); a case changed
    again in between is evaluated live, so a list never shows an answer it cannot vouch for."""
    case_ids = list(case_ids)
    rows = Case.objects.filter(pk__in=case_ids).order_by().values_list(*ROW_COLUMNS)
    read = {values[0]: _row_case(values) for values in rows}
    cases = [read[pk][0] for pk in case_ids if pk in read]
    answers = {case.pk: read[case.pk][1] for case in cases}
    stale = [pk for pk, answer in answers.items() if not is_fresh(answer, as_of=as_of, config=config)]
    if stale:
        readiness_make_fresh(stale, as_of=as_of, config=config)
        answers.update({answer.case_id: answer for answer in Readiness.objects.filter(case_id__in=stale)})
        stale = [pk for pk in stale if not is_fresh(answers[pk], as_of=as_of, config=config)]
    live = {pk: rules.evaluate(data, config, as_of) for pk, data in cases_data(stale).items()}
    return [
        CaseRow(
            case=case,
            flags=live[case.pk] if case.pk in live else stored_flags(answers[case.pk], as_of=as_of),
            tz=config.time_zone,
        )
        for case in cases
    ]


def _row_case(values: tuple) -> tuple[RowCase, StoredAnswer | None]:
    """One row of `ROW_COLUMNS` as the case it shows and its stored answer (if any)."""
    (pk, uuid, reference, levels, created_at, first_name, last_name, email, phone, channel, agreed,
     slot_pk, start, end, room_id, room_name, answer_pk, *answer) = values  # fmt: skip
    slot = RowSlot(start, end, room_id, RowRoom(room_name)) if slot_pk is not None else None
    patient = RowPatient(first_name, last_name, email, phone, channel, agreed)
    case = RowCase(pk, uuid, reference, levels, created_at, patient, slot)
    return case, StoredAnswer(*answer) if answer_pk is not None else None


def room_days(*, day: dt.date, as_of: dt.datetime, config: RuleConfig) -> list[RoomDay]:
    """Each active room (and any other room holding a case that day), by name, with its gaps; the
    day's cases read as the dashboard's rows (stored answers, made fresh where they are not)."""
    tz = config.time_zone
    start, end = day_bounds(day, day, tz)
    case_ids = (
        Case.objects.exclude(status=Case.Status.CANCELLED)
        .filter(appointment__is_active=True, appointment__start__gte=start, appointment__start__lt=end)
        .order_by("appointment__start", "pk")
        .values_list("pk", flat=True)
    )
    rows = case_rows(case_ids, as_of=as_of, config=config)
    held = {row.case.appointment.room_id for row in rows}
    rooms = Room.objects.filter(Q(is_active=True) | Q(pk__in=held)).order_by("name", "pk")
    return [
        _room_day(room, day, tz, [row for row in rows if row.case.appointment.room_id == room.pk])
        for room in rooms
    ]


def _room_day(room: Room, day: dt.date, tz: dt.tzinfo, rows: Iterable[CaseRow]) -> RoomDay:
    """Interleave the room's cases (in start order) with the free time around them."""
    opens = dt.datetime.combine(day, room.opens_at, tzinfo=tz)
    closes = dt.datetime.combine(day, room.closes_at, tzinfo=tz)
    entries: list[CaseRow | Gap] = []
    free_from = opens
    for row in rows:
        appointment = row.case.appointment
        if appointment.start > free_from and free_from < closes:
            entries.append(Gap(free_from, min(appointment.start, closes)))
        entries.append(row)
        free_from = max(free_from, appointment.end)
    if free_from < closes:
        entries.append(Gap(free_from, closes))
    return RoomDay(room=room, opens=opens, closes=closes, entries=tuple(entries))
