"""The reads behind the dashboard and the day view: cases with their flags, in fixed queries.

The dashboard reads the stored readiness (models.Readiness), filtering, sorting and paging in SQL;
the day view (one day) evaluates its cases live (`case_queryset` + `rules.evaluate`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar

from django.db.models import Q, QuerySet

from checklists import rules
from checklists.catalog import RuleConfig
from checklists.models import Appointment, Case, Room
from checklists.selectors.cases import case_queryset, cases_evaluate
from checklists.selectors.readiness import fresh, is_fresh, stored_flags, without_fresh_answer
from checklists.services.readiness import readiness_make_fresh

OWNERS = (rules.PATIENT, rules.COORDINATOR, rules.CLINICIAN)


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

    case: Case
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
        """The patient has items open but no email address, so no reminder reaches them: phone them."""
        return not self.case.patient.email and self.has_owner(rules.PATIENT)


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


def _rows(queryset: QuerySet[Case], *, as_of: dt.datetime, config: RuleConfig) -> list[CaseRow]:
    cases = list(queryset)
    flags = cases_evaluate(cases, as_of=as_of, config=config)
    return [CaseRow(case=case, flags=flags[case.pk], tz=config.time_zone) for case in cases]


def dashboard_cases(
    *, filters: DashboardFilters, as_of: dt.datetime, config: RuleConfig
) -> tuple[QuerySet[int], QuerySet[int]]:
    """(upcoming, unscheduled) as case ids to page through (`case_rows` reads a page's cases):
    the range's active cases by start, and draft cases without a slot, filtered and sorted in SQL
    on their stored readiness (made fresh first: only the cases changed since they were last
    computed are evaluated).

    The cases without a fresh answer come first, by two index scans (active slots by start;
    drafts) each probing the readiness row, and are computed. Each list then sorts only narrow
    rows (ids and sort keys) and reads whole rows for one page: the cost follows the range in
    SQL, and the page in Python.
    """
    start, end = day_bounds(filters.from_date, filters.to_date, config.time_zone)
    in_range = Appointment.objects.filter(is_active=True, start__gte=start, start__lt=end)
    if filters.room is not None:
        in_range = in_range.filter(room=filters.room)
    unscheduled = Case.objects.filter(status=Case.Status.DRAFT, appointment__isnull=True)
    freshness = {"as_of": as_of, "config": config}
    not_fresh = without_fresh_answer(in_range, case_field="case_id", **freshness)
    not_fresh = (
        not_fresh.order_by()
        .values_list("case_id", flat=True)
        .union(
            without_fresh_answer(unscheduled, case_field="pk", **freshness)
            .order_by()
            .values_list("pk", flat=True)
        )
    )
    readiness_make_fresh(list(not_fresh), as_of=as_of, config=config)
    # Each list is its own query driven by its index (slots by start, drafts), paged with LIMIT:
    # never "in range OR unscheduled" across a join, which reads every case.
    upcoming = Case.objects.filter(
        status__in=[Case.Status.DRAFT, Case.Status.SCHEDULED],
        appointment__in=in_range,
    ).order_by("appointment__start", "appointment__room__name", "created_at", "pk")
    unscheduled = unscheduled.order_by("created_at", "pk")
    # A row changed since it was made fresh is never left out of "not ready" or an owner's list.
    unsure = ~fresh(as_of=as_of, config=config, prefix="readiness__")
    lists = []
    for cases in (upcoming, unscheduled):
        cases = cases.filter(_search_q(filters.search))
        if filters.not_ready:
            cases = cases.filter(Q(readiness__ready=False) | unsure)
        if filters.owner:
            cases = cases.filter(Q(**{f"readiness__open_{filters.owner}": True}) | unsure)
        lists.append(cases.values_list("pk", flat=True))
    return lists[0], lists[1]


def case_rows(case_ids: Iterable[int], *, as_of: dt.datetime, config: RuleConfig) -> list[CaseRow]:
    """Rows for these cases, in this order, from the stored readiness (no engine run); a case
    changed since its row was made fresh is evaluated live instead, so a list never shows an
    answer it cannot vouch for."""
    case_ids = list(case_ids)
    cases = Case.objects.filter(pk__in=case_ids).select_related("patient", "appointment__room", "readiness")
    by_pk = {case.pk: case for case in cases}
    cases = [by_pk[pk] for pk in case_ids if pk in by_pk]
    stale = [
        case.pk
        for case in cases
        if not is_fresh(getattr(case, "readiness", None), as_of=as_of, config=config)
    ]
    live = cases_evaluate(case_queryset().filter(pk__in=stale), as_of=as_of, config=config) if stale else {}
    return [
        CaseRow(
            case=case,
            flags=live[case.pk] if case.pk in live else stored_flags(case.readiness, as_of=as_of),
            tz=config.time_zone,
        )
        for case in cases
    ]


def room_days(*, day: dt.date, as_of: dt.datetime, config: RuleConfig) -> list[RoomDay]:
    """Each active room (and any other room holding a case that day), by name, with its gaps."""
    tz = config.time_zone
    start, end = day_bounds(day, day, tz)
    queryset = (
        case_queryset()
        .exclude(status=Case.Status.CANCELLED)
        .filter(appointment__is_active=True, appointment__start__gte=start, appointment__start__lt=end)
        .order_by("appointment__start", "pk")
    )
    rows = _rows(queryset, as_of=as_of, config=config)
    rooms = {room.pk: room for room in Room.objects.filter(is_active=True)}
    rooms.update({row.case.appointment.room.pk: row.case.appointment.room for row in rows})
    return [
        _room_day(room, day, tz, [row for row in rows if row.case.appointment.room.pk == room.pk])
        for room in sorted(rooms.values(), key=lambda room: room.name)
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
