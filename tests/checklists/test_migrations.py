"""The change to per-medicine sign-offs (migration 0008): old case-wide sign-offs are attached to
the one line they could have meant, or withdrawn with a note; never guessed in the unsafe direction."""

from __future__ import annotations

import datetime as dt
from importlib import import_module

import pytest
from django.apps import apps
from django.utils import timezone

from checklists import casedata as cd
from checklists.models import Case, SignOff
from checklists.services.imports import cases_import

pytestmark = pytest.mark.django_db
attach_signoffs = import_module("checklists.migrations.0008_signoffs_attach_to_medications").attach_signoffs


def _case(config, reference: str, *medicines: str, start: dt.datetime | None) -> Case:
    data = cd.CaseData(
        reference=reference,
        patient=cd.PatientData("Ann", "Lee", dt.date(1950, 1, 1)),
        procedure=cd.ProcedureData(levels=("L1",)),
        appointment=cd.AppointmentData(start=start, room="IR Suite 1") if start else None,
        medications=tuple(cd.MedicationData(m) for m in medicines),
    )
    cases_import(cases=[data], config=config)
    return Case.objects.get(reference=reference)


def _old_signoff(case: Case, item: str) -> SignOff:
    """A sign-off as stored before the change: it names no medicine."""
    return SignOff.objects.create(
        case=case, item=item, by="dr.iris", at=timezone.now() + dt.timedelta(seconds=1)
    )


def test_an_old_plan_is_attached_to_the_one_blood_thinner_with_the_start_it_was_approved_for(config):
    start = timezone.now() + dt.timedelta(days=5)
    case = _case(config, "M-1", "Eliquis 5mg", "Tylenol", start=start)
    signoff = _old_signoff(case, "anticoagulant_plan_approved")

    attach_signoffs(apps, None)

    signoff.refresh_from_db()
    assert (signoff.medication.name, signoff.medication_name, signoff.withdrawn_at) == (
        "Eliquis 5mg",
        "Eliquis 5mg",
        None,
    )
    assert signoff.for_start == start


def test_an_old_plan_that_could_mean_two_blood_thinners_is_withdrawn_with_a_note(config):
    case = _case(config, "M-2", "Eliquis", "Plavix", start=timezone.now() + dt.timedelta(days=5))
    signoff = _old_signoff(case, "anticoagulant_plan_approved")

    attach_signoffs(apps, None)

    signoff.refresh_from_db()
    assert signoff.withdrawn_at is not None and signoff.medication is None
    assert "it could have meant 2 medicines (Eliquis, Plavix)" in signoff.note


def test_an_old_plan_made_before_the_line_existed_is_withdrawn(config):
    case = _case(config, "M-3", start=timezone.now() + dt.timedelta(days=5))
    signoff = _old_signoff(case, "anticoagulant_plan_approved")
    cases_import(
        cases=[
            cd.CaseData(
                reference="M-3",
                patient=cd.PatientData("Ann", "Lee", dt.date(1950, 1, 1)),
                procedure=cd.ProcedureData(levels=("L1",)),
                appointment=cd.AppointmentData(start=case.appointment.start, room="IR Suite 1"),
                medications=(cd.MedicationData("Plavix"),),
                signoffs=(cd.SignOffData("labs_reviewed", "dr.iris", timezone.now()),),
            )
        ],
        config=config,
    )
    # The import replaced the sign-offs; put the old one back as it was, older than the line.
    SignOff.objects.filter(case=case).delete()
    signoff = SignOff.objects.create(
        case=case, item="anticoagulant_plan_approved", by="dr.iris", at=timezone.now() - dt.timedelta(days=1)
    )

    attach_signoffs(apps, None)

    signoff.refresh_from_db()
    assert signoff.withdrawn_at is not None
    assert "no medicine line of that kind was on the case when it was signed off" in signoff.note


def test_an_old_supplement_advice_is_attached_to_the_one_supplement_and_case_items_are_left_alone(config):
    case = _case(config, "M-4", "fish oil", "Eliquis", start=timezone.now() + dt.timedelta(days=5))
    advice = _old_signoff(case, "supplement_advice_given")
    labs = _old_signoff(case, "labs_reviewed")

    attach_signoffs(apps, None)

    advice.refresh_from_db()
    labs.refresh_from_db()
    assert (advice.medication_name, advice.withdrawn_at) == ("fish oil", None)
    assert (labs.medication_name, labs.withdrawn_at) == ("", None)


def test_an_old_plan_on_an_unscheduled_case_is_withdrawn(config):
    case = _case(config, "M-5", "Eliquis", start=None)
    signoff = _old_signoff(case, "anticoagulant_plan_approved")

    attach_signoffs(apps, None)

    signoff.refresh_from_db()
    assert signoff.withdrawn_at is not None and "no appointment" in signoff.note
