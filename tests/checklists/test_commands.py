"""The case-file commands as a coordinator or script runs them: output, exit codes, writes."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from checklists.models import Appointment, Case, Medication, Patient, Room, SignOff
from tests.conftest import DATA, minimal_case

pytestmark = pytest.mark.django_db
EXAMPLE = str(DATA / "example_case.json")
AS_OF = "2026-03-12T09:00:00-04:00"


def test_evaluate_case_prints_the_documented_json_for_the_example_file(run_command, settings):
    result = run_command("evaluate_case", EXAMPLE, "--as-of", AS_OF)

    assert result.exit_code == 0, result.stderr
    cases = result.json["cases"]
    assert [c["reference"] for c in cases] == ["VP-2026-0142", "VP-2026-0157", "VP-2026-0160"]
    assert {c["readiness"] for c in cases} == {"not_ready"}
    for flag in (f for c in cases for f in c["flags"]):
        assert set(flag) == {"code", "severity", "owner", "due", "overdue", "message", "data"}
        assert flag["severity"] in {"blocker", "warning"}
        assert flag["owner"] in {"patient", "coordinator", "clinician"}


def test_evaluate_case_shows_premedication_times_in_the_clinic_time_zone(run_command, settings):
    settings.CLINIC_TIME_ZONE = "America/New_York"
    result = run_command("evaluate_case", EXAMPLE, "--as-of", AS_OF)

    first = result.json["cases"][0]
    premed = next(f for f in first["flags"] if f["code"] == "CONTRAST_PREMEDICATION")
    # Start 08:30 on 20 March (EDT): prednisone 13 h before is 19:30 the evening before.
    assert premed["data"]["regimen"][0] == {
        "drug": "prednisone 50 mg by mouth",
        "at": "2026-03-19T19:30:00-04:00",
    }
    assert "Thu 19 Mar 2026 19:30" in premed["message"]


def test_evaluate_case_writes_nothing_to_the_database(run_command):
    with CaptureQueriesContext(connection) as queries:
        result = run_command("evaluate_case", EXAMPLE, "--as-of", AS_OF)

    assert result.exit_code == 0
    writes = [
        q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
    assert Case.objects.count() == 0


def test_evaluate_case_of_a_ready_case_says_ready(run_command, write_cases):
    case = minimal_case(start="2026-03-20T08:00:00+00:00")
    case["intake"] = {
        "submitted_at": "2026-03-10T10:00:00+00:00",
        "medications_complete": True,
        "no_known_allergies": True,
        "fasting_acknowledged": True,
        "can_lie_prone": True,
    }
    case["driver"] = {"name": "Bo Lee", "phone": "+15551234567", "confirmed_at": "2026-03-11T10:00:00+00:00"}
    case["labs"] = [
        {"test": "inr", "value": 1.0, "taken_on": "2026-03-10"},
        {"test": "platelets", "value": 250, "taken_on": "2026-03-10"},
    ]
    result = run_command("evaluate_case", write_cases(case), "--as-of", "2026-03-12T09:00:00+00:00")

    assert result.json == {"cases": [{"reference": "C-1", "readiness": "ready", "flags": []}]}


def test_evaluate_case_names_the_first_bad_field_and_exits_2(run_command, write_cases):
    case = minimal_case()
    case["medications"] = [{"name": "Eliquis"}, {"name": "aspirin"}, {"dose": "5 mg"}]
    result = run_command("evaluate_case", write_cases([case]), "--as-of", AS_OF)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == "cases[0].medications[2].name: required\n"


def test_evaluate_case_refuses_an_as_of_without_utc_offset(run_command):
    result = run_command("evaluate_case", EXAMPLE, "--as-of", "2026-03-12T09:00:00")

    assert result.exit_code == 2
    assert result.stderr.startswith("--as-of:")


def test_evaluate_case_reports_an_unreadable_file_in_one_line(run_command, tmp_path):
    result = run_command("evaluate_case", str(tmp_path / "missing.json"))

    assert result.exit_code == 2
    assert "missing.json: cannot read file" in result.stderr
    assert result.stderr.count("\n") == 1


def test_import_creates_then_updates_cases_by_reference(run_command):
    first = run_command("import_cases", EXAMPLE)
    second = run_command("import_cases", EXAMPLE)

    assert first.exit_code == 0, first.stderr
    assert "Imported 3 cases: 3 created, 0 updated." in first.stdout
    assert "Imported 3 cases: 0 created, 3 updated." in second.stdout
    assert Case.objects.count() == 3
    assert Patient.objects.count() == 3
    eliquis = Medication.objects.get(case__reference="VP-2026-0142", name="Eliquis 5mg")
    assert [d.name for d in eliquis.drugs.all()] == ["apixaban"]


def test_import_writes_nothing_when_a_later_case_is_invalid(run_command, write_cases):
    good = minimal_case("GOOD-1", start="2026-12-01T08:00:00+00:00", room="New Room")
    bad = minimal_case("BAD-1")
    bad["procedure"]["levels"] = ["L1", "L1"]
    result = run_command("import_cases", write_cases([good, bad]))

    assert result.exit_code == 2
    assert result.stderr == "cases[1].procedure.levels[1]: duplicate level L1\n"
    assert Case.objects.count() == 0
    assert not Room.objects.filter(name="New Room").exists()


def test_import_refuses_an_overlap_with_a_stored_case_naming_both_references(run_command, write_cases):
    run_command(
        "import_cases",
        write_cases([minimal_case("FIRST", start="2026-12-01T08:00:00+00:00", levels=("L1", "L2"))]),
    )
    clash = minimal_case("SECOND", start="2026-12-01T09:30:00+00:00")
    result = run_command(
        "import_cases", write_cases([minimal_case("OK", start="2026-12-02T08:00:00+00:00"), clash])
    )

    assert result.exit_code == 2
    assert result.stderr.startswith("cases[1].appointment.start: SECOND overlaps FIRST in IR Suite 1")
    assert not Case.objects.filter(reference__in=["OK", "SECOND"]).exists()


def test_import_refuses_two_overlapping_cases_in_the_same_file(run_command, write_cases):
    cases = [
        minimal_case("A", start="2026-12-01T08:00:00+00:00"),
        minimal_case("B", start="2026-12-01T08:30:00+00:00"),
    ]
    result = run_command("import_cases", write_cases(cases))

    assert result.exit_code == 2
    assert "B overlaps A" in result.stderr
    assert Case.objects.count() == 0


def test_back_to_back_cases_and_other_rooms_do_not_overlap(run_command, write_cases):
    cases = [
        minimal_case("A", start="2026-12-01T08:00:00+00:00"),
        minimal_case("B", start="2026-12-01T09:00:00+00:00"),  # A ends 09:00: end is exclusive
        minimal_case("C", start="2026-12-01T08:00:00+00:00", room="IR Suite 2"),
    ]
    result = run_command("import_cases", write_cases(cases))

    assert result.exit_code == 0, result.stderr
    assert Appointment.objects.count() == 3


def test_a_cancelled_case_frees_its_slot_for_an_import(run_command, write_cases):
    run_command("import_cases", write_cases([minimal_case("OLD", start="2026-12-01T08:00:00+00:00")]))
    Case.objects.filter(reference="OLD").update(status=Case.Status.CANCELLED)
    Appointment.objects.filter(case__reference="OLD").update(is_active=False)

    result = run_command(
        "import_cases", write_cases([minimal_case("NEW", start="2026-12-01T08:00:00+00:00")])
    )

    assert result.exit_code == 0, result.stderr


def test_export_then_import_into_an_empty_database_gives_back_equal_cases(run_command, write_cases):
    run_command("import_cases", EXAMPLE)
    exported = run_command("export_cases").stdout
    for model in (Case, Patient, Room):
        model.objects.all().delete()

    result = run_command("import_cases", write_cases(json.loads(exported), name="export.json"))
    assert result.exit_code == 0, result.stderr
    assert json.loads(run_command("export_cases").stdout) == json.loads(exported)
    assert [c["reference"] for c in json.loads(exported)["cases"]] == [
        "VP-2026-0142",
        "VP-2026-0157",
        "VP-2026-0160",
    ]


def test_export_keeps_sign_offs_and_drops_withdrawn_ones(run_command):
    run_command("import_cases", EXAMPLE)
    assert "anticoagulant_plan_approved" in run_command("export_cases", "--reference", "VP-2026-0142").stdout

    SignOff.objects.update(withdrawn_at="2026-03-12T10:00:00+00:00")
    case = run_command("export_cases", "--reference", "VP-2026-0142").json["cases"][0]
    assert case["verifications"] == []


def test_export_of_an_unknown_reference_fails_naming_it(run_command):
    result = run_command("export_cases", "--reference", "NOPE")

    assert result.exit_code == 2
    assert result.stderr == "--reference: no case NOPE\n"


def test_import_takes_today_in_the_clinic_time_zone(run_command, write_cases, settings):
    """A Sydney clinic imports a lab dated today there while it is still yesterday in UTC."""
    settings.CLINIC_TIME_ZONE = "Australia/Sydney"
    case = {
        "reference": "SYD-1",
        "patient": {"first_name": "Ann", "last_name": "Lee", "date_of_birth": "1950-01-01"},
        "procedure": {"levels": ["L1"]},
        "labs": [{"test": "inr", "value": 1.0, "taken_on": "2026-11-19"}],
    }
    # 23:30 UTC on the 18th is 10:30 on the 19th in Sydney.
    with time_machine.travel(dt.datetime(2026, 11, 18, 23, 30, tzinfo=dt.UTC), tick=False):
        result = run_command("import_cases", write_cases([case]))

    assert result.exit_code == 0, result.stderr
    assert "1 created" in result.stdout


def test_a_per_medicine_plan_survives_export_and_import(run_command, write_cases):
    run_command("import_cases", EXAMPLE)
    exported = json.loads(run_command("export_cases", "--reference", "VP-2026-0142").stdout)

    [plan] = [v for v in exported["cases"][0]["verifications"] if v["item"] == "anticoagulant_plan_approved"]
    assert (plan["medication"], plan["last_dose_on"]) == ("Eliquis 5mg", "2026-03-17")
    assert dt.datetime.fromisoformat(plan["for_start"]) == dt.datetime(2026, 3, 20, 12, 30, tzinfo=dt.UTC)


def test_a_production_start_without_a_clinic_time_zone_fails_its_system_checks(settings):
    from django.core.checks import run_checks

    settings.DEBUG, settings.CLINIC_TIME_ZONE_SET = False, False
    assert "checklists.E001" in {m.id for m in run_checks()}
    settings.CLINIC_TIME_ZONE_SET = True
    assert "checklists.E001" not in {m.id for m in run_checks()}
