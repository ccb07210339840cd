"""Importing case files: a batch of cases written whole or not at all."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction

from checklists import casedata as cd
from checklists import rules
from checklists.catalog import RuleConfig
from checklists.models import (
    Allergy,
    Appointment,
    Case,
    Driver,
    Drug,
    Intake,
    LabResult,
    Medication,
    Patient,
    Room,
    SignOff,
)
from checklists.wording import slot_text


class CaseConflict(Exception):
    """A case in a batch cannot be written; `index` is its position, `field` a path inside it."""

    def __init__(self, index: int, field: str, message: str) -> None:
        super().__init__(message)
        self.index, self.field, self.message = index, field, message


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    rooms_created: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Slot:
    """A time in a room: a case's (`index`: its position in the batch) or a stored one."""

    index: int
    start: dt.datetime
    end: dt.datetime


def _check_batch(cases: Sequence[cd.CaseData], config: RuleConfig, rooms: dict[str, Room]) -> None:
    """Refuse any appointment overlapping another in the same room (in the batch or stored),
    naming the earliest case in the file that has a conflict, as a one-by-one check would.

    O(K log² K) for K cases, not K²: per room, the batch's slots sorted by start, and one query
    for the stored slots across the batch's time span. Runs inside the import transaction after
    the rooms are locked, so the check and the write cannot be split by another booking.
    """
    references = [c.reference for c in cases]
    cancelled = set(
        Case.objects.filter(reference__in=references, status=Case.Status.CANCELLED).values_list(
            "reference", flat=True
        )
    )
    by_room: dict[str, list[Slot]] = {}
    for index, case in enumerate(cases):
        timeline = rules.timeline_for(case, config)
        if timeline is not None and case.reference not in cancelled:
            by_room.setdefault(case.appointment.room, []).append(Slot(index, timeline.start, timeline.end))
    conflicts: list[tuple[int, int, str]] = []  # (case index, 0 = in the file / 1 = stored, message)
    for room, slots in by_room.items():
        slots.sort(key=lambda slot: (slot.start, slot.index))
        stored = list(
            Appointment.objects.filter(
                room=rooms[room], is_active=True, start__lt=max(s.end for s in slots), end__gt=slots[0].start
            )
            .exclude(case__reference__in=references)
            .select_related("case")
            .order_by("start", "pk")
        )
        stored_slots = [Slot(i, a.start, a.end) for i, a in enumerate(stored)]
        for slot, clash in stored_clashes(slots, stored_slots):
            other = stored[clash.index]
            conflicts.append(
                (slot.index, 1, _overlap_text(cases[slot.index], other.case.reference, room, clash, config))
            )
    pair = first_batch_overlap(list(by_room.values()))
    if pair is not None:
        earlier, later = pair
        room = cases[later.index].appointment.room
        conflicts.append(
            (
                later.index,
                0,
                _overlap_text(cases[later.index], cases[earlier.index].reference, room, earlier, config),
            )
        )
    if conflicts:
        index, _, message = min(conflicts)
        raise CaseConflict(index, "appointment.start", message)


def _overlap_text(case: cd.CaseData, other: str, room: str, slot: Slot, config: RuleConfig) -> str:
    return (
        f"{case.reference} overlaps {other} in {room} ({slot_text(slot.start, slot.end, config.time_zone)})"
    )


def first_batch_overlap(rooms: list[list[Slot]]) -> tuple[Slot, Slot] | None:
    """The overlapping pair (earlier, later in the batch) whose later slot comes first in the
    batch; each room's slots sorted by start. A sweep finds whether the first m+1 slots overlap
    anywhere (O(K)); a binary search finds the smallest such m."""

    def overlap_among_first(limit: int) -> tuple[Slot, Slot] | None:
        for slots in rooms:
            furthest: Slot | None = None
            for slot in slots:
                if slot.index > limit:
                    continue
                if furthest is not None and slot.start < furthest.end:
                    return (furthest, slot) if furthest.index < slot.index else (slot, furthest)
                if furthest is None or slot.end > furthest.end:
                    furthest = slot
        return None

    last = max((slot.index for slots in rooms for slot in slots), default=-1)
    if overlap_among_first(last) is None:
        return None
    low, high = 0, last
    while low < high:
        middle = (low + high) // 2
        low, high = (low, middle) if overlap_among_first(middle) else (middle + 1, high)
    return overlap_among_first(low)  # nothing overlaps among the first `low`: slot `low` is in it


def stored_clashes(slots: list[Slot], stored: list[Slot]) -> list[tuple[Slot, Slot]]:
    """Each of `slots` with a stored slot it overlaps; `stored` sorted by start (they may overlap
    each other: SQLite has no constraint saying they cannot)."""
    starts = [s.start for s in stored]
    reaching: list[Slot] = []  # reaching[i]: the one ending last among stored[: i + 1]
    for s in stored:
        reaching.append(s if not reaching or s.end > reaching[-1].end else reaching[-1])
    found = []
    for slot in slots:
        # One that started before this slot and is still running, or one starting during it.
        first_after = bisect_left(starts, slot.start)
        before = reaching[first_after - 1] if first_after else None
        during = stored[first_after] if first_after < len(stored) else None
        if before is not None and before.end > slot.start:
            found.append((slot, before))
        elif during is not None and during.start < slot.end:
            found.append((slot, during))
    return found


@transaction.atomic
def cases_import(*, cases: Sequence[cd.CaseData], config: RuleConfig) -> ImportResult:
    """Create or update cases (matched by reference), all or nothing."""
    result = ImportResult()
    room_names = sorted({c.appointment.room for c in cases if c.appointment is not None})
    existing_rooms = set(Room.objects.filter(name__in=room_names).values_list("name", flat=True))
    for name in room_names:
        if name not in existing_rooms:
            room = Room(name=name)
            room.full_clean()
            room.save()
            result.rooms_created.append(name)
    # Lock the rooms so no other booking lands between the overlap check and our write.
    rooms = {room.name: room for room in Room.objects.select_for_update().filter(name__in=room_names)}
    _check_batch(cases, config, rooms)

    users = {
        u.username: u
        for u in get_user_model().objects.filter(username__in={v.by for c in cases for v in c.signoffs})
    }
    catalogue = {d.name: d for d in Drug.objects.all()}
    for data in cases:
        created = case_save_from_data(data=data, config=config, rooms=rooms, users=users, catalogue=catalogue)
        (result.created if created else result.updated).append(data.reference)
    return result


def case_save_from_data(
    *,
    data: cd.CaseData,
    config: RuleConfig,
    rooms: dict[str, Room],
    users: dict,
    catalogue: dict[str, Drug],
) -> bool:
    """Write one case exactly as `data` describes it; True when it was created."""
    case = Case.objects.select_related("patient").filter(reference=data.reference).first()
    created = case is None
    patient = Patient() if created else case.patient
    for name in ("first_name", "last_name", "date_of_birth", "sex", "language"):
        setattr(patient, name, getattr(data.patient, name))
    patient.email = data.patient.email or ""
    patient.phone = data.patient.phone or ""
    patient.full_clean()
    patient.save()

    if created:
        case = Case(reference=data.reference, patient=patient)
    else:
        case.version += 1
    case.kind = data.procedure.kind
    case.levels = list(cd.sort_levels(data.procedure.levels))
    case.anesthesia = data.procedure.anesthesia
    case.contrast_planned = data.procedure.contrast_planned
    if case.status not in (Case.Status.CANCELLED, Case.Status.COMPLETED):
        case.status = Case.Status.SCHEDULED if data.appointment else Case.Status.DRAFT
    case.full_clean()
    case.save()

    _save_appointment(case, data, config, rooms)
    _replace_children(case, data, users, catalogue, config)
    _save_intake(case, data.intake)
    _save_driver(case, data.driver)
    return created


def _save_appointment(case: Case, data: cd.CaseData, config: RuleConfig, rooms: dict[str, Room]) -> None:
    timeline = rules.timeline_for(data, config)
    if timeline is None:
        Appointment.objects.filter(case=case).delete()
        return
    appointment = Appointment.objects.filter(case=case).first() or Appointment(case=case)
    appointment.room = rooms[data.appointment.room]
    appointment.start, appointment.end = timeline.start, timeline.end
    appointment.is_active = case.status != Case.Status.CANCELLED
    appointment.full_clean(validate_unique=False)
    appointment.save()


def _replace_children(
    case: Case, data: cd.CaseData, users: dict, catalogue: dict[str, Drug], config: RuleConfig
) -> None:
    """The file is the source of truth for lists; history keeps what was replaced."""
    for model in (Medication, Allergy, LabResult, SignOff):
        for row in model.objects.filter(case=case):
            row.delete()
    lines: dict[str, Medication] = {}  # by name: a per-medicine sign-off names its line
    for position, med in enumerate(data.medications):
        row = Medication(
            case=case,
            position=position,
            name=med.name,
            dose=med.dose or "",
            frequency=med.frequency or "",
            last_dose_planned=med.last_dose_planned,
        )
        row.full_clean()
        row.save()
        row.drugs.set([catalogue[d.name] for d in config.match(med.name) if d.name in catalogue])
        lines.setdefault(row.name, row)
    for position, allergy in enumerate(data.allergies):
        row = Allergy(
            case=case,
            position=position,
            category=allergy.category,
            substance=allergy.substance or "",
            reaction=allergy.reaction or "",
            severity=allergy.severity,
        )
        row.full_clean()
        row.save()
    for lab in data.labs:
        row = LabResult(case=case, test=lab.test, value=lab.value, taken_on=lab.taken_on)
        row.full_clean()
        row.save()
    start = data.appointment.start if data.appointment else None
    for signoff in data.signoffs:
        # A plan without `for_start` was approved for the case as the file gives it: pin it to
        # that start, so a later move voids it as it would a plan approved here.
        for_start = signoff.for_start or (start if signoff.item in cd.PLAN_ITEMS else None)
        row = SignOff(
            case=case,
            item=signoff.item,
            by=signoff.by,
            by_user=users.get(signoff.by),
            at=signoff.at,
            note=signoff.note or "",
            medication=lines.get(signoff.medication or ""),
            medication_name=signoff.medication or "",
            last_dose_on=signoff.last_dose_on,
            keep_taking=signoff.keep_taking,
            for_start=for_start,
        )
        row.full_clean()
        row.save()


def _save_intake(case: Case, data: cd.IntakeData | None) -> None:
    intake = Intake.objects.filter(case=case).first()
    if data is None:
        # Not submitted: keep a patient's half-finished answers, but it no longer counts as submitted.
        if intake is not None and intake.submitted_at is not None:
            intake.submitted_at = None
            intake.version += 1
            intake.save()
        return
    intake = intake or Intake(case=case)
    for name in ("submitted_at", *cd.INTAKE_ANSWERS):
        setattr(intake, name, getattr(data, name))
    if intake.pk:
        intake.version += 1
    intake.full_clean()
    intake.save()


def _save_driver(case: Case, data: cd.DriverData | None) -> None:
    driver = Driver.objects.filter(case=case).first()
    if data is None:
        if driver is not None:
            driver.delete()
        return
    driver = driver or Driver(case=case)
    if driver.confirmed_at != data.confirmed_at:
        driver.confirmed_by = None  # the file does not say who confirmed it
    driver.name, driver.phone = data.name, data.phone
    driver.relationship = data.relationship or ""
    driver.confirmed_at = data.confirmed_at
    driver.full_clean()
    driver.save()
