"""Creating, editing, rescheduling and cancelling a case from the staff workspace."""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import transaction

from checklists import casedata as cd
from checklists.catalog import RuleConfig
from checklists.models import (
    Appointment,
    Case,
    Patient,
    Room,
)
from checklists.services.booking import appointment_book
from checklists.services.edits import case_version_claim


@transaction.atomic
def case_create(
    *,
    patient: dict,
    procedure: dict,
    room: Room | None,
    start: dt.datetime | None,
    config: RuleConfig,
    reference: str = "",
) -> Case:
    """A new case for a new patient; scheduled when a room and start are given."""
    patient_row = Patient(**patient)
    patient_row.full_clean()
    patient_row.save()
    case = Case(
        patient=patient_row,
        reference=reference or _new_reference(),
        **{**procedure, "levels": list(cd.sort_levels(procedure["levels"]))},
    )
    case.full_clean()
    case.save()
    if room is not None and start is not None:
        appointment_book(case=case, room=room, start=start, config=config)
        case.status = Case.Status.SCHEDULED
        case.save(update_fields=["status", "updated_at"])
    return case


@transaction.atomic
def case_update(
    *,
    case: Case,
    version: int,
    patient: dict,
    procedure: dict,
    room: Room | None,
    start: dt.datetime | None,
    config: RuleConfig,
) -> Case:
    """Edit, reschedule or unschedule a case; refused if it changed since `version` was read."""
    case_version_claim(case, version, config)
    for name, value in patient.items():
        setattr(case.patient, name, value)
    case.patient.full_clean()
    case.patient.save()
    for name, value in procedure.items():
        setattr(case, name, value)
    case.levels = list(cd.sort_levels(case.levels))
    if room is not None and start is not None:
        appointment_book(case=case, room=room, start=start, config=config)
        if case.status == Case.Status.DRAFT:
            case.status = Case.Status.SCHEDULED
    else:
        Appointment.objects.filter(case=case).delete()
        if case.status == Case.Status.SCHEDULED:
            case.status = Case.Status.DRAFT
    case.full_clean()
    case.save()
    return case


@transaction.atomic
def case_cancel(*, case: Case, version: int, config: RuleConfig) -> Case:
    """Cancel the case; its slot is free again, the record stays."""
    case_version_claim(case, version, config)
    case.status = Case.Status.CANCELLED
    case.save(update_fields=["status", "version", "updated_at"])
    Appointment.objects.filter(case=case).update(is_active=False)
    return case


def _new_reference() -> str:
    return f"PD-{secrets.token_hex(4).upper()}"
