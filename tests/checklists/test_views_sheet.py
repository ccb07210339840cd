"""The printable case sheet and the calendar file show the engine's times in the clinic's zone."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone
from icalendar import Calendar

from checklists import casedata as cd
from checklists import rules
from checklists.ics import appointment_calendar
from checklists.models import AccessLog, Case, SignOff
from checklists.selectors.cases import case_queryset, case_to_data
from checklists.selectors.catalogue import load_rule_config
from checklists.services.imports import cases_import

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
    cases_import(cases=[data], config=config)
    return Case.objects.get()


def test_the_sheet_prints_the_engines_times_in_the_clinic_time_zone(client, coordinator, case):
    with time_machine.travel(dt.datetime(2026, 11, 30, 12, 0, tzinfo=UTC), tick=False):
        client.force_login(coordinator)
        body = client.get(f"/cases/{case.uuid}/sheet/").content.decode()

    assert '<td data-sheet="arrival">07:30</td>' in body
    assert '<td data-sheet="food-stop">Mon 7 Dec 2026 00:30</td>' in body
    assert '<td data-sheet="clear-liquids">Mon 7 Dec 2026 02:30</td>' in body
    assert '<td data-sheet="pickup">12:30</td>' in body  # end 10:30 + 2 h lying flat
    # No plan approved yet: the sheet says so rather than a date the patient was never given.
    assert "Eliquis 5mg (apixaban):\n        <strong>plan not yet approved</strong>" in body
    assert '<li data-sheet="premed">Sun 6 Dec 2026 19:30 — prednisone 50 mg by mouth</li>' in body
    assert "Contrast premedication (not yet prescribed)" in body
    assert "Bo Lee" in body and "Not yet confirmed" in body
    assert AccessLog.objects.filter(case=case, action="case.sheet").exists()


def _approve(case: Case, item: str, **fields) -> None:
    SignOff.objects.create(
        case=case, item=item, by="dr.iris", at=dt.datetime(2026, 11, 10, tzinfo=UTC), **fields
    )


def _approve_plan(case: Case) -> None:
    """The clinician approves the computed plan for the case's one medicine, for its appointment."""
    line = case.medications.get()
    _approve(
        case,
        "anticoagulant_plan_approved",
        medication=line,
        medication_name=line.name,
        for_start=case.appointment.start,
    )


def test_the_sheet_prints_the_approved_plan_and_allergy_categories_as_words(client, coordinator, case):
    _approve_plan(case)
    with time_machine.travel(dt.datetime(2026, 11, 30, 12, 0, tzinfo=UTC), tick=False):
        client.force_login(coordinator)
        body = " ".join(client.get(f"/cases/{case.uuid}/sheet/").content.decode().split())

    # Apixaban with no eGFR on file: 3 days' hold, so the last dose is on Thursday 3 December.
    assert "Eliquis 5mg (apixaban): last dose Thu 3 Dec 2026 (approved)" in body
    assert '<li data-sheet="allergy"><strong>Iodinated contrast</strong>: iohexol — hives' in body
    assert "Iodinatedcontrast" not in body


def test_the_patients_calendar_has_alarms_for_the_last_dose_day_and_each_premedication_dose(case):
    _approve_plan(case)
    _approve(case, "contrast_premedication_prescribed")
    case = case_queryset().get(pk=case.pk)
    ctx = rules.build_context(case_to_data(case), load_rule_config(), timezone.now())

    event = Calendar.from_ical(appointment_calendar(case, ctx)).walk("VEVENT")[0]

    alarms = {str(a["description"]): a.decoded("trigger") for a in event.walk("VALARM")}
    assert alarms["Last dose of Eliquis 5mg before your procedure: take it today, then stop."] == dt.datetime(
        2026, 12, 3, 13, 0, tzinfo=UTC
    )  # Thu 3 Dec 08:00 EST
    premedication = [
        a.decoded("trigger")
        for a in event.walk("VALARM")
        if str(a["description"]).startswith("Allergy medicine")
    ]
    assert len(event.walk("VALARM")) == 2 + 1 + 4  # day before, food stop, last dose, 4 doses
    assert min(premedication) == dt.datetime(2026, 12, 7, 0, 30, tzinfo=UTC)  # 13 h before 08:30 EST
    assert event.decoded("dtstart") == dt.datetime(2026, 12, 7, 12, 30, tzinfo=UTC)  # arrival
    assert event.decoded("dtend") == dt.datetime(2026, 12, 7, 17, 30, tzinfo=UTC)  # pickup


def test_the_staff_calendar_file_is_the_procedure_slot_written_for_staff(client, coordinator, case):
    client.force_login(coordinator)
    response = client.get(f"/cases/{case.uuid}/appointment.ics")

    assert response["Content-Type"].startswith("text/calendar")
    event = Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert event.decoded("dtstart") == dt.datetime(2026, 12, 7, 13, 30, tzinfo=UTC)  # 08:30 EST start
    assert event.decoded("dtend") > event.decoded("dtstart")
    assert "IR Suite 1" in str(event["location"])
    assert str(event["uid"]) == f"{case.uuid}-staff@prepdesk"  # never the patient's event
    assert case.reference in str(event["description"]) and case.patient.last_name in str(event["summary"])
    assert "your" not in str(event["description"]).lower() and not event.walk("VALARM")


def test_an_unscheduled_case_has_no_calendar_file(client, coordinator, case):
    case.appointment.delete()
    client.force_login(coordinator)

    assert client.get(f"/cases/{case.uuid}/appointment.ics").status_code == 404
