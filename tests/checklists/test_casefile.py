"""The JSON case format: parsing, validation errors (path and message), and the round trip."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from checklists.casedata import (
    AllergyData,
    AppointmentData,
    CaseData,
    DriverData,
    IntakeData,
    LabData,
    MedicationData,
    PatientData,
    ProcedureData,
    SignOffData,
)
from checklists.casefile import CaseFileError, cases_to_document, parse_case_document, read_case_file

NEW_YORK = ZoneInfo("America/New_York")
AS_OF = dt.datetime(2026, 3, 12, 10, 0, tzinfo=NEW_YORK)
EXAMPLE = Path(__file__).parents[1] / "data" / "example_case.json"


def ny(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=NEW_YORK)


def full_case() -> dict[str, Any]:
    """Every field of the format, some written loosely (unsorted levels, local phone, spaces)."""
    return {
        "reference": "VP-2026-0142",
        "patient": {
            "first_name": "  Margaret ",
            "last_name": "Olsen",
            "date_of_birth": "1948-06-02",
            "sex": "female",
            "email": "margaret.olsen@example.org",
            "phone": "617-555-0142",
            "language": "en",
        },
        "procedure": {
            "kind": "kyphoplasty",
            "levels": ["L1", "T12"],
            "anesthesia": "general",
            "contrast_planned": True,
        },
        "appointment": {"start": "2026-03-20T08:30:00-04:00", "room": "IR Suite 2"},
        "medications": [
            {
                "name": "Eliquis 5mg",
                "dose": "5 mg",
                "frequency": "twice a day",
                "last_dose_planned": "2026-03-17",
            },
            {"name": "fish oil", "dose": "1000 mg"},
        ],
        "allergies": [
            {
                "category": "iodinated_contrast",
                "substance": "iohexol",
                "reaction": "hives",
                "severity": "moderate",
            }
        ],
        "intake": {
            "submitted_at": "2026-03-09T23:42:10Z",
            "medications_complete": True,
            "no_known_allergies": False,
            "fasting_acknowledged": True,
            "can_lie_prone": False,
            "infection_symptoms": False,
            "pregnant": False,
            "diabetes": "tablets",
        },
        "driver": {
            "name": "Erik Olsen",
            "relationship": "son",
            "phone": "+1 617 555 0199",
            "confirmed_at": "2026-03-11T14:05:00.250-04:00",
        },
        "labs": [
            {"test": "inr", "value": 1.1, "taken_on": "2026-03-09"},
            {"test": "platelets", "value": 212, "taken_on": "2026-03-12"},
        ],
        "verifications": [
            {
                "item": "anticoagulant_plan_approved",
                "by": "dr.nguyen",
                "at": "2026-03-11T09:15:00-04:00",
                "note": "ok",
                "medication": "Eliquis 5mg",
            }
        ],
    }


FULL_CASE_DATA = CaseData(
    reference="VP-2026-0142",
    patient=PatientData(
        first_name="Margaret",
        last_name="Olsen",
        date_of_birth=dt.date(1948, 6, 2),
        sex="female",
        email="margaret.olsen@example.org",
        phone="+16175550142",
        language="en",
    ),
    procedure=ProcedureData(
        levels=("T12", "L1"), kind="kyphoplasty", anesthesia="general", contrast_planned=True
    ),
    appointment=AppointmentData(start=ny(2026, 3, 20, 8, 30), room="IR Suite 2"),
    medications=(
        MedicationData(
            name="Eliquis 5mg", dose="5 mg", frequency="twice a day", last_dose_planned=dt.date(2026, 3, 17)
        ),
        MedicationData(name="fish oil", dose="1000 mg"),
    ),
    allergies=(
        AllergyData(
            category="iodinated_contrast", substance="iohexol", reaction="hives", severity="moderate"
        ),
    ),
    intake=IntakeData(
        submitted_at=dt.datetime(2026, 3, 9, 23, 42, 10, tzinfo=dt.UTC),
        medications_complete=True,
        no_known_allergies=False,
        fasting_acknowledged=True,
        can_lie_prone=False,
        infection_symptoms=False,
        pregnant=False,
        diabetes="tablets",
    ),
    driver=DriverData(
        name="Erik Olsen",
        phone="+16175550199",
        relationship="son",
        confirmed_at=dt.datetime(2026, 3, 11, 14, 5, 0, 250000, tzinfo=NEW_YORK),
    ),
    labs=(
        LabData(test="inr", value=1.1, taken_on=dt.date(2026, 3, 9)),
        LabData(test="platelets", value=212.0, taken_on=dt.date(2026, 3, 12)),
    ),
    signoffs=(
        SignOffData(
            item="anticoagulant_plan_approved",
            by="dr.nguyen",
            at=ny(2026, 3, 11, 9, 15),
            note="ok",
            medication="Eliquis 5mg",
        ),
    ),
)


def minimal_case(reference: str = "VP-1") -> dict[str, Any]:
    return {
        "reference": reference,
        "patient": {"first_name": "Ana", "last_name": "Diaz", "date_of_birth": "1950-01-31"},
        "procedure": {"levels": ["T8"]},
    }


def parse_one(doc: Any, **kwargs: Any) -> CaseData:
    [case] = parse_case_document(doc, as_of=AS_OF, **kwargs)
    return case


def error_of(doc: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(CaseFileError) as info:
        parse_case_document(doc, as_of=kwargs.pop("as_of", AS_OF), **kwargs)
    return info.value.path, info.value.message


_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _walk(doc: Any, path: str) -> tuple[Any, str | int]:
    """The container holding `path`'s last step, and that step (a key or an index)."""
    steps: list[str | int] = [int(i) if i else key for key, i in _STEP.findall(path)]
    for step in steps[:-1]:
        doc = doc[step]
    return doc, steps[-1]


def changed(path: str, value: Any, doc: dict[str, Any] | None = None) -> dict[str, Any]:
    """A copy of `doc` (default: the full case) with the field at `path` set to `value`."""
    doc = copy.deepcopy(full_case() if doc is None else doc)
    parent, step = _walk(doc, path)
    parent[step] = value
    return doc


def without(path: str, doc: dict[str, Any] | None = None) -> dict[str, Any]:
    doc = copy.deepcopy(full_case() if doc is None else doc)
    parent, step = _walk(doc, path)
    del parent[step]
    return doc


# --- valid documents -----------------------------------------------------------------------


def test_a_full_case_parses_to_the_expected_dataclasses() -> None:
    assert parse_one(full_case()) == FULL_CASE_DATA


def test_date_times_are_stored_aware_in_utc() -> None:
    case = parse_one(full_case())
    assert case.appointment is not None
    assert case.appointment.start.tzinfo is dt.UTC
    assert case.appointment.start == dt.datetime(2026, 3, 20, 12, 30, tzinfo=dt.UTC)


def test_a_minimal_case_gets_the_documented_defaults() -> None:
    case = parse_one(minimal_case())
    assert case == CaseData(
        reference="VP-1",
        patient=PatientData(first_name="Ana", last_name="Diaz", date_of_birth=dt.date(1950, 1, 31)),
        procedure=ProcedureData(levels=("T8",)),
    )
    assert (case.patient.sex, case.patient.language) == ("unknown", "en")
    assert (case.procedure.kind, case.procedure.anesthesia, case.procedure.contrast_planned) == (
        "vertebroplasty",
        "local_sedation",
        True,
    )
    assert case.appointment is None and case.intake is None and case.driver is None
    assert case.medications == case.allergies == case.labs == case.signoffs == ()


def test_null_optional_fields_are_the_same_as_omitted_ones() -> None:
    doc = minimal_case()
    doc["patient"].update(sex=None, email=None, phone=None, language=None)
    doc["procedure"].update(kind=None, anesthesia=None, contrast_planned=None)
    doc.update(appointment=None, medications=None, allergies=None, intake=None, driver=None, labs=None)
    doc["verifications"] = None
    assert parse_one(doc) == parse_one(minimal_case())


def test_intake_defaults_are_false_except_the_unsure_answers_which_are_null() -> None:
    doc = changed("intake", {"submitted_at": "2026-03-09T10:00:00-04:00"}, minimal_case())
    intake = parse_one(doc).intake
    assert intake == IntakeData(submitted_at=ny(2026, 3, 9, 10, 0))
    assert intake.can_lie_prone is None and intake.pregnant is None
    assert not (intake.medications_complete or intake.no_known_allergies or intake.fasting_acknowledged)
    assert (intake.infection_symptoms, intake.diabetes) == (False, "none")


def test_allergy_severity_defaults_to_unknown() -> None:
    doc = changed("allergies", [{"category": "latex"}], minimal_case())
    assert parse_one(doc).allergies == (AllergyData(category="latex", severity="unknown"),)


def test_blank_optional_strings_are_treated_as_absent() -> None:
    doc = changed("medications", [{"name": "aspirin", "dose": "  ", "frequency": ""}], minimal_case())
    assert parse_one(doc).medications == (MedicationData(name="aspirin"),)
    assert parse_one(changed("patient.email", " ", minimal_case())).patient.email is None


def test_levels_are_stored_in_spinal_order() -> None:
    doc = changed("procedure.levels", ["S1", "L1", "C7", "T12", "T2", "L5"], minimal_case())
    assert parse_one(doc).procedure.levels == ("C7", "T2", "T12", "L1", "L5", "S1")


def test_an_integer_lab_value_is_stored_as_a_float() -> None:
    value = parse_one(full_case()).labs[1].value
    assert value == 212.0 and isinstance(value, float)


def test_the_spec_example_phone_number_is_accepted_though_555_numbers_are_not_assigned() -> None:
    assert parse_one(changed("patient.phone", "+15551234567")).patient.phone == "+15551234567"


def test_phone_numbers_without_a_plus_use_the_given_region() -> None:
    doc = changed("patient.phone", "020 7946 0018")
    assert parse_one(doc, phone_region="GB").patient.phone == "+442079460018"


def test_a_date_time_in_z_with_fractional_seconds_is_accepted() -> None:
    doc = changed("appointment.start", "2026-03-20T12:30:00.5Z")
    appointment = parse_one(doc).appointment
    assert appointment is not None
    assert appointment.start == dt.datetime(2026, 3, 20, 12, 30, 0, 500000, tzinfo=dt.UTC)


def test_a_date_time_without_seconds_is_accepted() -> None:
    appointment = parse_one(changed("appointment.start", "2026-03-20T08:30-04:00")).appointment
    assert appointment is not None and appointment.start == ny(2026, 3, 20, 8, 30)


def test_a_lab_taken_on_the_evaluation_date_is_accepted() -> None:
    assert parse_one(full_case()).labs[1].taken_on == AS_OF.date()


def test_a_list_document_gives_one_case_per_item_in_order() -> None:
    cases = parse_case_document({"cases": [minimal_case("A"), full_case()]}, as_of=AS_OF)
    assert [c.reference for c in cases] == ["A", "VP-2026-0142"]


def test_an_empty_case_list_is_valid() -> None:
    assert parse_case_document({"cases": []}, as_of=AS_OF) == []


def test_a_naive_as_of_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_case_document(minimal_case(), as_of=dt.datetime(2026, 3, 12, 10, 0))  # noqa: DTZ001


# --- paths: single object vs list ----------------------------------------------------------


def test_errors_in_a_single_case_object_have_no_prefix() -> None:
    doc = changed("medications[1].name", " ")
    assert error_of(doc) == ("medications[1].name", "required")


def test_errors_in_a_case_list_start_with_the_case_index() -> None:
    doc = {"cases": [minimal_case("A"), changed("medications[1].name", " ")]}
    assert error_of(doc) == ("cases[1].medications[1].name", "required")


def test_the_error_message_reads_path_colon_message() -> None:
    assert (
        str(CaseFileError("cases[0].medications[2].name", "required"))
        == "cases[0].medications[2].name: required"
    )
    assert str(CaseFileError("", "must be a JSON object")) == "must be a JSON object"


def test_only_the_first_error_in_document_order_is_reported() -> None:
    doc = changed("medications[0].name", "", changed("patient.first_name", ""))
    assert error_of(doc) == ("patient.first_name", "required")
    # The same two errors with medications written before the patient.
    reordered = {"medications": doc.pop("medications"), **doc}
    assert error_of(reordered) == ("medications[0].name", "required")


def test_an_error_in_an_earlier_case_wins_over_a_later_one() -> None:
    doc = {"cases": [changed("patient.sex", "f"), changed("patient.first_name", "")]}
    assert error_of(doc) == ("cases[0].patient.sex", "must be one of: female, male, other, unknown")


def test_a_present_bad_field_is_reported_before_a_missing_required_one() -> None:
    doc = without("patient.first_name", changed("patient.sex", "f"))
    assert error_of(doc) == ("patient.sex", "must be one of: female, male, other, unknown")


# --- every validation error: path and message ----------------------------------------------

ENUM_ERRORS = [
    ("patient.sex", "F", "must be one of: female, male, other, unknown"),
    ("patient.language", "fr", "must be one of: en, es"),
    ("procedure.kind", "cementoplasty", "must be one of: vertebroplasty, kyphoplasty"),
    ("procedure.anesthesia", "spinal", "must be one of: local_sedation, general"),
    (
        "allergies[0].category",
        "penicillin",
        "must be one of: iodinated_contrast, local_anesthetic, general_anesthetic, sedative, latex, other",
    ),
    ("allergies[0].severity", "bad", "must be one of: mild, moderate, severe, unknown"),
    ("intake.diabetes", "type 2", "must be one of: none, diet, tablets, insulin"),
    ("labs[0].test", "hemoglobin", "must be one of: inr, platelets, egfr"),
    ("patient.sex", 1, "must be one of: female, male, other, unknown"),
]


@pytest.mark.parametrize(("path", "value", "message"), ENUM_ERRORS)
def test_a_value_outside_its_list_of_choices_is_rejected(path: str, value: Any, message: str) -> None:
    assert error_of(changed(path, value)) == (path, message)


def test_an_unknown_sign_off_item_lists_the_sign_off_items() -> None:
    path, message = error_of(changed("verifications[0].item", "labs_ok"))
    assert path == "verifications[0].item"
    assert message.startswith(
        "must be one of: anticoagulant_plan_approved, anticoagulant_exception_approved,"
    )
    assert message.endswith("infection_cleared, pregnancy_excluded")


UNKNOWN_FIELDS = [
    "referense",
    "patient.middle_name",
    "procedure.level",
    "appointment.end",
    "medications[1].dosage",
    "allergies[0].notes",
    "intake.smoker",
    "driver.email",
    "labs[0].unit",
    "verifications[0].role",
]


@pytest.mark.parametrize("path", UNKNOWN_FIELDS)
def test_an_unknown_field_is_an_error_at_its_own_path(path: str) -> None:
    assert error_of(changed(path, "x")) == (path, "unknown field")


def test_an_unknown_field_beside_cases_is_an_error() -> None:
    assert error_of({"cases": [minimal_case()], "version": 2}) == ("version", "unknown field")


REQUIRED_FIELDS = [
    "reference",
    "patient",
    "procedure",
    "patient.first_name",
    "patient.last_name",
    "patient.date_of_birth",
    "procedure.levels",
    "appointment.start",
    "appointment.room",
    "medications[0].name",
    "allergies[0].category",
    "intake.submitted_at",
    "driver.name",
    "driver.phone",
    "labs[0].test",
    "labs[0].value",
    "labs[0].taken_on",
    "verifications[0].item",
    "verifications[0].by",
    "verifications[0].at",
]


@pytest.mark.parametrize("path", REQUIRED_FIELDS)
def test_a_missing_required_field_is_reported_as_required(path: str) -> None:
    assert error_of(without(path)) == (path, "required")


@pytest.mark.parametrize("path", REQUIRED_FIELDS)
def test_a_null_required_field_is_reported_as_required(path: str) -> None:
    assert error_of(changed(path, None)) == (path, "required")


@pytest.mark.parametrize(
    "path",
    [
        "reference",
        "patient.first_name",
        "patient.last_name",
        "appointment.room",
        "medications[0].name",
        "driver.name",
        "driver.phone",
        "verifications[0].by",
    ],
)
def test_a_blank_required_string_is_reported_as_required(path: str) -> None:
    assert error_of(changed(path, " \t ")) == (path, "required")


WRONG_TYPES = [
    ("patient", "Margaret Olsen", "must be an object"),
    ("procedure", ["T12"], "must be an object"),
    ("appointment", "2026-03-20T08:30:00-04:00", "must be an object"),
    ("intake", True, "must be an object"),
    ("driver", "Erik", "must be an object"),
    ("medications[0]", "Eliquis", "must be an object"),
    ("medications", {"name": "Eliquis"}, "must be a list"),
    ("allergies", "none", "must be a list"),
    ("labs", {}, "must be a list"),
    ("verifications", "yes", "must be a list"),
    ("procedure.levels", "T12", "must be a list"),
    ("reference", 142, "must be a string"),
    ("patient.first_name", ["Margaret"], "must be a string"),
    ("medications[0].dose", 5, "must be a string"),
    ("verifications[0].note", False, "must be a string"),
    ("procedure.contrast_planned", 1, "must be true or false"),
    ("procedure.contrast_planned", "true", "must be true or false"),
    ("intake.medications_complete", 0, "must be true or false"),
    ("intake.can_lie_prone", "unsure", "must be true or false"),
    ("labs[0].value", True, "must be a number"),
    ("labs[0].value", "1.1", "must be a number"),
    ("patient.date_of_birth", 19480602, "must be a date YYYY-MM-DD"),
    ("appointment.start", 1773923400, "must be a date-time YYYY-MM-DDTHH:MM:SS with a UTC offset"),
]


@pytest.mark.parametrize(("path", "value", "message"), WRONG_TYPES)
def test_a_value_of_the_wrong_json_type_is_rejected(path: str, value: Any, message: str) -> None:
    assert error_of(changed(path, value)) == (path, message)


def test_a_document_that_is_not_an_object_is_rejected_as_a_whole() -> None:
    assert error_of([minimal_case()]) == ("", 'must be a JSON object (one case, or {"cases": [...]})')


def test_cases_must_be_a_list_of_objects() -> None:
    assert error_of({"cases": minimal_case()}) == ("cases", "must be a list")
    assert error_of({"cases": [minimal_case(), "VP-2"]}) == ("cases[1]", "must be an object")


DATE_ERRORS = [
    ("patient.date_of_birth", "06/02/1948", "must be a date YYYY-MM-DD"),
    ("patient.date_of_birth", "19480602", "must be a date YYYY-MM-DD"),
    ("patient.date_of_birth", "1948-6-2", "must be a date YYYY-MM-DD"),
    ("patient.date_of_birth", "1948-06-02T00:00:00Z", "must be a date YYYY-MM-DD"),
    ("patient.date_of_birth", "1948-02-30", "not a real date"),
    ("medications[0].last_dose_planned", "2026-13-01", "not a real date"),
    ("labs[0].taken_on", "2026-02-29", "not a real date"),
    ("labs[0].taken_on", "yesterday", "must be a date YYYY-MM-DD"),
]


@pytest.mark.parametrize(("path", "value", "message"), DATE_ERRORS)
def test_dates_must_be_real_and_written_yyyy_mm_dd(path: str, value: str, message: str) -> None:
    assert error_of(changed(path, value)) == (path, message)


DATETIME_ERRORS = [
    ("appointment.start", "2026-03-20T08:30:00", "must be a date-time with a UTC offset"),
    ("intake.submitted_at", "2026-03-09T19:42", "must be a date-time with a UTC offset"),
    ("driver.confirmed_at", "2026-03-20", "must be a date-time YYYY-MM-DDTHH:MM:SS with a UTC offset"),
    (
        "verifications[0].at",
        "2026-03-11 09:15:00-04:00",
        "must be a date-time YYYY-MM-DDTHH:MM:SS with a UTC offset",
    ),
    (
        "appointment.start",
        "2026-03-20T08:30:00-0400",
        "must be a date-time YYYY-MM-DDTHH:MM:SS with a UTC offset",
    ),
    ("appointment.start", "20260320T083000Z", "must be a date-time YYYY-MM-DDTHH:MM:SS with a UTC offset"),
    ("appointment.start", "2026-03-32T08:30:00Z", "not a real date-time"),
    ("appointment.start", "2026-03-20T24:00:00Z", "not a real date-time"),
    ("appointment.start", "2026-03-20T08:30:00+24:00", "not a real date-time"),
    ("appointment.start", "0001-01-01T00:00:00+01:00", "not a real date-time"),
]


@pytest.mark.parametrize(("path", "value", "message"), DATETIME_ERRORS)
def test_date_times_must_be_iso_8601_with_a_utc_offset(path: str, value: str, message: str) -> None:
    assert error_of(changed(path, value)) == (path, message)


def test_a_date_of_birth_today_or_later_is_not_in_the_past() -> None:
    for born in ("2026-03-12", "2030-01-01"):
        assert error_of(changed("patient.date_of_birth", born)) == (
            "patient.date_of_birth",
            "must be in the past",
        )


def test_a_lab_taken_after_the_evaluation_date_is_rejected() -> None:
    doc = changed("labs[1].taken_on", "2026-03-13")
    assert error_of(doc) == ("labs[1].taken_on", "after the evaluation date")


def test_the_evaluation_date_is_taken_in_the_clinic_time_zone_whatever_the_offset_of_as_of() -> None:
    # 22:00 in New York on the 12th is already the 13th in UTC; for a New York clinic it is the 12th.
    late_evening_utc = dt.datetime(2026, 3, 12, 22, 0, tzinfo=NEW_YORK).astimezone(dt.UTC)
    doc = changed("labs[1].taken_on", "2026-03-13")
    assert error_of(doc, as_of=late_evening_utc, time_zone=NEW_YORK) == (
        "labs[1].taken_on",
        "after the evaluation date",
    )
    assert parse_one(changed("labs[1].taken_on", "2026-03-12")).labs[1].taken_on == dt.date(2026, 3, 12)


def test_a_sydney_clinic_accepts_a_lab_taken_today_there_when_as_of_is_written_in_utc() -> None:
    # 23:00 UTC on the 12th is 10:00 on the 13th in Sydney: a lab dated the 13th is not in the future.
    as_of = dt.datetime(2026, 3, 12, 23, 0, tzinfo=dt.UTC)
    doc = changed("labs[1].taken_on", "2026-03-13")
    [case] = parse_case_document(doc, as_of=as_of, time_zone=ZoneInfo("Australia/Sydney"))
    assert case.labs[1].taken_on == dt.date(2026, 3, 13)
    assert error_of(doc, as_of=as_of) == ("labs[1].taken_on", "after the evaluation date")  # a UTC clinic


@pytest.mark.parametrize(
    ("levels", "path", "message"),
    [
        ([], "procedure.levels", "must list 1 to 6 levels"),
        (["T6", "T7", "T8", "T9", "T10", "T11", "T12"], "procedure.levels", "must list 1 to 6 levels"),
        (["T12", "L1", "T12"], "procedure.levels[2]", "duplicate level T12"),
        (["T12", "T13"], "procedure.levels[1]", "must be a vertebral level: C1-C7, T1-T12, L1-L5 or S1"),
        (["t12"], "procedure.levels[0]", "must be a vertebral level: C1-C7, T1-T12, L1-L5 or S1"),
        ([12], "procedure.levels[0]", "must be a vertebral level: C1-C7, T1-T12, L1-L5 or S1"),
    ],
)
def test_levels_must_be_one_to_six_distinct_vertebral_levels(
    levels: list[Any], path: str, message: str
) -> None:
    assert error_of(changed("procedure.levels", levels)) == (path, message)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("patient.phone", "12345", "not a valid phone number"),
        ("patient.phone", "555-1234", "not a valid phone number"),  # no area code: not E.164-able
        ("patient.phone", "call my daughter", "not a valid phone number"),
        ("patient.phone", "+1 617 555 0142 ext. 12", "extensions are not supported"),
        ("driver.phone", "+1 617 555", "not a valid phone number"),
        ("patient.phone", 6175550142, "must be a string"),
    ],
)
def test_phone_numbers_must_be_possible_numbers(path: str, value: Any, message: str) -> None:
    assert error_of(changed(path, value)) == (path, message)


@pytest.mark.parametrize("email", ["margaret.olsen", "margaret@", "margaret olsen@example.org"])
def test_an_invalid_email_address_is_rejected(email: str) -> None:
    assert error_of(changed("patient.email", email)) == ("patient.email", "not a valid email address")


def test_no_known_allergies_must_be_false_when_allergies_are_listed() -> None:
    doc = changed("intake.no_known_allergies", True)
    assert error_of(doc) == ("intake.no_known_allergies", "must be false when allergies are listed")
    in_list = {"cases": [doc]}
    assert error_of(in_list) == (
        "cases[0].intake.no_known_allergies",
        "must be false when allergies are listed",
    )


def test_no_known_allergies_may_be_true_with_an_empty_allergy_list() -> None:
    doc = changed("allergies", [], changed("intake.no_known_allergies", True))
    intake = parse_one(doc).intake
    assert intake is not None and intake.no_known_allergies is True


def test_a_reference_used_twice_is_an_error_on_the_later_case() -> None:
    doc = {"cases": [minimal_case("VP-1"), minimal_case("VP-2"), minimal_case("VP-1")]}
    assert error_of(doc) == ("cases[2].reference", "duplicate reference (also cases[0])")


def test_references_are_compared_after_stripping_spaces() -> None:
    doc = {"cases": [minimal_case("VP-1"), minimal_case(" VP-1 ")]}
    assert error_of(doc) == ("cases[1].reference", "duplicate reference (also cases[0])")


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("VP 1", "may contain only letters, digits, '.', '_' and '-'"),
        ("VP/1", "may contain only letters, digits, '.', '_' and '-'"),
        ("VP-١٢", "may contain only letters, digits, '.', '_' and '-'"),  # Arabic-Indic digits
        ("x" * 65, "too long (max 64 characters)"),
    ],
)
def test_a_reference_is_1_to_64_letters_digits_dots_dashes_or_underscores(
    reference: str, message: str
) -> None:
    assert error_of(changed("reference", reference)) == ("reference", message)


def test_a_64_character_reference_is_accepted() -> None:
    assert parse_one(changed("reference", "a.b_c-" + "9" * 58)).reference == "a.b_c-" + "9" * 58


@pytest.mark.parametrize(
    ("path", "limit"),
    [
        ("patient.first_name", 100),
        ("patient.last_name", 100),
        ("appointment.room", 100),
        ("medications[0].name", 200),
        ("medications[0].dose", 200),
        ("medications[0].frequency", 200),
        ("allergies[0].substance", 200),
        ("allergies[0].reaction", 200),
        ("driver.name", 100),
        ("driver.relationship", 100),
        ("verifications[0].by", 150),
        ("verifications[0].note", 1000),
    ],
)
def test_a_string_longer_than_its_limit_is_rejected(path: str, limit: int) -> None:
    doc = full_case()
    doc["verifications"][0]["item"] = "labs_reviewed"  # case-wide: names no medication line
    del doc["verifications"][0]["medication"]
    assert parse_one(changed(path, "x" * limit, doc))  # exactly at the limit is fine
    assert error_of(changed(path, "x" * (limit + 1), doc)) == (path, f"too long (max {limit} characters)")


def test_the_length_limit_applies_after_stripping() -> None:
    assert parse_one(changed("patient.first_name", "  " + "x" * 100 + "  ")).patient.first_name == "x" * 100


def test_a_nul_character_in_a_string_is_rejected() -> None:
    doc = changed("medications[0].name", "Eliquis\x00")
    assert error_of(doc) == ("medications[0].name", "must not contain NUL characters")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-0.1, "must not be negative"),
        (float("nan"), "must be a finite number"),
        (float("inf"), "must be a finite number"),
        (10**400, "must be a finite number"),
        (None, "required"),
        ([1.1], "must be a number"),
    ],
)
def test_a_lab_value_must_be_a_finite_non_negative_number(value: Any, message: str) -> None:
    assert error_of(changed("labs[0].value", value)) == ("labs[0].value", message)


def test_a_sign_off_item_given_twice_in_one_case_is_rejected() -> None:
    doc = full_case()
    doc["verifications"].append(
        {
            "item": "anticoagulant_plan_approved",
            "by": "dr.lee",
            "at": "2026-03-11T10:00Z",
            "medication": "Eliquis 5mg",
        }
    )
    assert error_of(doc) == (
        "verifications[1].item",
        "duplicate item for this medication (also verifications[0])",
    )


# --- serializing and the round trip --------------------------------------------------------


def round_trip(cases: list[CaseData], time_zone: ZoneInfo = NEW_YORK) -> list[CaseData]:
    # Through real JSON text, as export then import would do it.
    text = json.dumps(cases_to_document(cases, time_zone=time_zone))
    return parse_case_document(json.loads(text), as_of=AS_OF)


def test_a_full_case_survives_the_round_trip() -> None:
    assert round_trip([FULL_CASE_DATA]) == [FULL_CASE_DATA]


def test_a_minimal_case_survives_the_round_trip() -> None:
    minimal = parse_one(minimal_case())
    assert round_trip([minimal, FULL_CASE_DATA], ZoneInfo("UTC")) == [minimal, FULL_CASE_DATA]


def test_the_example_file_survives_the_round_trip() -> None:
    cases = read_case_file(EXAMPLE, as_of=AS_OF)
    assert round_trip(cases) == cases


def test_export_writes_date_times_with_the_offset_of_the_given_zone() -> None:
    [doc] = cases_to_document([FULL_CASE_DATA], time_zone=NEW_YORK)["cases"]
    assert doc["appointment"]["start"] == "2026-03-20T08:30:00-04:00"  # EDT
    assert doc["intake"]["submitted_at"] == "2026-03-09T19:42:10-04:00"  # stored as UTC
    assert doc["driver"]["confirmed_at"] == "2026-03-11T14:05:00.250000-04:00"
    winter = cases_to_document([_with_start(ny(2026, 1, 6, 9, 0))], time_zone=NEW_YORK)
    assert winter["cases"][0]["appointment"]["start"] == "2026-01-06T09:00:00-05:00"  # EST
    utc = cases_to_document([FULL_CASE_DATA], time_zone=ZoneInfo("UTC"))
    assert utc["cases"][0]["appointment"]["start"] == "2026-03-20T12:30:00+00:00"


def _with_start(start: dt.datetime) -> CaseData:
    return replace(FULL_CASE_DATA, appointment=AppointmentData(start=start, room="IR Suite 2"))


def test_export_writes_the_full_case_in_the_documented_format() -> None:
    [doc] = cases_to_document([FULL_CASE_DATA], time_zone=NEW_YORK)["cases"]
    assert doc["patient"] == {
        "first_name": "Margaret",
        "last_name": "Olsen",
        "date_of_birth": "1948-06-02",
        "sex": "female",
        "email": "margaret.olsen@example.org",
        "phone": "+16175550142",
        "language": "en",
    }
    assert doc["procedure"] == {
        "kind": "kyphoplasty",
        "levels": ["T12", "L1"],
        "anesthesia": "general",
        "contrast_planned": True,
    }
    assert doc["medications"][1] == {"name": "fish oil", "dose": "1000 mg"}
    assert doc["labs"] == [
        {"test": "inr", "value": 1.1, "taken_on": "2026-03-09"},
        {"test": "platelets", "value": 212.0, "taken_on": "2026-03-12"},
    ]


def test_export_omits_optional_fields_that_are_none() -> None:
    case = parse_one(changed("intake", {"submitted_at": "2026-03-09T10:00:00Z"}, minimal_case()))
    [doc] = cases_to_document([case], time_zone=NEW_YORK)["cases"]
    assert set(doc) == {
        "reference",
        "patient",
        "procedure",
        "medications",
        "allergies",
        "intake",
        "labs",
        "verifications",
    }
    assert set(doc["patient"]) == {"first_name", "last_name", "date_of_birth", "sex", "language"}
    assert "can_lie_prone" not in doc["intake"] and "pregnant" not in doc["intake"]
    assert doc["medications"] == doc["allergies"] == doc["labs"] == doc["verifications"] == []


def test_export_puts_levels_in_spinal_order() -> None:
    case = replace(FULL_CASE_DATA, procedure=ProcedureData(levels=("L1", "T12", "C2")))
    [doc] = cases_to_document([case], time_zone=NEW_YORK)["cases"]
    assert doc["procedure"]["levels"] == ["C2", "T12", "L1"]


def test_export_of_no_cases_is_an_empty_list() -> None:
    assert cases_to_document([], time_zone=NEW_YORK) == {"cases": []}


# --- files ---------------------------------------------------------------------------------


def test_the_example_file_parses() -> None:
    cases = read_case_file(EXAMPLE, as_of=AS_OF)
    assert [c.reference for c in cases] == ["VP-2026-0142", "VP-2026-0157", "VP-2026-0160"]
    full, unscheduled, _ = cases
    assert full.procedure.levels == ("T12", "L1")
    assert [m.name for m in full.medications] == ["Eliquis 5mg", "fish oil", "Tylenol"]
    assert full.allergies[0].category == "iodinated_contrast"
    assert full.patient.phone == "+16175550142"
    assert full.driver is not None and full.driver.confirmed_at == ny(2026, 3, 11, 14, 5)
    assert full.intake is not None and full.intake.medications_complete
    assert [v.item for v in full.signoffs] == ["anticoagulant_plan_approved"]
    assert unscheduled.appointment is None and unscheduled.intake is None and unscheduled.driver is None
    assert unscheduled.patient.language == "es"


def test_reading_a_missing_file_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "cases.json"
    with pytest.raises(CaseFileError) as info:
        read_case_file(missing, as_of=AS_OF)
    assert info.value.path == ""
    assert str(info.value) == f"{missing}: cannot read file: No such file or directory"


def test_reading_invalid_json_gives_the_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "cases.json"
    path.write_text('{\n  "cases": [\n    {"reference": "VP-1"\n    "patient": {}}\n  ]\n}\n')
    with pytest.raises(CaseFileError) as info:
        read_case_file(path, as_of=AS_OF)
    assert str(info.value) == f"{path}: invalid JSON at line 4, column 5: Expecting ',' delimiter"


def test_reading_a_file_that_is_not_utf8_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "cases.json"
    path.write_bytes('{"reference": "Ortega Ramírez"}'.encode("latin-1"))
    with pytest.raises(CaseFileError, match=r"cases\.json: not UTF-8 text"):
        read_case_file(path, as_of=AS_OF)


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "cases.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(minimal_case()).encode())
    assert [c.reference for c in read_case_file(path, as_of=AS_OF)] == ["VP-1"]


def test_validation_errors_from_a_file_carry_the_json_path(tmp_path: Path) -> None:
    path = tmp_path / "cases.json"
    path.write_text(json.dumps({"cases": [changed("medications[1].name", "")]}))
    with pytest.raises(CaseFileError) as info:
        read_case_file(path, as_of=AS_OF)
    assert str(info.value) == "cases[0].medications[1].name: required"


def test_a_key_given_twice_in_a_file_is_rejected_rather_than_silently_dropped(tmp_path: Path) -> None:
    path = tmp_path / "cases.json"
    path.write_text(
        '{"reference": "VP-1", "patient": {"first_name": "Ana", "last_name": "Diaz",'
        ' "date_of_birth": "1950-01-31"}, "procedure": {"levels": ["T8"]},'
        ' "medications": [{"name": "Eliquis"}], "medications": []}'
    )
    with pytest.raises(CaseFileError) as info:
        read_case_file(path, as_of=AS_OF)
    assert (info.value.path, info.value.message) == ("medications", "given more than once")


# --- the driver's own answer (confirmed by link, or declined) ------------------------------


def test_who_confirmed_the_driver_and_a_refusal_by_link_parse_and_survive_the_round_trip() -> None:
    by_link = parse_one(changed("driver.confirmed_by", "driver"))
    declined = parse_one(
        changed("driver.declined_at", "2026-03-11T18:00:00-04:00", without("driver.confirmed_at"))
    )
    declined = replace(declined, reference="VP-2")

    assert by_link.driver.confirmed_by == "driver"
    assert (declined.driver.confirmed_at, declined.driver.declined_at) == (None, ny(2026, 3, 11, 18))
    assert round_trip([by_link, declined]) == [by_link, declined]


@pytest.mark.parametrize(
    ("doc", "error"),
    [
        (
            changed("driver.declined_at", "2026-03-11T18:00:00-04:00"),
            ("driver.declined_at", "a confirmed driver cannot also have declined"),
        ),
        (
            changed("driver.confirmed_by", "coordinator", without("driver.confirmed_at")),
            ("driver.confirmed_by", "needs confirmed_at"),
        ),
    ],
)
def test_a_driver_both_confirmed_and_declined_or_confirmed_with_no_time_is_refused(doc, error) -> None:
    assert error_of(doc) == error
