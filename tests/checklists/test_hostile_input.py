"""Hostile or absurd input gets the one-line error or a message next to the field: never a
traceback, never a 500 (a 5,000-digit number, year 9999, control and invisible characters)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from checklists.models import Case
from checklists.services.booking import appointment_book
from tests.checklists.test_views_cases import form_data
from tests.conftest import minimal_case
from tests.factories import CaseFactory, RoomFactory
from tests.intake.support import next_start, store_case, verified_client
from tests.intake.test_steps import about_post

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("utc_clinic")]
NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def one_line_refusal(result) -> str:
    assert result.exit_code == 2, result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
    return result.stderr.strip()


@pytest.mark.parametrize("command", ["evaluate_case", "import_cases"])
def test_a_number_of_five_thousand_digits_is_a_one_line_error(run_command, tmp_path, command):
    path = tmp_path / "big.json"
    path.write_text(json.dumps(minimal_case()).replace('"L1"]', '"L1"], "x": ' + "9" * 5000))

    assert one_line_refusal(run_command(command, str(path))).endswith(
        "invalid JSON: a number is far too long"
    )


@pytest.mark.parametrize(
    ("start", "message"),
    [
        ("9999-12-31T23:30:00-05:00", "not a real date-time"),
        ("0001-01-01T00:00:00+05:00", "not a real date-time"),
        ("2033-01-01T09:00:00Z", "must be between 2016-11-22 and 2031-11-22"),
        ("2015-06-01T09:00:00Z", "must be between 2016-11-22 and 2031-11-22"),
    ],
)
def test_an_appointment_no_clinic_could_mean_is_refused_naming_the_field(
    run_command, write_cases, start, message
):
    path = write_cases([minimal_case(start=start)])

    assert one_line_refusal(run_command("import_cases", path)) == f"cases[0].appointment.start: {message}"
    assert not Case.objects.exists()


def test_an_old_appointment_within_ten_years_still_imports_as_history(run_command, write_cases):
    result = run_command("import_cases", write_cases([minimal_case(start="2019-03-04T09:00:00Z")]))

    assert result.exit_code == 0, result.stderr


def test_control_and_direction_characters_in_a_key_are_shown_escaped(run_command, write_cases):
    case = minimal_case() | {"ref\u0000erence\u202e": "x"}

    assert one_line_refusal(run_command("evaluate_case", write_cases([case]))) == (
        "cases[0].ref\\u0000erence\\u202e: unknown field"
    )


def test_a_name_with_a_right_to_left_override_is_refused_in_a_case_file(run_command, write_cases):
    case = minimal_case()
    case["patient"]["last_name"] = "Lee\u202eeeL"

    assert one_line_refusal(run_command("import_cases", write_cases([case]))) == (
        "cases[0].patient.last_name: contains an invisible character (U+202E) that changes how text reads"
    )


# --- Pages -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "/schedule/?date=9999-12-31",
            "Choose a day between Tue 22 Nov 2016 and Sat 22 Nov 2031. Showing today.",
        ),
        ("/schedule/?date=0001-01-01", "Choose a day between"),
        ("/dashboard/?from_date=9999-12-31", "Choose a day between Tue 22 Nov 2016 and Sat 22 Nov 2031."),
        ("/dashboard/?from_date=2026-11-01&to_date=9999-12-31", "Choose a day between"),
        ("/cases/times/?start=9999-12-31T23:00&levels=L1", "Start: choose a day between"),
        ("/cases/times/?start=0001-01-01T00:00&levels=L1", "Start: choose a day between"),
    ],
)
def test_a_date_at_the_end_of_the_calendar_is_a_400_with_a_message(client, coordinator, url, shown):
    client.force_login(coordinator)

    response = client.get(url)

    assert response.status_code == 400
    assert shown in response.content.decode()


def test_the_case_form_refuses_a_start_years_away_next_to_the_field(client, coordinator):
    client.force_login(coordinator)
    data = form_data(RoomFactory(), start="2040-01-02T09:00")

    page = client.post(reverse("checklists:case_create"), data).content.decode()

    assert "Choose a day between Tue 22 Nov 2016 and Sat 22 Nov 2031." in page
    assert not Case.objects.exists()


def test_the_case_form_refuses_a_name_with_an_invisible_character(client, coordinator):
    client.force_login(coordinator)
    data = form_data(first_name="Ann\u200b")

    page = client.post(reverse("checklists:case_create"), data).content.decode()

    assert "Please type this again: it contains a hidden character (U+200B)." in page
    assert not Case.objects.exists()


def test_the_booking_service_refuses_a_start_years_away(config):
    case = CaseFactory()

    with pytest.raises(ValidationError, match="must be between 2016-11-22 and 2031-11-22"):
        appointment_book(
            case=case, room=RoomFactory(), start=dt.datetime(2035, 1, 2, 9, tzinfo=dt.UTC), config=config
        )


def test_a_patient_is_asked_to_retype_a_name_with_a_hidden_character_in_their_language(client, config):
    case = store_case(config, start=next_start(), language="es")
    patient = verified_client(client, case, config)

    page = patient.post("/intake/about/", about_post(case, last_name="Okafor\u202e")).content.decode()

    assert "Escriba esto de nuevo, por favor: contiene un carácter oculto (U+202E)." in page
    case.patient.refresh_from_db()
    assert case.patient.last_name == "Okafor"
