"""Reading cases: querysets with every join the readiness engine needs, and cases as CaseData
(`case_to_data` from model instances; `cases_data` straight from rows, for many cases at once)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice

from django.db.models import Prefetch, QuerySet

from checklists import casedata as cd
from checklists import rules
from checklists.catalog import RuleConfig
from checklists.models import (
    Allergy,
    Appointment,
    Case,
    LabResult,
    Medication,
    Room,
    SignOff,
)
from checklists.selectors.catalogue import load_rule_config


def _case_rows() -> QuerySet[Case]:
    return Case.objects.select_related(
        "patient", "appointment__room", "intake", "driver__confirmed_by"
    ).prefetch_related("medications", "allergies", "labs")


def case_queryset() -> QuerySet[Case]:
    """Cases with everything the readiness engine reads, in five queries whatever their number."""
    return _case_rows().prefetch_related(
        Prefetch(
            "signoffs", queryset=SignOff.objects.filter(withdrawn_at__isnull=True), to_attr="active_signoffs"
        ),
    )


def case_page_queryset() -> QuerySet[Case]:
    """`case_queryset` plus what only the case page shows: every sign-off with who recorded and
    withdrew it (`all_signoffs`, the active ones read from it), and who confirmed the driver."""
    return (
        _case_rows()
        .select_related("driver__confirmed_by")
        .prefetch_related(
            Prefetch(
                "signoffs",
                queryset=SignOff.objects.select_related("by_user", "withdrawn_by").order_by("at", "id"),
                to_attr="all_signoffs",
            )
        )
    )


def _confirmed_by(confirmed_at: dt.datetime | None, by_driver: bool, username: str | None) -> str | None:
    """ "driver" (by their link), the staff member's username, or None (not confirmed, or not known)."""
    if confirmed_at is None:
        return None
    return cd.CONFIRMED_BY_DRIVER if by_driver else username


def case_to_data(case: Case) -> cd.CaseData:
    """A stored case as the engine and the case format see it (from prefetched rows only)."""
    patient = case.patient
    appointment = getattr(case, "appointment", None)  # RelatedObjectDoesNotExist is an AttributeError
    intake = getattr(case, "intake", None)
    driver = getattr(case, "driver", None)
    signoffs = getattr(case, "active_signoffs", None)
    if signoffs is None:
        every = getattr(case, "all_signoffs", None)  # case_page_queryset's
        signoffs = [s for s in (case.signoffs.all() if every is None else every) if s.withdrawn_at is None]
    medications = list(case.medications.all())
    line_names = {m.pk: m.name for m in medications}
    return cd.CaseData(
        reference=case.reference,
        patient=cd.PatientData(
            first_name=patient.first_name,
            last_name=patient.last_name,
            date_of_birth=patient.date_of_birth,
            sex=patient.sex,
            email=patient.email or None,
            phone=patient.phone or None,
            language=patient.language,
        ),
        procedure=cd.ProcedureData(
            levels=cd.sort_levels(case.levels),
            kind=case.kind,
            anesthesia=case.anesthesia,
            contrast_planned=case.contrast_planned,
        ),
        appointment=(
            cd.AppointmentData(start=appointment.start, room=appointment.room.name)
            if appointment is not None and appointment.is_active
            else None
        ),
        medications=tuple(
            cd.MedicationData(
                name=m.name,
                dose=m.dose or None,
                frequency=m.frequency or None,
                last_dose_planned=m.last_dose_planned,
            )
            for m in medications
        ),
        allergies=tuple(
            cd.AllergyData(
                category=a.category,
                substance=a.substance or None,
                reaction=a.reaction or None,
                severity=a.severity,
            )
            for a in case.allergies.all()
        ),
        intake=(
            cd.IntakeData(
                submitted_at=intake.submitted_at,
                **{name: getattr(intake, name) for name in cd.INTAKE_ANSWERS},
            )
            if intake is not None and intake.submitted_at is not None
            else None
        ),
        driver=(
            cd.DriverData(
                name=driver.name,
                phone=driver.phone,
                relationship=driver.relationship or None,
                confirmed_at=driver.confirmed_at,
                confirmed_by=_confirmed_by(
                    driver.confirmed_at,
                    driver.confirmed_by_driver,
                    driver.confirmed_by.get_username() if driver.confirmed_by_id is not None else None,
                ),
                declined_at=driver.declined_at,
            )
            if driver is not None
            else None
        ),
        labs=tuple(
            cd.LabData(test=lab.test, value=lab.value, taken_on=lab.taken_on) for lab in case.labs.all()
        ),
        signoffs=tuple(
            _signoff_data(s, line_names)
            for s in sorted(signoffs, key=lambda s: (s.at, s.pk))
            # A per-medicine sign-off counts only while its line exists under the same name.
            if not s.medication_name or line_names.get(s.medication_id) == s.medication_name
        ),
    )


def _signoff_data(s: SignOff, line_names: dict[int, str]) -> cd.SignOffData:
    return cd.SignOffData(
        item=s.item,
        by=s.by,
        at=s.at,
        note=s.note or None,
        medication=s.medication_name or None,
        last_dose_on=s.last_dose_on,
        keep_taking=s.keep_taking,
        for_start=s.for_start,
    )


# Cases read as rows, not model instances, per round of queries: memory stays bounded by this.
CHUNK_SIZE = 500

# A case row: the case, its patient, and its one-to-ones by LEFT JOIN (all None when missing).
_CASE_COLUMNS = (
    "pk",
    "reference",
    "patient__first_name",
    "patient__last_name",
    "patient__date_of_birth",
    "patient__sex",
    "patient__email",
    "patient__phone",
    "patient__language",
    "levels",
    "kind",
    "anesthesia",
    "contrast_planned",
    "appointment__is_active",
    "appointment__start",
    "appointment__room__name",
    "intake__submitted_at",
    *(f"intake__{name}" for name in cd.INTAKE_ANSWERS),
    "driver__pk",
    "driver__name",
    "driver__phone",
    "driver__relationship",
    "driver__confirmed_at",
    "driver__confirmed_by_driver",
    "driver__confirmed_by__username",
    "driver__declined_at",
)


def cases_data(case_ids: Iterable[int]) -> dict[int, cd.CaseData]:
    """Each existing case of `case_ids` (by pk) exactly as `case_to_data` reads it from
    `case_queryset()`, built from rows: five queries per `CHUNK_SIZE` cases, no model instances."""
    case_ids = list(case_ids)
    found: dict[int, cd.CaseData] = {}
    for i in range(0, len(case_ids), CHUNK_SIZE):
        chunk = Case.objects.filter(pk__any_of=case_ids[i : i + CHUNK_SIZE]).order_by()
        found.update(_rows_to_data(list(chunk.values_list(*_CASE_COLUMNS))))
    return found


def cases_data_iter(cases: QuerySet[Case], *, chunk_size: int = CHUNK_SIZE) -> Iterator[cd.CaseData]:
    """`cases` in their order as `cases_data` reads them: one query streams the case rows, then
    four per `chunk_size` cases (however many cases, memory holds one chunk)."""
    rows = cases.values_list(*_CASE_COLUMNS).iterator(chunk_size=chunk_size)
    while chunk := list(islice(rows, chunk_size)):
        yield from _rows_to_data(chunk).values()


def _rows_to_data(rows: list[tuple]) -> dict[int, cd.CaseData]:
    """CaseData by pk, in the order of `rows` (`_CASE_COLUMNS`), with their lines in four queries."""
    ids = [row[0] for row in rows]
    medications: dict[int, list[tuple[int, cd.MedicationData]]] = {pk: [] for pk in ids}
    allergies: dict[int, list[cd.AllergyData]] = {pk: [] for pk in ids}
    labs: dict[int, list[cd.LabData]] = {pk: [] for pk in ids}
    signoffs: dict[int, list[tuple]] = {pk: [] for pk in ids}
    # Each in the order its prefetch reads it (Meta.ordering within a case; sign-offs by time).
    for case_id, pk, name, dose, frequency, last_dose in (
        Medication.objects.filter(case_id__any_of=ids)
        .order_by("case_id", "position", "id")
        .values_list("case_id", "id", "name", "dose", "frequency", "last_dose_planned")
    ):
        medications[case_id].append((pk, cd.MedicationData(name, dose or None, frequency or None, last_dose)))
    for case_id, category, substance, reaction, severity in (
        Allergy.objects.filter(case_id__any_of=ids)
        .order_by("case_id", "position", "id")
        .values_list("case_id", "category", "substance", "reaction", "severity")
    ):
        allergies[case_id].append(cd.AllergyData(category, substance or None, reaction or None, severity))
    for case_id, test, value, taken_on in (
        LabResult.objects.filter(case_id__any_of=ids)
        .order_by("case_id", "taken_on", "id")
        .values_list("case_id", "test", "value", "taken_on")
    ):
        labs[case_id].append(cd.LabData(test, value, taken_on))
    for row in (
        SignOff.objects.filter(case_id__any_of=ids, withdrawn_at__isnull=True)
        .order_by("case_id", "at", "id")
        .values_list(
            "case_id",
            "medication_id",
            "medication_name",
            "item",
            "by",
            "at",
            "note",
            "last_dose_on",
            "keep_taking",
            "for_start",
        )
    ):
        signoffs[row[0]].append(row[1:])

    found = {}
    for row in rows:
        (pk, reference, first_name, last_name, born, sex, email, phone, language,
         levels, kind, anesthesia, contrast, active, start, room, submitted_at, *answers,
         driver_pk, driver_name, driver_phone, relationship, confirmed_at, by_driver, by_user,
         declined_at) = row  # fmt: skip
        lines = medications[pk]
        line_names = {line_pk: medication.name for line_pk, medication in lines}
        found[pk] = cd.CaseData(
            reference,
            cd.PatientData(first_name, last_name, born, sex, email or None, phone or None, language),
            cd.ProcedureData(cd.sort_levels(levels), kind, anesthesia, contrast),
            cd.AppointmentData(start, room) if active else None,
            tuple(medication for _, medication in lines),
            tuple(allergies[pk]),
            cd.IntakeData(*answers, submitted_at=submitted_at) if submitted_at is not None else None,
            (
                cd.DriverData(
                    driver_name,
                    driver_phone,
                    relationship or None,
                    confirmed_at,
                    _confirmed_by(confirmed_at, by_driver, by_user),
                    declined_at,
                )
                if driver_pk is not None
                else None
            ),
            tuple(labs[pk]),
            tuple(
                cd.SignOffData(item, by, at, note or None, name or None, last_dose_on, keep_taking, for_start)
                for line_pk, name, item, by, at, note, last_dose_on, keep_taking, for_start in signoffs[pk]
                # As in case_to_data: a per-medicine sign-off counts only while its line exists
                # under the same name.
                if not name or line_names.get(line_pk) == name
            ),
        )
    return found


def cases_evaluate(
    cases: Iterable[Case], *, as_of: dt.datetime, config: RuleConfig | None = None
) -> dict[int, tuple[rules.Flag, ...]]:
    """Flags for each case (by pk); `cases` must come from `case_queryset()`."""
    config = config or load_rule_config()
    return {case.pk: rules.evaluate(case_to_data(case), config, as_of) for case in cases}


def cases_by_reference(references: Sequence[str] | None = None) -> QuerySet[Case]:
    """Cases for export: the named ones, or every case not cancelled, in reference order (no joins:
    read them with `cases_data_iter`)."""
    queryset = Case.objects.order_by("reference")
    if references:
        return queryset.filter(reference__in=references)
    return queryset.exclude(status=Case.Status.CANCELLED)


def missing_references(references: Sequence[str]) -> list[str]:
    """The given references that no case has, sorted (one query of references, no rows loaded)."""
    found = set(Case.objects.filter(reference__in=references).values_list("reference", flat=True))
    return sorted(set(references) - found)


def appointment_clash(
    *, room: Room, start: dt.datetime, end: dt.datetime, exclude_references: Iterable[str] = ()
) -> Appointment | None:
    """The first active appointment in `room` overlapping [start, end), with its case."""
    return (
        Appointment.objects.filter(room=room, is_active=True, start__lt=end, end__gt=start)
        .exclude(case__reference__in=list(exclude_references))
        .select_related("case")
        .order_by("start")
        .first()
    )
