"""FHIR Bundles read back into cases (fhir_r4.importing) and `manage.py import_fhir`.

Errors name the resource and the element; a Bundle is held to the case format's rules; and a case
exported, imported into an empty database and exported again gives the same Bundle.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import replace
from typing import Any

import pytest

from checklists.casedata import AllergyData, CaseData, DriverData, LabData, MedicationData, SignOffData
from checklists.casefile import CaseFileError
from checklists.models import Case, Patient
from checklists.rules import evaluate
from checklists.services.imports import cases_import
from fhir_r4.export import case_bundle
from fhir_r4.importing import bundle_to_case
from tests.conftest import TEST_CLOCK
from tests.factories import full_case

pytestmark = pytest.mark.django_db

CASE_UUID = "6f1c2a34-5b6d-4e7f-8a9b-0c1d2e3f4a5b"
START = (TEST_CLOCK + dt.timedelta(days=19)).replace(hour=14, minute=0, second=0, microsecond=0)
LAB_DAY = TEST_CLOCK.date() - dt.timedelta(days=3)
AS_OF = TEST_CLOCK


def exportable(reference: str = "VP-1", start: dt.datetime = START) -> CaseData:
    """`full_case` without intake, driver or sign-offs (tests add what they need), an unknown
    medicine, and labs already taken."""
    case = full_case(reference, start)
    return replace(
        case,
        intake=None,
        driver=None,
        signoffs=(),
        medications=(*case.medications, MedicationData("Zzqxblorp", dose="5 mg", frequency="daily")),
        labs=(LabData("inr", 1.1, LAB_DAY), LabData("platelets", 210.0, LAB_DAY)),
    )


def export(case: CaseData, config) -> dict[str, Any]:
    return case_bundle(case, evaluate(case, config, AS_OF), case_uuid=CASE_UUID, config=config)


def read(doc: dict[str, Any], config, *, reference: str | None = "VP-1", levels=("T12", "L1")) -> CaseData:
    return bundle_to_case(doc, reference=reference, levels=levels, as_of=AS_OF, config=config)


def error_of(doc: Any, config, **kwargs: Any) -> str:
    with pytest.raises(CaseFileError) as raised:
        read(doc, config, **kwargs)
    return str(raised.value)


def index_of(bundle: dict[str, Any], kind: str) -> int:
    return next(i for i, e in enumerate(bundle["entry"]) if e["resource"]["resourceType"] == kind)


def same_ids(text: str) -> str:
    """Every uuid replaced by the order it first appears in: ids derived from another case uuid
    compare equal when they point at the same things."""
    seen: dict[str, str] = {}
    pattern = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    return re.sub(pattern, lambda m: seen.setdefault(m[0], f"uuid-{len(seen)}"), text)


# --- Reading a Bundle ----------------------------------------------------------------------------


def test_an_exported_case_reads_back_as_the_same_case_but_for_dose_and_frequency(config):
    case = exportable()

    back = read(export(case, config), config)

    # The export writes dose and frequency as one text, which comes back as the dose.
    assert back.medications[-1] == MedicationData("Zzqxblorp", dose="5 mg daily")
    assert replace(back, medications=back.medications[:-1]) == replace(
        case, medications=case.medications[:-1]
    )


def test_the_computed_flags_and_tasks_are_skipped(config):
    bundle = export(exportable(), config)
    assert {"Flag", "Task"} <= {e["resource"]["resourceType"] for e in bundle["entry"]}

    assert read(bundle, config).reference == "VP-1"


@pytest.mark.parametrize(
    "allergy",
    [
        AllergyData("iodinated_contrast", "iohexol", "hives", "severe"),
        AllergyData("local_anesthetic", "lidocaine"),
        AllergyData("general_anesthetic"),
        AllergyData("sedative", reaction="rash", severity="mild"),
        AllergyData("latex", reaction="wheeze", severity="moderate"),
        AllergyData("other", "penicillin"),
        AllergyData("other"),
    ],
)
def test_allergies_read_back_as_exported(config, allergy):
    case = replace(exportable(), allergies=(allergy,))

    assert read(export(case, config), config).allergies == (allergy,)


def test_a_mild_allergy_without_a_reaction_comes_back_of_unknown_severity(config):
    # Criticality "low" is mild or moderate: which one cannot be told, so nothing is guessed.
    case = replace(exportable(), allergies=(AllergyData("latex", severity="mild"),))

    assert read(export(case, config), config).allergies == (AllergyData("latex", severity="unknown"),)


def test_an_ehr_allergy_text_is_kept_as_the_substance_of_an_other_allergy(config):
    bundle = export(replace(exportable(), allergies=(AllergyData("other"),)), config)
    allergy = bundle["entry"][index_of(bundle, "AllergyIntolerance")]["resource"]
    allergy["code"] = {"text": "Penicillin"}

    assert read(bundle, config).allergies == (AllergyData("other", "Penicillin"),)


def test_a_phone_is_read_by_the_case_formats_phone_rule(config):
    bundle = export(exportable(), config)
    bundle["entry"][0]["resource"]["telecom"] = [{"system": "phone", "value": "(555) 123-4567"}]

    assert read(bundle, config).patient.phone == "+15551234567"


def test_an_unknown_medication_code_keeps_its_text_and_is_not_recognised(config):
    bundle = export(replace(exportable(), medications=(MedicationData("Zzqxblorp"),)), config)
    statement = bundle["entry"][index_of(bundle, "MedicationStatement")]["resource"]
    statement["medicationCodeableConcept"]["coding"] = [
        {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "99999999", "display": "Zzq"}
    ]

    case = read(bundle, config)

    assert case.medications == (MedicationData("Zzqxblorp"),)
    assert "MEDICATION_UNRECOGNISED" in {f.code for f in evaluate(case, config, AS_OF)}


def test_an_unknown_medication_code_whose_text_names_a_known_drug_is_matched(config):
    bundle = export(replace(exportable(), medications=(MedicationData("Eliquis"),)), config)
    statement = bundle["entry"][index_of(bundle, "MedicationStatement")]["resource"]
    statement["medicationCodeableConcept"]["coding"] = [
        {"system": "urn:oid:2.16.840.1.113883.6.69", "code": "0"}
    ]

    case = read(bundle, config)

    flags = {f.code for f in evaluate(case, config, AS_OF)}
    assert "MEDICATION_UNRECOGNISED" not in flags and "ANTICOAGULANT_HOLD_PLAN" in flags


def test_a_coded_medication_without_text_is_named_by_its_display(config):
    bundle = export(replace(exportable(), medications=(MedicationData("Eliquis"),)), config)
    statement = bundle["entry"][index_of(bundle, "MedicationStatement")]["resource"]
    statement["medicationCodeableConcept"] = {"coding": [{"code": "1364430", "display": "apixaban"}]}

    assert read(bundle, config).medications == (MedicationData("apixaban"),)


def without(bundle: dict[str, Any], kind: str) -> dict[str, Any]:
    """The bundle without its resources of `kind` (an EHR's referral has no ServiceRequest of ours)."""
    kept = [e for e in bundle["entry"] if e["resource"]["resourceType"] != kind]
    for entry in kept:
        entry["resource"].pop("basedOn", None)
    return {**bundle, "entry": kept}


def test_a_usable_bundle_identifier_is_the_reference(config):
    bundle = without(export(exportable(), config), "ServiceRequest")
    bundle["identifier"] = {"system": "https://ehr.example/referral", "value": "REF-77"}

    assert read(bundle, config, reference=None).reference == "REF-77"


# --- Errors name the resource and the element ----------------------------------------------------


def test_not_a_bundle(config):
    assert error_of({"resourceType": "Patient"}, config) == "must be a FHIR Bundle"
    assert error_of([1, 2], config) == "must be a FHIR Bundle"


def test_a_bundle_without_a_patient(config):
    bundle = export(exportable(), config)
    del bundle["entry"][0]

    assert error_of(bundle, config) == "entry: a Patient is required"


def test_an_observation_without_effective_date_time(config):
    bundle = export(exportable(), config)
    n = index_of(bundle, "Observation")
    del bundle["entry"][n]["resource"]["effectiveDateTime"]

    assert error_of(bundle, config) == f"entry[{n}].resource.effectiveDateTime: required"


@pytest.mark.parametrize("kind", ["Condition", "X"])
def test_a_resource_type_the_import_does_not_read(config, kind):
    bundle = export(exportable(), config)
    bundle["entry"].insert(2, {"resource": {"resourceType": kind}})

    assert error_of(bundle, config) == f'entry[2].resource.resourceType: unknown resourceType "{kind}"'


def test_invalid_fhir_is_named_by_its_element(config):
    bundle = export(exportable(), config)
    bundle["entry"][0]["resource"]["birthDate"] = "1950-13-01"

    assert error_of(bundle, config) == "entry[0].resource.birthDate: invalid date"


def test_an_unknown_element_is_refused(config):
    bundle = export(exportable(), config)
    bundle["entry"][0]["resource"]["birthdate"] = "1950-01-01"

    assert error_of(bundle, config) == "entry[0].resource.birthdate: unknown element"


def test_the_case_formats_rules_apply_at_the_fhir_element(config):
    bundle = export(exportable(), config)
    bundle["entry"][0]["resource"]["telecom"].append({"system": "phone", "value": "555-1234"})

    assert error_of(bundle, config) == "entry[0].resource.telecom[1].value: not a valid phone number"


def test_a_lab_taken_in_the_future_is_refused_at_its_date(config):
    bundle = export(exportable(), config)
    n = index_of(bundle, "Observation")
    bundle["entry"][n]["resource"]["effectiveDateTime"] = (
        TEST_CLOCK.date() + dt.timedelta(days=5)
    ).isoformat()

    assert error_of(bundle, config) == f"entry[{n}].resource.effectiveDateTime: after the evaluation date"


def test_a_lab_in_another_unit_is_refused(config):
    bundle = export(exportable(), config)
    n = index_of(bundle, "Observation") + 1  # platelets
    bundle["entry"][n]["resource"]["valueQuantity"]["code"] = "/uL"  # 210 per microlitre is not 210 x 10^9/L

    assert error_of(bundle, config) == f'entry[{n}].resource.valueQuantity.code: must be UCUM "10*9/L"'


@pytest.mark.parametrize(
    ("test", "unit"), [("platelets", "10*3/uL"), ("platelets", "10*3/mm3"), ("inr", "1")]
)
def test_a_lab_in_a_unit_of_the_same_quantity_is_read_as_it_stands(config, test, unit):
    # US laboratories report platelets in thousands per microlitre: 210 x 10^3/uL is 210 x 10^9/L.
    bundle = export(exportable(), config)
    n = index_of(bundle, "Observation") + (1 if test == "platelets" else 0)
    bundle["entry"][n]["resource"]["valueQuantity"]["code"] = unit

    labs = {lab.test: lab.value for lab in read(bundle, config).labs}

    assert labs == {"inr": 1.1, "platelets": 210.0}


def test_without_our_service_request_the_reference_and_the_levels_must_be_given(config):
    bundle = without(export(exportable(), config), "ServiceRequest")

    assert error_of(bundle, config, reference=None) == "reference: required (give --reference)"
    n = index_of(bundle, "Appointment")
    assert error_of(bundle, config, levels=None) == (
        f"entry[{n}].resource.extension: vertebral levels required (give --levels)"
    )


# --- manage.py import_fhir -----------------------------------------------------------------------


def empty_database() -> None:
    Case.objects.all().delete()
    Patient.objects.all().delete()


def test_export_import_into_an_empty_database_and_export_again_gives_the_same_bundle(
    config, run_command, tmp_path
):
    cases_import(cases=[exportable("VP-1")], config=config)
    first = run_command("export_fhir", "--reference", "VP-1")
    assert first.exit_code == 0, first.stderr
    path = tmp_path / "bundles.ndjson"
    path.write_text(first.stdout)
    empty_database()

    result = run_command("import_fhir", str(path))  # the reference, kind and levels travel in the Bundle

    assert result.exit_code == 0, result.stderr
    assert result.stdout == "Imported 1 case: created [VP-1], updated [].\n"
    again = run_command("export_fhir", "--reference", "VP-1")
    assert json.loads(again.stdout)["identifier"] != json.loads(first.stdout)["identifier"]  # a new case uuid
    assert same_ids(again.stdout) == same_ids(first.stdout)


SIGNED = (TEST_CLOCK - dt.timedelta(hours=2)).replace(microsecond=0)


def signed_off(case: CaseData) -> CaseData:
    """`case` with a plain sign-off (with a note) and an anticoagulant plan for its Eliquis line."""
    return replace(
        case,
        signoffs=(
            SignOffData("latex_precautions_arranged", "coordinator", SIGNED, note="Latex-free room booked"),
            SignOffData(
                "anticoagulant_plan_approved",
                "dr_kim",
                SIGNED,
                medication="Eliquis 5mg",
                last_dose_on=START.date() - dt.timedelta(days=3),
                for_start=START,
            ),
        ),
    )


def test_a_case_with_intake_driver_and_sign_offs_round_trips_exactly(config, run_command, tmp_path):
    # The intake travels as a QuestionnaireResponse, the driver as a RelatedPerson and each staff
    # sign-off as a completed Task, so the flags they clear stay cleared.
    case = signed_off(replace(full_case("VP-1", START), labs=exportable().labs))
    cases_import(cases=[case], config=config)
    first = run_command("export_fhir", "--reference", "VP-1").stdout
    path = tmp_path / "bundle.json"
    path.write_text(first)
    empty_database()

    assert run_command("import_fhir", str(path)).exit_code == 0

    again = run_command("export_fhir", "--reference", "VP-1").stdout
    assert same_ids(again) == same_ids(first)
    kinds = {e["resource"]["resourceType"] for e in json.loads(again)["entry"]}
    assert {"QuestionnaireResponse", "RelatedPerson", "Flag", "Task"} <= kinds
    assert "DRIVER_UNCONFIRMED" in flag_codes(again)
    assert {"LATEX_ALLERGY", "ANTICOAGULANT_HOLD_PLAN"}.isdisjoint(flag_codes(again))
    assert len(signoff_tasks(json.loads(again))) == 2


def signoff_tasks(bundle: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    return [
        (i, e["resource"])
        for i, e in enumerate(bundle["entry"])
        if e["resource"]["resourceType"] == "Task" and e["resource"]["status"] == "completed"
    ]


def test_sign_offs_read_back_as_exported(config):
    case = signed_off(exportable())
    keep = SignOffData("nsaid_plan_given", "dr_kim", SIGNED, medication="Tylenol", keep_taking=True)
    case = replace(case, signoffs=(*case.signoffs, keep))

    assert read(export(case, config), config).signoffs == case.signoffs


def test_a_signed_off_plan_is_a_completed_task_about_its_medicine_line(config):
    bundle = export(signed_off(exportable()), config)
    (_, latex), (_, plan) = signoff_tasks(bundle)
    statement = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "MedicationStatement")

    assert plan["code"]["coding"][0]["code"] == "anticoagulant_plan_approved"
    assert plan["owner"] == {"display": "dr_kim"}
    assert plan["focus"] == {"reference": statement["fullUrl"], "display": "Eliquis 5mg"}
    assert [i["type"]["coding"][0]["code"] for i in plan["input"]] == ["last-dose-on", "for-start"]
    assert plan["input"][0]["valueDate"] == (START.date() - dt.timedelta(days=3)).isoformat()
    assert latex["note"] == [{"text": "Latex-free room booked"}] and "focus" not in latex


def test_a_sign_off_about_no_medicine_of_the_bundle_is_refused_at_its_focus(config):
    bundle = export(signed_off(exportable()), config)
    (n, plan) = signoff_tasks(bundle)[1]
    plan["focus"]["reference"] = "urn:uuid:00000000-0000-4000-8000-000000000000"

    assert error_of(bundle, config) == (
        f"entry[{n}].resource.focus.reference: must refer to a MedicationStatement of the Bundle"
    )


def test_a_per_medicine_sign_off_without_its_medicine_is_refused_at_its_focus(config):
    bundle = export(signed_off(exportable()), config)
    (n, plan) = signoff_tasks(bundle)[1]
    del plan["focus"]

    assert error_of(bundle, config).startswith(f"entry[{n}].resource.focus.reference: ")


@pytest.mark.parametrize(
    ("change", "element", "message"),
    [
        (lambda t: t.pop("owner"), "owner.display", "required (who signed off)"),
        (lambda t: t.pop("executionPeriod"), "executionPeriod.end", "required (when it was signed off)"),
        (lambda t: t.update(status="in-progress"), "status", "a sign-off must be completed"),
    ],
)
def test_a_sign_off_task_missing_what_a_sign_off_needs_is_named(config, change, element, message):
    bundle = export(signed_off(exportable()), config)
    (n, latex) = signoff_tasks(bundle)[0]
    change(latex)

    assert error_of(bundle, config) == f"entry[{n}].resource.{element}: {message}"


def test_an_unknown_sign_off_item_is_refused_at_its_code(config):
    bundle = export(signed_off(exportable()), config)
    (n, latex) = signoff_tasks(bundle)[0]
    latex["code"]["coding"][0]["code"] = "all_good"

    assert error_of(bundle, config).startswith(f"entry[{n}].resource.code.coding[0].code: ")


def flag_codes(text: str) -> set[str]:
    entries = json.loads(text)["entry"]
    return {
        e["resource"]["code"]["coding"][0]["code"] for e in entries if e["resource"]["resourceType"] == "Flag"
    }


def test_ndjson_is_all_or_nothing(config, run_command, tmp_path):
    cases_import(cases=[exportable("VP-1"), exportable("VP-2", START + dt.timedelta(hours=3))], config=config)
    first, second = (json.loads(line) for line in run_command("export_fhir").stdout.splitlines())
    n = index_of(second, "Observation")
    del second["entry"][n]["resource"]["effectiveDateTime"]
    path = tmp_path / "bundles.ndjson"
    path.write_text(f"{json.dumps(first)}\n{json.dumps(second)}\n")
    empty_database()

    result = run_command(
        "import_fhir", str(path), "--reference", "VP-1", "VP-2", "--levels", "T12,L1", "T12,L1"
    )

    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == f"{path}: line 2: entry[{n}].resource.effectiveDateTime: required\n"
    assert not Case.objects.exists()


def test_ndjson_of_two_bundles_imports_both(config, run_command, tmp_path):
    cases_import(cases=[exportable("VP-1"), exportable("VP-2", START + dt.timedelta(hours=3))], config=config)
    path = tmp_path / "bundles.ndjson"
    path.write_text(run_command("export_fhir").stdout)
    empty_database()

    result = run_command("import_fhir", str(path), "--reference", "A-1", "A-2", "--levels", "T12,L1", "L2")

    assert result.exit_code == 0, result.stderr
    assert result.stdout == "Imported 2 cases: created [A-1, A-2], updated [].\n"
    assert list(Case.objects.order_by("reference").values_list("reference", "levels")) == [
        ("A-1", ["T12", "L1"]),
        ("A-2", ["L2"]),
    ]


def test_an_overlapping_appointment_is_refused_in_one_line(config, run_command, tmp_path):
    cases_import(cases=[exportable("VP-1")], config=config)
    bundle = json.loads(run_command("export_fhir", "--reference", "VP-1").stdout)
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle, indent=2))

    result = run_command("import_fhir", str(path), "--reference", "VP-2", "--levels", "L1")

    n = index_of(bundle, "Appointment")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith(f"{path}: entry[{n}].resource.start: ")
    assert result.stderr.count("\n") == 1
    assert list(Case.objects.values_list("reference", flat=True)) == ["VP-1"]


def test_a_file_that_is_not_a_bundle_is_one_line(run_command, tmp_path):
    path = tmp_path / "patient.json"
    path.write_text('{"resourceType": "Patient"}')

    result = run_command("import_fhir", str(path), "--reference", "VP-1", "--levels", "L1")

    assert (result.exit_code, result.stderr) == (2, f"{path}: must be a FHIR Bundle\n")


def test_one_reference_for_two_bundles_is_refused(config, run_command, tmp_path):
    cases_import(cases=[exportable("VP-1"), exportable("VP-2", START + dt.timedelta(hours=3))], config=config)
    path = tmp_path / "bundles.ndjson"
    path.write_text(run_command("export_fhir").stdout)

    result = run_command("import_fhir", str(path), "--reference", "VP-1", "--levels", "L1", "L2")

    assert (result.exit_code, result.stderr) == (
        2,
        f"--reference: give one per Bundle (2 in {path}, 1 given)\n",
    )


def test_the_procedure_ordered_travels_in_the_bundle(config):
    case = replace(
        exportable(),
        procedure=replace(
            exportable().procedure, kind="kyphoplasty", anesthesia="general", contrast_planned=False
        ),
    )

    read_back = read(export(case, config), config, reference=None, levels=None)

    assert read_back.reference == case.reference
    assert read_back.procedure == case.procedure


@pytest.mark.parametrize(
    "driver",
    [
        DriverData(
            "Bo Lee", "+15551234567", "son", confirmed_at=AS_OF - dt.timedelta(days=1), confirmed_by="driver"
        ),
        DriverData("Bo Lee", "+15551234567", declined_at=AS_OF - dt.timedelta(hours=3)),
    ],
)
def test_the_driver_and_their_answer_travel_as_a_related_person(config, driver):
    case = replace(exportable(), driver=driver)

    assert read(export(case, config), config, reference=None, levels=None).driver == driver


# --- A medicine by reference (as many EHRs send it) ------------------------------------------------


def test_a_medicine_in_a_contained_medication_is_read_by_its_text(config):
    bundle = export(replace(exportable(), medications=(MedicationData("Eliquis"),)), config)
    n = index_of(bundle, "MedicationStatement")
    statement = bundle["entry"][n]["resource"]
    concept = statement.pop("medicationCodeableConcept")
    statement["contained"] = [{"resourceType": "Medication", "id": "med", "code": concept}]
    statement["medicationReference"] = {"reference": "#med"}

    assert read(bundle, config).medications == (MedicationData("Eliquis"),)


def test_a_medicine_in_a_medication_entry_of_the_bundle_is_read_by_its_coding_display(config):
    bundle = export(replace(exportable(), medications=(MedicationData("Eliquis"),)), config)
    n = index_of(bundle, "MedicationStatement")
    statement = bundle["entry"][n]["resource"]
    del statement["medicationCodeableConcept"]
    url = "urn:uuid:0f0e0d0c-0b0a-4908-8706-050403020100"
    code = {
        "coding": [
            {
                "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                "code": "1364430",
                "display": "apixaban",
            }
        ]
    }
    bundle["entry"].append({"fullUrl": url, "resource": {"resourceType": "Medication", "code": code}})
    statement["medicationReference"] = {"reference": url}

    case = read(bundle, config)

    assert case.medications == (MedicationData("apixaban"),)
    assert "ANTICOAGULANT_HOLD_PLAN" in {f.code for f in evaluate(case, config, AS_OF)}


def test_a_medicine_by_a_reference_the_bundle_does_not_carry_is_read_by_its_display_or_refused(config):
    bundle = export(replace(exportable(), medications=(MedicationData("Eliquis"),)), config)
    n = index_of(bundle, "MedicationStatement")
    statement = bundle["entry"][n]["resource"]
    del statement["medicationCodeableConcept"]
    statement["medicationReference"] = {"reference": "Medication/123", "display": "Eliquis 5 mg tablet"}

    assert read(bundle, config).medications == (MedicationData("Eliquis 5 mg tablet"),)
    del statement["medicationReference"]["display"]
    assert error_of(bundle, config) == (
        f"entry[{n}].resource.medicationReference.reference: "
        "must refer to a Medication of the Bundle or contained"
    )


@pytest.mark.parametrize("status", ["proposed", "pending", "waitlist", "cancelled"])
def test_an_appointment_that_is_not_booked_is_refused_at_its_status(config, status):
    bundle = export(exportable(), config)
    n = index_of(bundle, "Appointment")
    bundle["entry"][n]["resource"]["status"] = status

    assert error_of(bundle, config) == (
        f'entry[{n}].resource.status: "{status}" is not a booking '
        "(send the referral without its Appointment, or once it is booked)"
    )
