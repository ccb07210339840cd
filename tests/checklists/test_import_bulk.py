"""Importing in batches (issue 12): the same cases, lists and audit trail as writing the cases one by
one did, stored readiness made stale, nothing written when any case fails, statements that do not
grow with the file, and progress shown on a terminal only."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from simple_history.models import HistoricalRecords

from checklists import casedata as cd
from checklists.models import (
    Allergy,
    Appointment,
    Case,
    Driver,
    Intake,
    LabResult,
    Medication,
    Patient,
    Readiness,
    SignOff,
)
from checklists.selectors.catalogue import load_rule_config
from checklists.selectors.readiness import is_fresh
from checklists.services.imports import cases_import
from checklists.services.readiness import readiness_make_fresh
from tests.conftest import minimal_case
from tests.factories import CaseFactory, RoomFactory, full_case

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 18, 14, 0, tzinfo=dt.UTC)
START = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
TRACKED = (Patient, Case, Appointment, Medication, Allergy, LabResult, SignOff, Intake, Driver)


def history_counts() -> dict[str, dict[str, int]]:
    """How many history rows of each type ("+", "~", "-") each model has, and the catalogue links
    recorded with the medicines' rows."""
    counts = {
        model.__name__: dict(Counter(model.history.values_list("history_type", flat=True)))
        for model in TRACKED
    }
    counts["medicine links"] = Medication.history.model.drugs.model.objects.count()
    return counts


def unscheduled(data: cd.CaseData, **changes) -> cd.CaseData:
    return dataclasses.replace(data, appointment=None, **changes)


def test_a_create_then_an_update_leave_the_history_rows_saving_each_row_did(config):
    """The counts the one-by-one import left (each line's catalogue match a second row, "~",
    carrying the links), and an update replacing every list."""
    cases_import(cases=[full_case("H-1", START)], config=config)
    created = {
        "Patient": {"+": 1},
        "Case": {"+": 1},
        "Appointment": {"+": 1},
        "Medication": {"+": 3, "~": 3},
        "Allergy": {"+": 2},
        "LabResult": {"+": 2},
        "SignOff": {"+": 1},
        "Intake": {"+": 1},
        "Driver": {"+": 1},
        "medicine links": 3,
    }
    assert history_counts() == created

    cases_import(cases=[full_case("H-1", START)], config=config)

    assert history_counts() == {
        "Patient": {"+": 1, "~": 1},
        "Case": {"+": 1, "~": 1},
        "Appointment": {"+": 1, "~": 1},
        "Medication": {"+": 6, "~": 6, "-": 3},
        "Allergy": {"+": 4, "-": 2},
        "LabResult": {"+": 4, "-": 2},
        "SignOff": {"+": 2, "-": 1},
        "Intake": {"+": 1, "~": 1},
        "Driver": {"+": 1, "~": 1},
        "medicine links": 6,
    }


def test_an_update_that_drops_the_slot_driver_and_intake_records_each_removal(config):
    cases_import(cases=[full_case("H-1", START)], config=config)

    cases_import(cases=[unscheduled(full_case("H-1", START), driver=None, intake=None)], config=config)

    counts = history_counts()
    assert (counts["Appointment"], counts["Driver"]) == ({"+": 1, "-": 1}, {"+": 1, "-": 1})
    assert counts["Intake"] == {"+": 1, "~": 1}  # kept, no longer submitted
    assert not Appointment.objects.exists() and not Driver.objects.exists()


def test_every_history_row_has_the_user_of_the_request_and_no_change_reason(config, coordinator):
    """As saving each row did: the user of the request the import runs in (the history middleware's),
    none from a command; no change reason."""
    cases_import(cases=[full_case("H-1", START)], config=config)
    first = {model: model.history.latest("history_id").history_id for model in TRACKED}
    request = RequestFactory().post("/import")
    request.user = coordinator
    HistoricalRecords.context.request = request
    try:
        cases_import(cases=[unscheduled(full_case("H-1", START), driver=None)], config=config)
    finally:
        del HistoricalRecords.context.request

    for model in TRACKED:
        rows = model.history.values_list("history_id", "history_user", "history_change_reason")
        assert {(history_id > first[model], user) for history_id, user, _ in rows} <= {
            (False, None),
            (True, coordinator.pk),
        }, model
        assert {reason for _, _, reason in rows} == {None}, model
    assert Appointment.history.get(history_type="-").history_user == coordinator
    assert Medication.history.filter(history_user=coordinator).count() == 9  # 3 removed, 3 added, 3 matched


def test_an_update_import_replaces_the_lists_and_history_keeps_what_was_there(config):
    cases_import(cases=[full_case("U-1", START)], config=config)
    case = Case.objects.get(reference="U-1")
    old_lines = set(case.medications.values_list("pk", flat=True))
    new = dataclasses.replace(
        full_case("U-1", START),
        medications=(cd.MedicationData("warfarin 5 mg", dose="5 mg"),),
        allergies=(),
        labs=(cd.LabData("inr", 1.4, START.date() - dt.timedelta(days=2)),),
    )

    result = cases_import(cases=[new], config=config)

    assert (result.created, result.updated) == ([], ["U-1"])
    case.refresh_from_db()
    assert case.version == 2
    assert [m.name for m in case.medications.all()] == ["warfarin 5 mg"]
    assert [d.name for d in case.medications.get().drugs.all()] == ["warfarin"]
    assert not case.allergies.exists()
    assert [(lab.test, lab.value) for lab in case.labs.all()] == [("inr", 1.4)]
    removed = Medication.history.filter(history_type="-")
    assert set(removed.values_list("id", flat=True)) == old_lines
    assert set(removed.values_list("name", flat=True)) == {"Eliquis 5mg", "fish oil", "Tylenol"}
    assert Allergy.history.filter(history_type="-", case_id=case.pk).count() == 2
    matched = Medication.history.get(history_type="~", name="warfarin 5 mg")
    links = Medication.history.model.drugs.model.objects.filter(history=matched)
    assert [link.drug.name for link in links] == ["warfarin"]


def test_a_plan_is_pinned_to_the_start_and_linked_to_its_line_again_on_update(config, clinician):
    plan = cd.SignOffData("anticoagulant_plan_approved", clinician.username, NOW, medication="Eliquis 5mg")
    data = dataclasses.replace(full_case("P-1", START), signoffs=(plan,))
    cases_import(cases=[data], config=config)
    cases_import(cases=[data], config=config)

    signoff = SignOff.objects.get(case__reference="P-1")
    assert (signoff.for_start, signoff.by_user, signoff.medication_name) == (START, clinician, "Eliquis 5mg")
    assert signoff.medication == Medication.objects.get(case__reference="P-1", name="Eliquis 5mg")
    # The replaced plan's history row shows its line gone first, as on_delete=SET_NULL left it.
    assert SignOff.history.get(history_type="-").medication_id is None


def test_a_file_without_the_intake_keeps_the_answers_but_not_the_submission(config):
    cases_import(cases=[full_case("I-1", START)], config=config)

    cases_import(cases=[dataclasses.replace(full_case("I-1", START), intake=None)], config=config)

    intake = Intake.objects.get(case__reference="I-1")
    assert (intake.submitted_at, intake.medications_complete, intake.version) == (None, True, 2)


def test_a_driver_confirmed_at_another_time_loses_who_confirmed_it(config, coordinator):
    confirmed = NOW - dt.timedelta(hours=1)
    data = dataclasses.replace(
        full_case("D-1", START), driver=cd.DriverData("Bo", "+15551234567", None, confirmed)
    )
    cases_import(cases=[data], config=config)
    Driver.objects.update(confirmed_by=coordinator)

    cases_import(cases=[data], config=config)
    assert Driver.objects.get().confirmed_by == coordinator  # the same confirmation

    later = dataclasses.replace(data, driver=dataclasses.replace(data.driver, confirmed_at=NOW))
    cases_import(cases=[later], config=config)
    assert Driver.objects.get().confirmed_by is None


def test_a_file_names_who_confirmed_the_driver_a_staff_member_or_the_driver_by_link(config, coordinator):
    by_staff = cd.DriverData("Bo", "+15551234567", None, NOW, confirmed_by=coordinator.username)
    by_link = cd.DriverData("Al", "+15551234568", None, NOW, confirmed_by="driver")
    declined = cd.DriverData("Cy", "+15551234569", None, declined_at=NOW)
    cases_import(
        cases=[
            dataclasses.replace(full_case(f"D-{i}", START + dt.timedelta(hours=2 * i)), driver=driver)
            for i, driver in enumerate((by_staff, by_link, declined))
        ],
        config=config,
    )

    drivers = {d.name: d for d in Driver.objects.all()}
    assert (drivers["Bo"].confirmed_by, drivers["Bo"].confirmed_by_driver) == (coordinator, False)
    assert (drivers["Al"].confirmed_by, drivers["Al"].confirmed_by_driver) == (None, True)
    assert (drivers["Cy"].confirmed_at, drivers["Cy"].declined_at) == (None, NOW)
    assert all(d.recorded_at is not None for d in drivers.values())


def test_a_cancelled_case_stays_cancelled_and_its_slot_inactive(config):
    cases_import(cases=[full_case("C-1", START)], config=config)
    Case.objects.update(status=Case.Status.CANCELLED)

    cases_import(cases=[full_case("C-1", START + dt.timedelta(hours=1))], config=config)

    case = Case.objects.select_related("appointment").get()
    assert (case.status, case.appointment.is_active) == (Case.Status.CANCELLED, False)
    assert case.appointment.start == START + dt.timedelta(hours=1)


def test_an_update_makes_the_stored_readiness_of_the_patients_cases_stale(config):
    """The history rows of a batch send no signal: the import itself makes the answers stale, of the
    case and of any other case of the same patient (as a saved patient does)."""
    cases_import(cases=[full_case("R-1", START)], config=config)
    case = Case.objects.get()
    other = CaseFactory(patient=case.patient)
    untouched = CaseFactory()
    readiness_make_fresh([case.pk, other.pk, untouched.pk], as_of=NOW, config=config)

    cases_import(cases=[full_case("R-1", START)], config=config)

    fresh = {r.case_id: is_fresh(r, as_of=NOW, config=load_rule_config()) for r in Readiness.objects.all()}
    assert fresh == {case.pk: False, other.pk: False, untouched.pk: True}


def test_a_case_the_models_refuse_in_a_later_batch_leaves_nothing_written(config):
    cases = [full_case(f"V-{i}", START + dt.timedelta(hours=3 * i)) for i in range(5)]
    cases[4] = dataclasses.replace(cases[4], labs=(cd.LabData("inr", -1.0, START.date()),))

    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        cases_import(cases=cases, config=config, batch_size=2)

    assert not Case.objects.exists() and not Patient.objects.exists()
    assert not Medication.history.exists()


def test_a_case_the_database_refuses_in_a_later_batch_leaves_nothing_written(config):
    """Uniqueness and Meta.constraints are the database's to check during an import (the file
    format refuses what would break them): a breach still writes nothing."""
    twice = cd.SignOffData("latex_precautions_arranged", "cora", NOW)
    cases = [full_case(f"W-{i}", START + dt.timedelta(hours=3 * i)) for i in range(5)]
    cases[3] = dataclasses.replace(cases[3], signoffs=(twice, twice))

    with pytest.raises(IntegrityError):
        cases_import(cases=cases, config=config, batch_size=2)

    assert not Case.objects.exists() and not SignOff.history.exists()


def test_nothing_else_points_at_the_rows_an_import_deletes():
    """An import deletes replaced rows without Django's collector (one DELETE each): only the
    sign-offs' link to a medicine line (emptied first) may point at them."""
    pointing = {
        model.__name__: {
            (r.related_model.__name__, r.field.name, r.on_delete.__name__)
            for r in model._meta.related_objects
        }
        for model in (Medication, Allergy, LabResult, SignOff, Appointment, Driver)
    }
    assert pointing == {
        "Medication": {("SignOff", "medication", "SET_NULL")},
        "Allergy": set(),
        "LabResult": set(),
        "SignOff": set(),
        "Appointment": set(),
        "Driver": set(),
    }


def queries(cases: list[cd.CaseData], config, batch_size: int) -> int:
    with CaptureQueriesContext(connection) as captured:
        cases_import(cases=cases, config=config, batch_size=batch_size)
    return len(captured)


@pytest.mark.parametrize("update", [False, True], ids=["create", "update"])
def test_the_statements_grow_with_the_batches_not_the_cases(config, django_assert_num_queries, update):
    def cases(references: range) -> list[cd.CaseData]:
        return [full_case(f"Q-{i:03d}", START + dt.timedelta(hours=3 * i)) for i in references]

    RoomFactory(name="IR Suite 1")
    if update:
        cases_import(cases=cases(range(200)), config=config)
    one_batch = queries(cases(range(0, 5)), config, batch_size=20)
    assert queries(cases(range(5, 25)), config, batch_size=20) == one_batch
    per_batch = queries(cases(range(25, 65)), config, batch_size=20) - one_batch

    with django_assert_num_queries(one_batch + 4 * per_batch):
        cases_import(cases=cases(range(100, 200)), config=config, batch_size=20)


def test_an_import_with_history_switched_off_writes_no_history(config, settings):
    settings.SIMPLE_HISTORY_ENABLED = False
    cases_import(cases=[full_case("N-1", START)], config=config)
    cases_import(cases=[unscheduled(full_case("N-1", START), driver=None)], config=config)

    assert Case.objects.get().version == 2
    assert not any(model.history.exists() for model in TRACKED)
    assert not Medication.history.model.drugs.model.objects.exists()


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_refused_file_on_a_terminal_leaves_only_its_one_line_error(clinical_defaults, write_cases, capsys):
    path = write_cases([minimal_case("A", start="2026-12-01T08:00:00+00:00"), minimal_case("A")])
    stderr = Terminal()

    with pytest.raises(SystemExit):
        call_command("import_cases", path, stdout=io.StringIO(), stderr=stderr)

    assert stderr.getvalue().endswith("\r" + " " * len("Reading the file…") + "\r")
    assert capsys.readouterr().err == "cases[1].reference: duplicate reference (also cases[0])\n"


@pytest.mark.parametrize("terminal", [True, False], ids=["terminal", "pipe"])
def test_progress_is_shown_on_a_terminal_only(clinical_defaults, write_cases, terminal):
    path = write_cases([minimal_case(f"T-{i}", start=f"2026-12-0{i + 1}T08:00:00+00:00") for i in range(3)])
    stdout, stderr = io.StringIO(), Terminal() if terminal else io.StringIO()

    call_command("import_cases", path, stdout=stdout, stderr=stderr)

    assert stdout.getvalue() == "Created room 'IR Suite 1'.\nImported 3 cases: 3 created, 0 updated.\n"
    if terminal:
        shown = stderr.getvalue()
        assert shown.startswith("\rReading the file…")
        assert "\rChecking 3 cases…" in shown and "\rWriting cases: 0 of 3 (0%)" in shown
        assert shown.rsplit("\r", 1)[1].startswith("Writing cases: 3 of 3 (100%), ")
        assert shown.endswith(" s left\n")
    else:
        assert stderr.getvalue() == ""
    assert Case.objects.count() == 3
