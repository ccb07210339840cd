"""The printable case sheet and the calendar file show the engine's times in the clinic's zone."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from icalendar import Calendar

from checklists import casedata as cd
from checklists import services
from checklists.catalog import load_rule_config
from checklists.models import AccessLog, Case

pytestmark = pytest.mark.django_db
UTC = dt.UTC


@pytest.fixture
def new_york(settings):
    settings.CLINIC_TIME_ZONE = settings.TIME_ZONE = "America/New_York"


@pytest.fixture
def case(new_york) -> Case:
    config = load_rule_config()
    data = cd.CaseData(
        reference="SHEET-1",
        patient=cd.PatientData("Ann", "Lee", dt.date(1950, 1, 1)),
        procedure=cd.ProcedureData(levels=("T12", "L1")),
        # 13:30 UTC is 08:30 in New York (EST) on 7 December.
        appointment=cd.AppointmentData(start=dt.datetime(2026, 12, 7, 13, 30, tzinfo=UTC), room="IR Suite 1"),
        medications=(cd.MedicationData("Eliquis 5mg"),),
        allergies=(cd.AllergyData("iodinated_contrast", "iohexol", "hives"),),
        driver=cd.DriverData("Bo Lee", "+15551234567"),
    )
    services.cases_import(cases=[data], config=config)
    return Case.objects.get()


def test_the_sheet_prints_the_engines_times_in_the_clinic_time_zone(client, coordinator, case):
    with time_machine.travel(dt.datetime(2026, 11, 30, 12, 0, tzinfo=UTC), tick=False):
        client.force_login(coordinator)
        body = client.get(f"/cases/{case.uuid}/sheet/").content.decode()

    assert '<td data-sheet="arrival">07:30</td>' in body
    assert '<td data-sheet="food-stop">Mon 7 Dec 00:30</td>' in body
    assert '<td data-sheet="clear-liquids">Mon 7 Dec 02:30</td>' in body
    assert '<td data-sheet="pickup">12:30</td>' in body  # end 10:30 + 2 h lying flat
    # Apixaban with no eGFR on file: 3 days' hold, so the last dose is on Thursday 3 December.
    assert "Eliquis 5mg (apixaban): last dose\n        Thu 3 Dec" in body
    assert '<li data-sheet="premed">Sun 6 Dec 19:30 — prednisone 50 mg by mouth</li>' in body
    assert "Bo Lee" in body and "Not yet confirmed" in body
    assert AccessLog.objects.filter(case=case, action="case.sheet").exists()


def test_the_calendar_file_runs_from_arrival_to_pickup_with_reminders(client, coordinator, case):
    client.force_login(coordinator)
    response = client.get(f"/cases/{case.uuid}/appointment.ics")

    assert response["Content-Type"].startswith("text/calendar")
    event = Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert event.decoded("dtstart") == dt.datetime(2026, 12, 7, 12, 30, tzinfo=UTC)
    assert event.decoded("dtend") == dt.datetime(2026, 12, 7, 17, 30, tzinfo=UTC)
    assert "IR Suite 1" in str(event["location"])
    assert len(event.walk("VALARM")) == 2


def test_an_unscheduled_case_has_no_calendar_file(client, coordinator, case):
    case.appointment.delete()
    client.force_login(coordinator)

    assert client.get(f"/cases/{case.uuid}/appointment.ics").status_code == 404
