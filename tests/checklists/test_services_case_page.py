"""The case page's writes: permissions, validation, optimistic locking and history."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from checklists.casedata import IntakeAnswers
from checklists.models import Allergy, Case, Driver, Intake, LabResult, Medication, SignOff
from checklists.phones import phone_e164
from checklists.selectors.catalogue import load_rule_config
from checklists.services.booking import appointment_book
from checklists.services.case_page import (
    AllergyRow,
    DriverAnswerClosed,
    MedicationRow,
    allergies_save,
    driver_answer,
    driver_confirm,
    driver_save,
    intake_record_for_patient,
    lab_result_add,
    medications_save,
)
from checklists.services.catalogue import drug_name_add
from checklists.services.edits import StaleEdit
from checklists.services.imports import cases_import
from checklists.services.signoffs import signoff_record, signoff_withdraw
from tests.factories import full_case

# Expected clock times are written in UTC, the clinic zone of these tests.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("utc_clinic")]
START = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def case(config) -> Case:
    cases_import(cases=[full_case("S-1", START)], config=config)
    return Case.objects.get(reference="S-1")


def _meds(case: Case) -> list[MedicationRow]:
    return [MedicationRow(id=m.pk, name=m.name) for m in Medication.objects.filter(case=case)]


# --- Sign-offs -----------------------------------------------------------------------------------


def test_a_coordinator_recording_a_clinician_item_is_refused_and_nothing_is_written(
    case, coordinator, config
):
    with pytest.raises(PermissionDenied):
        signoff_record(case=case, item="labs_reviewed", note="", user=coordinator, at=NOW, config=config)

    assert not SignOff.objects.filter(item="labs_reviewed").exists()


def test_a_signoff_records_who_when_and_the_note(case, clinician, config):
    signoff = signoff_record(
        case=case, item="labs_reviewed", note="  INR fine  ", user=clinician, at=NOW, config=config
    )

    assert (signoff.by, signoff.by_user, signoff.at, signoff.note) == ("dr_kim", clinician, NOW, "INR fine")


def test_a_second_active_signoff_of_an_item_is_refused_with_who_and_when(case, clinician, config):
    signoff_record(case=case, item="labs_reviewed", note="", user=clinician, at=NOW, config=config)

    with pytest.raises(ValidationError) as error:
        signoff_record(case=case, item="labs_reviewed", note="", user=clinician, at=NOW, config=config)

    assert "already signed off by dr_kim at Tue 1 Dec 2026 10:00" in error.value.messages[0]


def test_a_withdrawn_signoff_can_be_recorded_again_and_history_keeps_both(case, clinician, config):
    signoff_record(case=case, item="labs_reviewed", note="", user=clinician, at=NOW, config=config)
    signoff_withdraw(case=case, item="labs_reviewed", user=clinician, at=NOW)
    signoff_record(case=case, item="labs_reviewed", note="again", user=clinician, at=NOW, config=config)

    rows = SignOff.objects.filter(item="labs_reviewed")
    assert [s.withdrawn_at is None for s in rows] == [False, True]
    assert SignOff.history.filter(item="labs_reviewed").count() == 3


def test_withdrawing_an_item_without_an_active_signoff_says_so(case, clinician):
    with pytest.raises(ValidationError, match="no active sign-off"):
        signoff_withdraw(case=case, item="labs_reviewed", user=clinician, at=NOW)


# --- Driver and labs -----------------------------------------------------------------------------


def test_a_driver_phone_is_stored_as_e164_using_the_clinic_region(case, config, settings):
    settings.CLINIC_PHONE_REGION = "GB"

    driver = driver_save(
        case=case, version=case.version, name="Cy", relationship="", phone="020 7946 0018", config=config
    )

    assert driver.phone == "+442079460018"


def test_a_changed_driver_phone_must_be_confirmed_again(case, coordinator, config):
    driver_confirm(case=case, version=case.version, user=coordinator, at=NOW, config=config)

    driver = driver_save(
        case=case, version=case.version, name="Bo Lee", relationship="", phone="+12125550142", config=config
    )

    assert (driver.confirmed_at, driver.confirmed_by) == (None, None)


def test_confirming_the_driver_records_who_and_when(case, coordinator, config):
    driver_confirm(case=case, version=case.version, user=coordinator, at=NOW, config=config)

    driver = Driver.objects.get(case=case)
    assert (driver.confirmed_at, driver.confirmed_by) == (NOW, coordinator)


# --- The driver's own answer, through their link ------------------------------------------------

CHANGE_UNTIL = START - dt.timedelta(hours=24)


def _answer(case: Case, config, will_drive: bool, now: dt.datetime = NOW) -> bool:
    driver = Driver.objects.get(case=case)
    return driver_answer(
        driver=driver, will_drive=will_drive, now=now, change_until=CHANGE_UNTIL, config=config
    )


def test_a_yes_by_link_confirms_the_driver_as_the_driver_and_moves_the_case_version(case, config):
    version = Case.objects.get(pk=case.pk).version

    assert _answer(case, config, True) is True

    driver = Driver.objects.get(case=case)
    assert (driver.confirmed_at, driver.confirmed_by, driver.confirmed_by_driver) == (NOW, None, True)
    assert Case.objects.get(pk=case.pk).version == version + 1


def test_the_same_answer_twice_changes_nothing(case, config):
    _answer(case, config, False)
    version = Case.objects.get(pk=case.pk).version

    assert _answer(case, config, False, NOW + dt.timedelta(hours=1)) is False
    assert Driver.objects.get(case=case).declined_at == NOW
    assert Case.objects.get(pk=case.pk).version == version


def test_a_driver_may_change_their_answer_until_a_day_before_then_must_phone(case, config):
    _answer(case, config, False)
    assert _answer(case, config, True, CHANGE_UNTIL - dt.timedelta(minutes=1)) is True
    driver = Driver.objects.get(case=case)
    assert (driver.confirmed_by_driver, driver.declined_at) == (True, None)

    with pytest.raises(DriverAnswerClosed):
        _answer(case, config, False, CHANGE_UNTIL)
    assert Driver.objects.get(case=case).confirmed_at is not None


def test_another_driver_recorded_after_a_refusal_starts_with_no_answer_and_a_new_link_time(case, config):
    _answer(case, config, False)
    before = Driver.objects.get(case=case).recorded_at

    driver = driver_save(
        case=case,
        version=Case.objects.get(pk=case.pk).version,
        name="Someone Else",
        relationship="",
        phone="+12125550142",
        config=config,
    )

    assert (driver.declined_at, driver.confirmed_at) == (None, None)
    assert driver.recorded_at != before


def test_staff_confirming_by_phone_after_a_refusal_clears_it(case, coordinator, config):
    _answer(case, config, False)

    driver_confirm(
        case=case, version=Case.objects.get(pk=case.pk).version, user=coordinator, at=NOW, config=config
    )

    driver = Driver.objects.get(case=case)
    assert (driver.declined_at, driver.confirmed_by, driver.confirmed_by_driver) == (None, coordinator, False)


def test_a_lab_in_the_future_is_refused_and_the_version_is_not_claimed(case, config):
    version = case.version

    with pytest.raises(ValidationError) as error:
        lab_result_add(
            case=case,
            version=version,
            test="egfr",
            value=50,
            taken_on=NOW.date() + dt.timedelta(days=1),
            today=NOW.date(),
            config=config,
        )

    assert "taken_on" in error.value.error_dict
    assert not LabResult.objects.filter(test="egfr").exists()
    assert Case.objects.get(pk=case.pk).version == version


def test_a_negative_lab_value_is_refused(case, config):
    with pytest.raises(ValidationError) as error:
        lab_result_add(
            case=case,
            version=case.version,
            test="inr",
            value=-1,
            taken_on=NOW.date(),
            today=NOW.date(),
            config=config,
        )

    assert "value" in error.value.error_dict


# --- Medicines and allergies ---------------------------------------------------------------------


def test_an_edit_from_an_old_version_is_refused_and_writes_nothing(case, config):
    read_version = case.version
    medications_save(
        case=case,
        version=read_version,
        rows=[*_meds(case), MedicationRow(None, "Metformin")],
        config=config,
    )
    stale_case = Case.objects.get(pk=case.pk)

    with pytest.raises(StaleEdit, match="This case was changed by .* reload"):
        medications_save(
            case=stale_case,
            version=read_version,
            rows=[*_meds(case), MedicationRow(None, "Warfarin")],
            config=config,
        )

    assert not Medication.objects.filter(name="Warfarin").exists()
    assert Case.objects.get(pk=case.pk).version == read_version + 1


def test_saving_medicines_keeps_the_catalogue_match_in_sync(case, config):
    rows = _meds(case)
    rows[0] = dataclasses.replace(rows[0], name="Plavix 75 mg")  # was Eliquis

    medications_save(case=case, version=case.version, rows=rows, config=config)

    med = Medication.objects.get(pk=rows[0].id)
    assert [d.name for d in med.drugs.all()] == ["clopidogrel"]


def test_an_invalid_line_leaves_every_line_and_the_version_as_they_were(case, config):
    version = case.version
    rows = [dataclasses.replace(r, delete=True) for r in _meds(case)] + [MedicationRow(None, "x" * 300)]

    with pytest.raises(ValidationError):
        medications_save(case=case, version=version, rows=rows, config=config)

    assert Medication.objects.filter(case=case).count() == 3
    assert Case.objects.get(pk=case.pk).version == version


def test_a_line_of_another_case_cannot_be_edited(case, config):
    cases_import(cases=[full_case("S-2", START + dt.timedelta(hours=3))], config=config)
    other = Medication.objects.filter(case__reference="S-2").first()

    with pytest.raises(ValidationError, match="does not belong to this case"):
        medications_save(
            case=case, version=case.version, rows=[MedicationRow(other.pk, "Aspirin")], config=config
        )

    assert Medication.objects.get(pk=other.pk).name == other.name


def test_allergies_are_replaced_as_the_rows_say(case, config):
    rows = [AllergyRow(a.pk, a.category, delete=a.category == "latex") for a in case.allergies.all()]

    allergies_save(
        case=case,
        version=case.version,
        rows=[*rows, AllergyRow(None, "sedative", "midazolam")],
        config=config,
    )

    assert list(Allergy.objects.filter(case=case).values_list("category", flat=True)) == [
        "iodinated_contrast",
        "sedative",
    ]


# --- Intake by phone -----------------------------------------------------------------------------


def test_a_first_phone_intake_is_created_and_submitted(config):
    data = dataclasses.replace(full_case("S-3", START), intake=None, allergies=())
    cases_import(cases=[data], config=config)
    case = Case.objects.get(reference="S-3")

    intake = intake_record_for_patient(
        case=case,
        version=0,
        answers=IntakeAnswers(no_known_allergies=True, can_lie_prone=True, diabetes="diet"),
        submit=True,
        at=NOW,
        config=config,
    )

    assert (intake.submitted_at, intake.version, intake.diabetes) == (NOW, 1, "diet")


def test_no_known_allergies_is_refused_while_allergies_are_listed(case, config):
    intake = Intake.objects.get(case=case)

    with pytest.raises(ValidationError) as error:
        intake_record_for_patient(
            case=case,
            version=intake.version,
            answers=IntakeAnswers(no_known_allergies=True),
            submit=False,
            at=NOW,
            config=config,
        )

    assert "no_known_allergies" in error.value.error_dict
    assert Intake.objects.get(case=case).version == intake.version


def test_intake_answers_read_before_the_patients_last_save_are_refused(case, config):
    intake = Intake.objects.get(case=case)
    answers = IntakeAnswers(pregnant=True)
    intake_record_for_patient(
        case=case, version=intake.version, answers=answers, submit=False, at=NOW, config=config
    )

    with pytest.raises(StaleEdit):
        intake_record_for_patient(
            case=case,
            version=intake.version,
            answers=IntakeAnswers(pregnant=False),
            submit=False,
            at=NOW,
            config=config,
        )

    assert Intake.objects.get(case=case).pregnant is True


def test_marking_submitted_keeps_the_first_submission_time(case, config):
    intake = Intake.objects.get(case=case)
    first = intake.submitted_at

    saved = intake_record_for_patient(
        case=case,
        version=intake.version,
        answers=IntakeAnswers(),
        submit=True,
        at=NOW,
        config=config,
    )

    assert saved.submitted_at == first


def test_phone_numbers_that_cannot_be_a_number_are_refused():
    with pytest.raises(ValidationError):
        phone_e164("12")
    with pytest.raises(ValidationError):
        phone_e164("call me")


def test_an_unknown_item_is_refused_before_any_permission_check(case, clinician, config):
    with pytest.raises(ValidationError):
        signoff_record(case=case, item="bogus", note="", user=clinician, at=NOW, config=config)


def test_case_edits_leave_a_history_row_naming_the_new_version(case, config):
    lab_result_add(
        case=case,
        version=case.version,
        test="egfr",
        value=70,
        taken_on=NOW.date(),
        today=NOW.date(),
        config=config,
    )

    assert case.history.first().version == case.version


# --- Per-medicine sign-offs and the clinician's plan (MEDICATIONS.md) --------------------------------


def _flags(case: Case, config, as_of: dt.datetime = NOW) -> list:
    from checklists.selectors.cases import case_queryset, cases_evaluate

    return list(cases_evaluate([case_queryset().get(pk=case.pk)], as_of=as_of, config=config)[case.pk])


def _codes_for(case: Case, config, code: str) -> list[str]:
    return [f.data.get("medication") for f in _flags(case, config) if f.code == code]


def _approve(case: Case, user, config, line: str, **plan) -> SignOff:
    return signoff_record(
        case=case,
        item="anticoagulant_plan_approved",
        note="",
        user=user,
        at=NOW,
        config=config,
        medication=Medication.objects.get(case=case, name=line),
        **plan,
    )


def test_a_plan_records_its_line_the_appointment_start_and_clears_only_that_line(case, clinician, config):
    medications_save(
        case=case,
        version=case.version,
        rows=[*_meds(case), MedicationRow(id=None, name="Plavix")],
        config=config,
    )
    signoff = _approve(Case.objects.get(pk=case.pk), clinician, config, "Eliquis 5mg")

    assert (signoff.medication_name, signoff.for_start, signoff.last_dose_on) == ("Eliquis 5mg", START, None)
    # A Plavix added to the list is not covered by the plan approved for Eliquis.
    assert _codes_for(case, config, "ANTICOAGULANT_HOLD_PLAN") == ["Plavix"]


def test_a_per_medicine_item_must_name_its_line_and_a_case_item_must_not(case, clinician, config):
    with pytest.raises(ValidationError, match="Choose which medicine"):
        signoff_record(
            case=case, item="anticoagulant_plan_approved", note="", user=clinician, at=NOW, config=config
        )
    with pytest.raises(ValidationError, match="about the whole case"):
        signoff_record(
            case=case,
            item="labs_reviewed",
            note="",
            user=clinician,
            at=NOW,
            config=config,
            medication=Medication.objects.filter(case=case).first(),
        )
    assert not SignOff.objects.filter(item__in=["anticoagulant_plan_approved", "labs_reviewed"]).exists()


def test_a_renamed_line_loses_its_sign_off_and_can_be_approved_again(case, clinician, config):
    _approve(case, clinician, config, "Eliquis 5mg")
    rows = [
        dataclasses.replace(r, name="Eliquis 2.5mg") if r.name == "Eliquis 5mg" else r for r in _meds(case)
    ]
    medications_save(case=case, version=Case.objects.get(pk=case.pk).version, rows=rows, config=config)

    assert _codes_for(case, config, "ANTICOAGULANT_HOLD_PLAN") == ["Eliquis 2.5mg"]
    _approve(Case.objects.get(pk=case.pk), clinician, config, "Eliquis 2.5mg")
    assert _codes_for(case, config, "ANTICOAGULANT_HOLD_PLAN") == []


def test_a_removed_line_takes_its_sign_off_with_it(case, clinician, config):
    _approve(case, clinician, config, "Eliquis 5mg")
    rows = [dataclasses.replace(r, delete=True) if r.name == "Eliquis 5mg" else r for r in _meds(case)]
    medications_save(case=case, version=Case.objects.get(pk=case.pk).version, rows=rows, config=config)
    medications_save(
        case=case,
        version=Case.objects.get(pk=case.pk).version,
        rows=[*_meds(case), MedicationRow(id=None, name="Eliquis 5mg")],
        config=config,
    )

    # The same words on a new line are a new line: the old approval does not come back.
    assert _codes_for(case, config, "ANTICOAGULANT_HOLD_PLAN") == ["Eliquis 5mg"]


def test_a_reschedule_to_another_day_voids_the_plan_and_the_flag_says_so(case, clinician, config):
    _approve(case, clinician, config, "Eliquis 5mg")
    appointment_book(case=case, room=case.appointment.room, start=START + dt.timedelta(days=2), config=config)

    [flag] = [f for f in _flags(case, config) if f.code == "ANTICOAGULANT_HOLD_PLAN"]
    assert (
        "The plan approved for Mon 7 Dec 2026 no longer counts: the appointment moved to Wed 9 Dec 2026."
        in (flag.message)
    )


def test_a_move_within_the_same_day_keeps_the_plan(case, clinician, config):
    _approve(case, clinician, config, "Eliquis 5mg")
    appointment_book(
        case=case, room=case.appointment.room, start=START + dt.timedelta(hours=3), config=config
    )

    assert _codes_for(case, config, "ANTICOAGULANT_HOLD_PLAN") == []


def test_a_last_dose_day_on_or_after_the_procedure_day_is_refused(case, clinician, config):
    with pytest.raises(ValidationError, match="before the procedure day"):
        _approve(case, clinician, config, "Eliquis 5mg", last_dose_on=START.date())


def test_a_dated_plan_needs_an_appointment_but_keep_taking_it_does_not(case, clinician, config):
    case.appointment.delete()
    with pytest.raises(ValidationError, match="Schedule the case first"):
        _approve(case, clinician, config, "Eliquis 5mg")

    signoff = _approve(case, clinician, config, "Eliquis 5mg", keep_taking=True)
    assert (signoff.keep_taking, signoff.for_start) == (True, None)


def test_a_per_medicine_sign_off_is_withdrawn_by_its_id(case, clinician, config):
    signoff = _approve(case, clinician, config, "Eliquis 5mg")

    signoff_withdraw(
        case=case, item="anticoagulant_plan_approved", user=clinician, at=NOW, signoff_id=signoff.pk
    )

    assert SignOff.objects.get(pk=signoff.pk).withdrawn_at == NOW
    assert _codes_for(case, config, "ANTICOAGULANT_HOLD_PLAN") == ["Eliquis 5mg"]


def test_a_clinician_teaches_the_catalogue_a_name_for_every_case(case, clinician, coordinator, config):
    with pytest.raises(PermissionDenied):
        drug_name_add(drug_name="apixaban", name="Elliquis", user=coordinator, config=config)

    drug = drug_name_add(drug_name="apixaban", name="Elliquis", user=clinician, config=config)

    assert "Elliquis" in drug.alias_list
    latest = drug.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (
        clinician,
        "Name “Elliquis” added by dr_kim from a case",
    )
    with pytest.raises(ValidationError, match="already reads as apixaban"):
        drug_name_add(drug_name="warfarin", name="eliquis", user=clinician, config=load_rule_config())


def test_a_coordinator_may_check_the_list_for_a_drug_listed_twice(case, coordinator, config):
    signoff = signoff_record(
        case=case, item="medication_list_checked", note="Same tablet", user=coordinator, at=NOW, config=config
    )
    assert signoff.medication_name == ""
