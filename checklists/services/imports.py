"""Importing case files: a batch of cases written whole or not at all."""

from __future__ import annotations

import datetime as dt
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
from checklists.selectors.cases import appointment_clash
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


def _check_batch(cases: Sequence[cd.CaseData], config: RuleConfig, rooms: dict[str, Room]) -> None:
    """Refuse any appointment overlapping another in the same room (in the batch or stored).

    Runs inside the import transaction after the rooms are locked, so the check and the write
    cannot be split by another booking.
    """
    cancelled = set(
        Case.objects.filter(
            reference__in=[c.reference for c in cases], status=Case.Status.CANCELLED
        ).values_list("reference", flat=True)
    )
    slots: list[tuple[int, str, dt.datetime, dt.datetime]] = []
    for index, case in enumerate(cases):
        timeline = rules.timeline_for(case, config)
        if timeline is None or case.reference in cancelled:
            continue
        room = case.appointment.room
        for other_index, other_room, other_start, other_end in slots:
            if other_room == room and other_start < timeline.end and timeline.start < other_end:
                other = cases[other_index].reference
                raise CaseConflict(
                    index,
                    "appointment.start",
                    f"{case.reference} overlaps {other} in {room} "
                    f"({slot_text(other_start, other_end, config.time_zone)})",
                )
        clash = appointment_clash(
            room=rooms[room],
            start=timeline.start,
            end=timeline.end,
            exclude_references=[c.reference for c in cases],
        )
        if clash is not None:
            raise CaseConflict(
                index,
                "appointment.start",
                f"{case.reference} overlaps {clash.case.reference} in {room} "
                f"({slot_text(clash.start, clash.end, config.time_zone)})",
            )
        slots.append((index, room, timeline.start, timeline.end))


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
