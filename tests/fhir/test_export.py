"""The FHIR R4 export (fhir_r4.export): every resource validates, and the case maps field by field.

No database: cases are plain `CaseData`, flags come from the readiness engine at a fixed moment.
Validated with the R4B models of fhir.resources (the package ships no plain R4; R4B is
wire-compatible with R4 for these resources).
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
from dataclasses import replace
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from checklists.casedata import (
    FLAG_TITLES,
    AllergyData,
    AppointmentData,
    CaseData,
    DriverData,
    LabData,
    MedicationData,
    PatientData,
    ProcedureData,
    SignOffData,
)
from checklists.catalog import RuleConfig
from checklists.rules import evaluate, procedure_times
from fhir_r4 import codes
from fhir_r4.export import case_bundle

UTC = dt.UTC
CONFIG = RuleConfig.defaults("America/New_York")
CASE_UUID = "6f1c2a34-5b6d-4e7f-8a9b-0c1d2e3f4a5b"
START = dt.datetime(2026, 11, 27, 13, 0, tzinfo=UTC)  # Fri 27 Nov 2026 08:00 in New York
AS_OF = dt.datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
LAB_DAY = dt.date(2026, 11, 5)


def make_case(*, start: dt.datetime | None = START, **changes: Any) -> CaseData:
    """A case with a little of everything; keyword arguments replace its fields."""
    case = CaseData(
        reference="VP-1",
        patient=PatientData(
            "Ada",
            "Lovelace",
            dt.date(1950, 1, 1),
            sex="female",
            email="ada@example.org",
            phone="+15551234567",
            language="es",
        ),
        procedure=ProcedureData(levels=("L1", "L2")),
        appointment=AppointmentData(start, "Room 1") if start else None,
        medications=(
            MedicationData("Eliquis 5mg", dose="5 mg", frequency="twice a day"),
            MedicationData("Zzqxblorp"),
        ),
        allergies=(
            AllergyData("iodinated_contrast", substance="iohexol", reaction="hives", severity="severe"),
            AllergyData("latex", severity="mild"),
            AllergyData("local_anesthetic", substance="lidocaine", severity="unknown"),
        ),
        driver=DriverData("Bob", "+15557654321"),
        labs=(LabData("inr", 1.1, LAB_DAY), LabData("platelets", 210, LAB_DAY), LabData("egfr", 72, LAB_DAY)),
    )
    return replace(case, **changes)


def export(case: CaseData, **kwargs: Any) -> dict[str, Any]:
    flags = evaluate(case, CONFIG, AS_OF)
    return case_bundle(case, flags, case_uuid=CASE_UUID, config=CONFIG, **kwargs)


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def the(bundle: dict[str, Any], kind: str) -> dict[str, Any]:
    (found,) = resources(bundle, kind)
    return found


def url_of(bundle: dict[str, Any], resource: dict[str, Any]) -> str:
    return next(e["fullUrl"] for e in bundle["entry"] if e["resource"] is resource)


# --- Validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize("start", [START, None], ids=["scheduled", "unscheduled"])
def test_the_bundle_and_every_resource_validate_as_fhir_r4b(start: dt.datetime | None) -> None:
    signoffs = (
        SignOffData("latex_precautions_arranged", "coordinator", AS_OF, note="Latex-free room"),
        SignOffData(
            "anticoagulant_plan_approved", "dr_kim", AS_OF, medication="Eliquis 5mg", keep_taking=True
        ),
        SignOffData(
            "nsaid_plan_given", "dr_kim", AS_OF, medication="Zzqxblorp", last_dose_on=LAB_DAY, for_start=START
        ),
    )
    bundle = export(make_case(start=start, signoffs=signoffs))
    assert len([t for t in resources(bundle, "Task") if t["status"] == "completed"]) == 3
    Bundle.model_validate(bundle)
    for entry in bundle["entry"]:
        kind = entry["resource"]["resourceType"]
        model = getattr(importlib.import_module(f"fhir.resources.R4B.{kind.lower()}"), kind)
        model.model_validate(entry["resource"])
        assert entry["fullUrl"] == f"urn:uuid:{entry['resource']['id']}"


def test_the_bundle_is_a_collection_named_by_the_case_uuid() -> None:
    bundle = export(make_case())
    assert bundle["type"] == "collection"
    assert bundle["identifier"]["value"] == f"urn:uuid:{CASE_UUID}"


def test_the_library_is_still_importable_beside_the_package() -> None:
    # fhir_r4 must not shadow the fhir.resources namespace package.
    assert importlib.import_module("fhir.resources").__name__ == "fhir.resources"


# --- Patient, appointment ------------------------------------------------------------------------


def test_patient_carries_name_birth_date_gender_telecom_and_language() -> None:
    patient = the(export(make_case()), "Patient")
    assert patient["name"] == [{"family": "Lovelace", "given": ["Ada"]}]
    assert patient["birthDate"] == "1950-01-01"
    assert patient["gender"] == "female"
    assert patient["telecom"] == [
        {"system": "phone", "value": "+15551234567"},
        {"system": "email", "value": "ada@example.org"},
    ]
    (language,) = patient["communication"]
    assert language["language"]["coding"] == [{"system": "urn:ietf:bcp:47", "code": "es"}]
    assert language["preferred"] is True


def test_patient_without_phone_or_email_has_no_telecom() -> None:
    case = make_case()
    case = replace(case, patient=replace(case.patient, phone=None, email=None, sex="unknown"))
    patient = the(export(case), "Patient")
    assert "telecom" not in patient
    assert patient["gender"] == "unknown"


def test_appointment_start_and_end_are_the_procedure_times_in_the_clinic_zone() -> None:
    bundle = export(make_case())
    appointment = the(bundle, "Appointment")
    times = procedure_times(START, 2, CONFIG)
    assert dt.datetime.fromisoformat(appointment["start"]) == times.start
    assert dt.datetime.fromisoformat(appointment["end"]) == times.end
    assert appointment["start"] == "2026-11-27T08:00:00-05:00"
    assert appointment["status"] == "booked"
    location = the(bundle, "Location")
    assert location["name"] == "Room 1"
    actors = [p["actor"]["reference"] for p in appointment["participant"]]
    assert actors == [url_of(bundle, the(bundle, "Patient")), url_of(bundle, location)]


def test_a_case_without_appointment_has_no_appointment_or_location() -> None:
    bundle = export(make_case(start=None))
    assert resources(bundle, "Appointment") == []
    assert resources(bundle, "Location") == []


# --- Medicines, allergies, labs ------------------------------------------------------------------


def test_an_eliquis_line_keeps_its_text_and_carries_rxnorm_apixaban() -> None:
    statement = resources(export(make_case()), "MedicationStatement")[0]
    concept = statement["medicationCodeableConcept"]
    assert concept["text"] == "Eliquis 5mg"
    assert concept["coding"] == [
        {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "1364430", "display": "apixaban"}
    ]
    assert statement["status"] == "active"
    assert statement["dosage"] == [{"text": "5 mg twice a day"}]


def test_an_unknown_medicine_keeps_its_text_with_no_coding() -> None:
    statement = resources(export(make_case()), "MedicationStatement")[1]
    assert statement["medicationCodeableConcept"] == {"text": "Zzqxblorp"}
    assert "dosage" not in statement


def test_a_probable_match_is_not_coded_by_default() -> None:
    case = make_case(medications=(MedicationData("Elliquis"),))
    (statement,) = resources(export(case), "MedicationStatement")
    assert statement["medicationCodeableConcept"] == {"text": "Elliquis"}


def test_matched_names_passed_in_are_coded() -> None:
    case = make_case(medications=(MedicationData("Elliquis"),))
    (statement,) = resources(export(case, matched={"Elliquis": ["apixaban"]}), "MedicationStatement")
    assert [c["code"] for c in statement["medicationCodeableConcept"]["coding"]] == ["1364430"]


def test_a_combination_with_an_uncoded_ingredient_stays_text_only() -> None:
    case = make_case(medications=(MedicationData("Aggrenox"),))  # aspirin + dipyridamole
    (statement,) = resources(export(case), "MedicationStatement")
    assert statement["medicationCodeableConcept"] == {"text": "Aggrenox"}


@pytest.mark.parametrize(
    ("severity", "criticality"),
    [("severe", "high"), ("moderate", "low"), ("mild", "low"), ("unknown", "unable-to-assess")],
)
def test_allergy_criticality_follows_severity(severity: str, criticality: str) -> None:
    case = make_case(allergies=(AllergyData("sedative", severity=severity),))
    assert the(export(case), "AllergyIntolerance")["criticality"] == criticality


def test_allergies_carry_category_code_and_reaction() -> None:
    contrast, latex, local = resources(export(make_case()), "AllergyIntolerance")
    assert contrast["category"] == ["medication"]
    assert contrast["code"]["coding"][0]["code"] == "293637006"
    assert contrast["code"]["text"] == "Iodinated contrast: iohexol"
    assert contrast["reaction"] == [{"manifestation": [{"text": "hives"}], "severity": "severe"}]
    assert latex["category"] == ["environment"]
    assert latex["code"]["coding"][0]["system"] == "http://snomed.info/sct"
    assert local["category"] == ["medication"]
    assert local["code"] == {"text": "Local anaesthetic: lidocaine"}  # no code confirmed: text only


@pytest.mark.parametrize(
    ("test", "loinc", "ucum"),
    [("inr", "6301-6", "{INR}"), ("platelets", "777-3", "10*9/L"), ("egfr", "98979-8", "mL/min/{1.73_m2}")],
)
def test_labs_carry_loinc_and_ucum(test: str, loinc: str, ucum: str) -> None:
    observations = {o["code"]["coding"][0]["code"]: o for o in resources(export(make_case()), "Observation")}
    observation = observations[loinc]
    assert observation["code"]["coding"][0]["system"] == "http://loinc.org"
    assert observation["valueQuantity"]["system"] == "http://unitsofmeasure.org"
    assert observation["valueQuantity"]["code"] == ucum
    assert observation["effectiveDateTime"] == "2026-11-05"
    assert observation["status"] == "final"
    assert codes.LABS[test].loinc.code == loinc


# --- Flags and tasks -----------------------------------------------------------------------------


@pytest.mark.parametrize("start", [START, None], ids=["scheduled", "unscheduled"])
def test_one_flag_and_one_task_per_open_flag_with_due_in_period_and_restriction(
    start: dt.datetime | None,
) -> None:
    case = make_case(start=start)
    open_flags = evaluate(case, CONFIG, AS_OF)
    bundle = export(case)
    fhir_flags, tasks = resources(bundle, "Flag"), resources(bundle, "Task")
    assert len(open_flags) > 1
    assert len(fhir_flags) == len(tasks) == len(open_flags)
    for flag, fhir_flag, task in zip(open_flags, fhir_flags, tasks, strict=True):
        (coding,) = fhir_flag["code"]["coding"]
        assert coding == {
            "system": codes.READINESS_FLAG_SYSTEM,
            "code": flag.code,
            "display": FLAG_TITLES[flag.code],
        }
        assert fhir_flag["code"]["text"] == flag.message
        extensions = {e["url"]: e["valueCode"] for e in fhir_flag["extension"]}
        assert extensions == {codes.SEVERITY_EXTENSION: flag.severity, codes.OWNER_EXTENSION: flag.owner}
        assert task["description"] == flag.message
        assert task["status"] == "requested" and task["intent"] == "order"
        assert task["focus"]["reference"] == url_of(bundle, fhir_flag)
        if flag.due is None:
            assert "period" not in fhir_flag and "restriction" not in task
        else:
            assert dt.datetime.fromisoformat(fhir_flag["period"]["end"]) == flag.due
            assert dt.datetime.fromisoformat(task["restriction"]["period"]["end"]) == flag.due


def test_a_patient_owned_task_is_owned_by_the_patient_and_staff_tasks_by_role() -> None:
    bundle = export(make_case())
    patient_url = url_of(bundle, the(bundle, "Patient"))
    owners = {t["code"]["coding"][0]["code"]: t["owner"] for t in resources(bundle, "Task")}
    assert owners["INTAKE_NOT_SUBMITTED"] == {"reference": patient_url, "display": "Patient"}
    assert owners["CONTRAST_PREMEDICATION"] == {"display": "Clinician"}


def test_a_case_without_flags_has_no_flag_or_task() -> None:
    bundle = case_bundle(make_case(), (), case_uuid=CASE_UUID, config=CONFIG)
    assert resources(bundle, "Flag") == [] and resources(bundle, "Task") == []


# --- Stability -----------------------------------------------------------------------------------


def test_two_exports_of_the_same_case_are_byte_identical() -> None:
    first = json.dumps(export(make_case()), sort_keys=True)
    second = json.dumps(export(make_case()), sort_keys=True)
    assert first == second


def test_another_case_uuid_gives_other_ids() -> None:
    case = make_case()
    flags = evaluate(case, CONFIG, AS_OF)
    one = case_bundle(case, flags, case_uuid=CASE_UUID, config=CONFIG)
    other = case_bundle(case, flags, case_uuid="0b6c4a1e-0000-4000-8000-000000000001", config=CONFIG)
    assert {e["fullUrl"] for e in one["entry"]}.isdisjoint(e["fullUrl"] for e in other["entry"])


def test_a_sign_off_about_a_line_the_case_does_not_have_names_it_without_a_reference() -> None:
    signoff = SignOffData("medication_reviewed", "dr_kim", AS_OF, medication="Coumadin")
    bundle = export(make_case(signoffs=(signoff,)))

    (task,) = [t for t in resources(bundle, "Task") if t["status"] == "completed"]
    assert task["focus"] == {"display": "Coumadin"}
    Bundle.model_validate(bundle)
