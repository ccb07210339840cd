"""Reading cases: querysets with every join the readiness engine needs, and cases as CaseData."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.db.models import Prefetch, QuerySet

from checklists import casedata as cd
from checklists import rules
from checklists.catalog import RuleConfig
from checklists.models import (
    Appointment,
    Case,
    Room,
    SignOff,
)
from checklists.selectors.catalogue import load_rule_config


def case_queryset() -> QuerySet[Case]:
    """Cases with everything the readiness engine reads, in five queries whatever their number."""
    return Case.objects.select_related("patient", "appointment__room", "intake", "driver").prefetch_related(
        "medications",
        "allergies",
        "labs",
        Prefetch(
            "signoffs", queryset=SignOff.objects.filter(withdrawn_at__isnull=True), to_attr="active_signoffs"
        ),
    )


def case_page_queryset() -> QuerySet[Case]:
    """`case_queryset` plus what only the case page shows: every sign-off with who recorded and
    withdrew it (`all_signoffs`), and who confirmed the driver."""
    return (
        case_queryset()
        .select_related("driver__confirmed_by")
        .prefetch_related(
            Prefetch(
                "signoffs",
                queryset=SignOff.objects.select_related("by_user", "withdrawn_by").order_by("at", "id"),
                to_attr="all_signoffs",
            )
        )
    )


def case_to_data(case: Case) -> cd.CaseData:
    """A stored case as the engine and the case format see it (from prefetched rows only)."""
    patient = case.patient
    appointment = getattr(case, "appointment", None)  # RelatedObjectDoesNotExist is an AttributeError
    intake = getattr(case, "intake", None)
    driver = getattr(case, "driver", None)
    signoffs = getattr(case, "active_signoffs", None)
    if signoffs is None:
        signoffs = [s for s in case.signoffs.all() if s.withdrawn_at is None]
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


def cases_evaluate(
    cases: Iterable[Case], *, as_of: dt.datetime, config: RuleConfig | None = None
) -> dict[int, tuple[rules.Flag, ...]]:
    """Flags for each case (by pk); `cases` must come from `case_queryset()`."""
    config = config or load_rule_config()
    return {case.pk: rules.evaluate(case_to_data(case), config, as_of) for case in cases}


def cases_by_reference(references: Sequence[str] | None = None) -> QuerySet[Case]:
    """Cases for export: the named ones, or every case not cancelled, in reference order."""
    queryset = case_queryset().order_by("reference")
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
