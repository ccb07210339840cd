"""Importing case files: a batch of cases written whole or not at all."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections, models, router, transaction
from django.utils import timezone

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
from checklists.services.readiness import readiness_inputs_changed
from checklists.wording import slot_text

# Cases validated and written per round of statements: memory holds one batch of rows, whatever
# the size of the file.
BATCH_SIZE = 1000
# What an update writes (`updated_at` is set here, as save() would); the history row records the
# whole row.
UPDATED_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    Patient: ("first_name", "last_name", "date_of_birth", "sex", "language", "email", "phone", "updated_at"),
    Case: ("kind", "levels", "anesthesia", "contrast_planned", "status", "version", "updated_at"),
    Appointment: ("room", "start", "end", "is_active"),
    Intake: ("submitted_at", *cd.INTAKE_ANSWERS, "version", "updated_at"),
    Driver: (
        "name",
        "phone",
        "relationship",
        "confirmed_at",
        "confirmed_by",
        "confirmed_by_driver",
        "declined_at",
        "recorded_at",
    ),
}


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
    in_file = set(references)
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
        # The file's own cases are left out here, in Python: as a NOT IN of every reference in the
        # file, each room's query cost ~2 s at 100,000 cases.
        stored = [
            (start, end, reference)
            for start, end, reference in Appointment.objects.filter(
                room=rooms[room], is_active=True, start__lt=max(s.end for s in slots), end__gt=slots[0].start
            )
            .order_by("start", "pk")
            .values_list("start", "end", "case__reference")
            if reference not in in_file
        ]
        stored_slots = [Slot(i, start, end) for i, (start, end, _) in enumerate(stored)]
        for slot, clash in stored_clashes(slots, stored_slots):
            conflicts.append(
                (slot.index, 1, _overlap_text(cases[slot.index], stored[clash.index][2], room, clash, config))
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
def cases_import(
    *,
    cases: Sequence[cd.CaseData],
    config: RuleConfig,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Create or update cases (matched by reference), all or nothing: `batch_size` cases at a time
    are validated in memory, then written by a few statements per table (so their number follows
    the batches, not the cases). `progress` is told 0 as writing starts, then after each batch how
    many cases are written."""
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

    users = {u.username: u for u in get_user_model().objects.filter(username__in=_usernames(cases))}
    known = _Known(config=config, rooms=rooms, users=users, catalogue={d.name: d for d in Drug.objects.all()})
    if progress is not None:
        progress(0)
    for first in range(0, len(cases), batch_size):
        batch = cases[first : first + batch_size]
        for data, created in zip(batch, _batch_save(batch, known), strict=True):
            (result.created if created else result.updated).append(data.reference)
        if progress is not None:
            progress(first + len(batch))
    return result


@dataclass
class _Known:
    """What every batch of an import looks up: the rule data, rooms, staff and the catalogue."""

    config: RuleConfig
    rooms: dict[str, Room]
    users: dict
    catalogue: dict[str, Drug]
    matches: dict[str, tuple[Drug, ...]] = field(default_factory=dict)

    def drugs(self, name: str) -> tuple[Drug, ...]:
        """The catalogue drugs a medication line names (matched once per name per import)."""
        if name not in self.matches:
            self.matches[name] = tuple(
                self.catalogue[d.name] for d in self.config.match(name) if d.name in self.catalogue
            )
        return self.matches[name]


@dataclass
class _Rows:
    """What a batch writes: rows to create, update and delete by model, in the order of the file."""

    created: dict[type[models.Model], list] = field(default_factory=dict)
    updated: dict[type[models.Model], list] = field(default_factory=dict)
    deleted: dict[type[models.Model], list] = field(default_factory=dict)
    lines: list[tuple[Medication, tuple[Drug, ...]]] = field(default_factory=list)

    def save(self, row: models.Model) -> None:
        _clean(row)
        (self.created if row._state.adding else self.updated).setdefault(type(row), []).append(row)

    def delete(self, row: models.Model) -> None:
        self.deleted.setdefault(type(row), []).append(row)

    def write(self, model: type[models.Model]) -> None:
        """Delete, update, then create this model's rows, each leaving its history row."""
        _delete(model, self.deleted.get(model, []))
        _update(model, self.updated.get(model, []))
        if self.created.get(model):
            model.objects.bulk_create(self.created[model])
            _record(model, self.created[model], "+")


def _batch_save(batch: Sequence[cd.CaseData], known: _Known) -> list[bool]:
    """Write each case of `batch` exactly as it describes it; for each, True when it was created.
    Every row is built and validated before the first is written."""
    stored = {
        case.reference: case
        for case in Case.objects.select_related("patient").filter(reference__in=[d.reference for d in batch])
    }
    ids = [case.pk for case in stored.values()]
    appointments = {a.case_id: a for a in Appointment.objects.filter(case_id__in=ids)}
    intakes = {i.case_id: i for i in Intake.objects.filter(case_id__in=ids)}
    drivers = {d.case_id: d for d in Driver.objects.filter(case_id__in=ids)}
    now = timezone.now()
    rows = _Rows()
    for data in batch:
        case = stored.get(data.reference)
        pk = case.pk if case else None
        case = _case_rows(data, case, rows, now)
        _appointment_rows(case, data, appointments.get(pk), rows, known)
        _list_rows(case, data, rows, known)
        _intake_rows(case, data.intake, intakes.get(pk), rows, now)
        _driver_rows(case, data.driver, drivers.get(pk), rows, known, now)

    for model in (Patient, Case, Appointment):
        rows.write(model)
    _remove_lists(ids)
    rows.write(Medication)
    _link_drugs(rows.lines)
    for model in (Allergy, LabResult, SignOff, Intake, Driver):
        rows.write(model)
    if stored:
        # The history rows above sent no signal (apps.py): the stored readiness of the updated
        # cases, and of any other case of their patients, is made stale here.
        patients = [case.patient_id for case in stored.values()]
        readiness_inputs_changed(Case.objects.filter(patient_id__in=patients).values_list("pk", flat=True))
    return [data.reference not in stored for data in batch]


def _case_rows(data: cd.CaseData, case: Case | None, rows: _Rows, now: dt.datetime) -> Case:
    patient = Patient() if case is None else case.patient
    for name in ("first_name", "last_name", "date_of_birth", "sex", "language"):
        setattr(patient, name, getattr(data.patient, name))
    patient.email = data.patient.email or ""
    patient.phone = data.patient.phone or ""
    if case is None:
        case = Case(reference=data.reference, patient=patient)
    else:
        case.version += 1
        patient.updated_at = case.updated_at = now
    rows.save(patient)
    case.kind = data.procedure.kind
    case.levels = list(cd.sort_levels(data.procedure.levels))
    case.anesthesia = data.procedure.anesthesia
    case.contrast_planned = data.procedure.contrast_planned
    if case.status not in (Case.Status.CANCELLED, Case.Status.COMPLETED):
        case.status = Case.Status.SCHEDULED if data.appointment else Case.Status.DRAFT
    rows.save(case)
    return case


def _appointment_rows(
    case: Case, data: cd.CaseData, appointment: Appointment | None, rows: _Rows, known: _Known
) -> None:
    timeline = rules.timeline_for(data, known.config)
    if timeline is None:
        if appointment is not None:
            rows.delete(appointment)
        return
    appointment = appointment or Appointment(case=case)
    appointment.room = known.rooms[data.appointment.room]
    appointment.start, appointment.end = timeline.start, timeline.end
    appointment.is_active = case.status != Case.Status.CANCELLED
    rows.save(appointment)


def _list_rows(case: Case, data: cd.CaseData, rows: _Rows, known: _Known) -> None:
    """The file is the source of truth for lists (a stored case's are removed by `_remove_lists`)."""
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
        rows.save(row)
        rows.lines.append((row, known.drugs(med.name)))
        lines.setdefault(row.name, row)
    for position, allergy in enumerate(data.allergies):
        rows.save(
            Allergy(
                case=case,
                position=position,
                category=allergy.category,
                substance=allergy.substance or "",
                reaction=allergy.reaction or "",
                severity=allergy.severity,
            )
        )
    for lab in data.labs:
        rows.save(LabResult(case=case, test=lab.test, value=lab.value, taken_on=lab.taken_on))
    start = data.appointment.start if data.appointment else None
    for signoff in data.signoffs:
        # A plan without `for_start` was approved for the case as the file gives it: pin it to
        # that start, so a later move voids it as it would a plan approved here.
        for_start = signoff.for_start or (start if signoff.item in cd.PLAN_ITEMS else None)
        rows.save(
            SignOff(
                case=case,
                item=signoff.item,
                by=signoff.by,
                by_user=known.users.get(signoff.by),
                at=signoff.at,
                note=signoff.note or "",
                medication=lines.get(signoff.medication or ""),
                medication_name=signoff.medication or "",
                last_dose_on=signoff.last_dose_on,
                keep_taking=signoff.keep_taking,
                for_start=for_start,
            )
        )


def _intake_rows(
    case: Case, data: cd.IntakeData | None, intake: Intake | None, rows: _Rows, now: dt.datetime
) -> None:
    if data is None:
        # Not submitted: keep a patient's half-finished answers, but it no longer counts as submitted.
        if intake is not None and intake.submitted_at is not None:
            intake.submitted_at = None
            intake.version += 1
            intake.updated_at = now
            rows.updated.setdefault(Intake, []).append(intake)  # written as it stands, as before
        return
    intake = intake or Intake(case=case)
    for name in ("submitted_at", *cd.INTAKE_ANSWERS):
        setattr(intake, name, getattr(data, name))
    if intake.pk:
        intake.version += 1
        intake.updated_at = now
    rows.save(intake)


def _usernames(cases: Sequence[cd.CaseData]) -> set[str]:
    """Every staff username a file names: sign-offs' `by` and drivers' `confirmed_by`."""
    names = {v.by for c in cases for v in c.signoffs}
    names.update(c.driver.confirmed_by for c in cases if c.driver is not None and c.driver.confirmed_by)
    return names


def _driver_rows(
    case: Case,
    data: cd.DriverData | None,
    driver: Driver | None,
    rows: _Rows,
    known: _Known,
    now: dt.datetime,
) -> None:
    if data is None:
        if driver is not None:
            rows.delete(driver)
        return
    driver = driver or Driver(case=case)
    if driver.recorded_at is None or (driver.name, driver.phone) != (data.name, data.phone):
        driver.recorded_at = now  # another driver: a link sent to the one before stops working
    by_driver = data.confirmed_by == cd.CONFIRMED_BY_DRIVER
    if data.confirmed_by and not by_driver:
        driver.confirmed_by = known.users.get(data.confirmed_by)  # a name no account has: not recorded
    elif driver.confirmed_at != data.confirmed_at or by_driver:
        driver.confirmed_by = None  # the file does not say which staff member confirmed it
    driver.name, driver.phone = data.name, data.phone
    driver.relationship = data.relationship or ""
    driver.confirmed_at, driver.confirmed_by_driver = data.confirmed_at, by_driver
    driver.declined_at = data.declined_at
    rows.save(driver)


@cache
def _relations(model: type[models.Model]) -> tuple[str, ...]:
    return tuple(f.name for f in model._meta.concrete_fields if f.is_relation)


def _clean(row: models.Model) -> None:
    """full_clean() without the checks that query the database, one per row: the foreign keys
    point at rows this import holds, and uniqueness and Meta.constraints are the database's to
    enforce (the file format already refuses what would break them; a breach fails the
    transaction, so nothing is written)."""
    row.full_clean(exclude=_relations(type(row)), validate_unique=False, validate_constraints=False)


def _remove_lists(case_ids: list[int]) -> None:
    """Remove the medicines, allergies, labs and sign-offs of these cases, in the order and with
    the history rows that deleting them one by one would leave (a sign-off's link to a removed
    line goes empty first, as its on_delete=SET_NULL does)."""
    if not case_ids:
        return
    lines = list(Medication.objects.filter(case_id__in=case_ids))
    line_ids = [line.pk for line in lines]
    Medication.drugs.through.objects.filter(medication_id__in=line_ids)._raw_delete(Medication.objects.db)
    SignOff.objects.filter(medication_id__in=line_ids).update(medication=None)
    _delete(Medication, lines)
    for model in (Allergy, LabResult, SignOff):
        _delete(model, list(model.objects.filter(case_id__in=case_ids)))


def _delete(model: type[models.Model], rows: list[models.Model]) -> None:
    """Delete `rows` with one DELETE and no signals, each leaving its "-" history row. Nothing else
    points at these rows (tests/checklists/test_import_bulk.py checks) but what the callers have
    emptied first."""
    if rows:
        _record(model, rows, "-")
        model.objects.filter(pk__in=[row.pk for row in rows])._raw_delete(model.objects.db)


def _update(model: type[models.Model], rows: list[models.Model]) -> None:
    """Write UPDATED_FIELDS of `rows`, each leaving its "~" history row: one UPDATE run once per row
    (executemany), where bulk_update() builds a CASE of every row for each column and costs more
    than the rest of an import."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in UPDATED_FIELDS[model]]
    sql = (
        f"UPDATE {quote(model._meta.db_table)} SET {', '.join(f'{quote(f.column)} = %s' for f in fields)}"
        f" WHERE {quote(model._meta.pk.column)} = %s"
    )
    with connection.cursor() as cursor:
        cursor.executemany(
            sql,
            [
                [f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields] + [row.pk]
                for row in rows
            ],
        )
    _record(model, rows, "~")


def _record(model: type[models.Model], rows: list[models.Model], history_type: str) -> None:
    """The history rows ("+", "~" or "-") that saving or deleting each of `rows` would write, with
    what simple-history's `bulk_history_create` gives them (the request's user if any, no change
    reason, the moment of the call), without its model instances and bulk_create(), which took
    half the time of an import: one INSERT run once per row, or on PostgreSQL one COPY (a sixth
    of the time of as many INSERTs there)."""
    if not rows or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    history = model.history.model
    connection = connections[router.db_for_write(history)]
    tracked, meta = _history_columns(history)
    user = history.get_default_history_user(rows[0])  # the request's: the same for every row
    meta_values = [
        f.get_db_prep_save(value, connection)
        for f, value in zip(
            meta, [timezone.now(), history_type, user.pk if user else None, None], strict=True
        )
    ]
    values = [
        [f.get_db_prep_save(getattr(row, name), connection) for name, f in tracked] + meta_values
        for row in rows
    ]
    quote = connection.ops.quote_name
    table = quote(history._meta.db_table)
    columns = ", ".join(quote(f.column) for f in [*(f for _, f in tracked), *meta])
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # psycopg 3 (requirements.txt)
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row_values in values:
                    copy.write_row(row_values)
        else:
            placeholders = ", ".join(["%s"] * len(values[0]))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", values)


@cache
def _history_columns(
    history: type[models.Model],
) -> tuple[list[tuple[str, models.Field]], list[models.Field]]:
    """(attribute of the tracked row, its field in the history row) for each copied field, and the
    fields `_record` fills itself; refuses a history model with any other column (a custom field,
    a history relation) rather than leave it empty."""
    tracked = [(f.attname, history._meta.get_field(f.name)) for f in history.tracked_fields]
    meta = [
        history._meta.get_field(name)
        for name in ("history_date", "history_type", "history_user", "history_change_reason")
    ]
    filled = {f.column for _, f in tracked} | {f.column for f in meta} | {history._meta.pk.column}
    unfilled = {f.column for f in history._meta.concrete_fields} - filled
    if unfilled:
        raise NotImplementedError(f"{history.__name__}: an import cannot fill {sorted(unfilled)}")
    return tracked, meta


def _link_drugs(lines: list[tuple[Medication, tuple[Drug, ...]]]) -> None:
    """Each new line's catalogue drugs, with the history `line.drugs.set(drugs)` leaves: for each
    line with any, a "~" row carrying its links (simple-history's m2m history rows)."""
    through = Medication.drugs.through
    links = through.objects.bulk_create(
        [through(medication=line, drug=drug) for line, drugs in lines for drug in drugs]
    )
    matched = [line for line, drugs in lines if drugs]
    if not matched or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    # simple-history's own bulk helper here (not `_record`): it gives back the rows' ids, which the
    # links are recorded with.
    records = {
        record.id: record.history_id
        for record in Medication.history.bulk_history_create(matched, update=True, default_change_reason=None)
    }
    link_history = Medication.history.model.drugs.model
    link_history.objects.bulk_create(
        [
            link_history(
                history_id=records[link.medication_id],
                id=link.pk,
                medication_id=link.medication_id,
                drug_id=link.drug_id,
            )
            for link in links
        ]
    )
