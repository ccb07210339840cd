"""A case's change history for admins: who changed what, when, before → after, in words.

Read from django-simple-history's rows of the case, its patient and everything hanging off the
case (appointment, medicines, allergies, intake, driver, labs, sign-offs).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from checklists.models import Allergy, Appointment, Case, Driver, Intake, LabResult, Medication, SignOff

# Bookkeeping fields nobody needs to read about.
SKIPPED = frozenset({"id", "uuid", "version", "created_at", "updated_at", "case", "patient"})
WHAT = {"add": "created", "change": "changed", "remove": "removed"}
PARTS = (
    (Appointment, "Appointment"),
    (Medication, "Medicine"),
    (Allergy, "Allergy"),
    (Intake, "Intake answers"),
    (Driver, "Driver"),
    (LabResult, "Lab result"),
    (SignOff, "Sign-off"),
)


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class HistoryEntry:
    at: dt.datetime
    by: str
    part: str  # "Case", "Patient", "Medicine: Eliquis 5mg" ...
    what: str  # created, changed, removed
    changes: tuple[Change, ...]


def _shown(record, name: str) -> str:
    value = getattr(record, name, None)
    if value in (None, ""):
        return "—"
    field = record.instance_type._meta.get_field(name)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "—"
    return str(value)


def _entries(records, part_of) -> list[HistoryEntry]:
    """One entry per historical row; a change lists the fields that differ from the row before."""
    entries = []
    by_object: dict[int, list] = {}
    for record in sorted(records, key=lambda r: (r.history_date, r.history_id)):
        by_object.setdefault(record.id, []).append(record)
    for versions in by_object.values():
        previous = None
        for record in versions:
            changes: tuple[Change, ...] = ()
            if previous is not None and record.history_type == "~":
                delta = record.diff_against(previous)
                changes = tuple(
                    Change(
                        str(record.instance_type._meta.get_field(change.field).verbose_name).capitalize(),
                        _shown(previous, change.field),
                        _shown(record, change.field),
                    )
                    for change in delta.changes
                    if change.field not in SKIPPED
                    and not record.instance_type._meta.get_field(change.field).many_to_many
                )
                if not changes:
                    previous = record
                    continue
            user = record.history_user
            entries.append(
                HistoryEntry(
                    at=record.history_date,
                    by=user.get_username() if user else "the system (import, patient or command)",
                    part=part_of(record),
                    what={"+": "created", "~": "changed", "-": "removed"}[record.history_type],
                    changes=changes,
                )
            )
            previous = record
    return entries


def case_history(case: Case) -> list[HistoryEntry]:
    """Every recorded change of the case and its parts, newest first."""
    entries = _entries(Case.history.filter(id=case.pk).select_related("history_user"), lambda r: "Case")
    entries += _entries(
        case.patient.history.model.objects.filter(id=case.patient_id).select_related("history_user"),
        lambda r: "Patient",
    )
    for model, label in PARTS:
        records = model.history.filter(case_id=case.pk).select_related("history_user")
        entries += _entries(records, lambda r, label=label: _part_label(label, r))
    return sorted(entries, key=lambda e: e.at, reverse=True)


def _part_label(label: str, record) -> str:
    name = getattr(record, "name", "") or getattr(record, "substance", "") or getattr(record, "item", "")
    return f"{label}: {name}" if name else label
