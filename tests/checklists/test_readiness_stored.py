"""Stored readiness (issue 12): what the dashboard reads is what a live evaluation says, becomes
stale with any change to a case's inputs (services, the admin, the patient, the rules, the date),
and is never trusted when it may be stale — not even when a change lands mid-computation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from checklists import rules
from checklists.models import Case, Drug, Medication, Patient, Readiness
from checklists.selectors.cases import case_queryset, cases_evaluate
from checklists.selectors.catalogue import load_rule_config
from checklists.selectors.dashboard import DashboardFilters, case_rows
from checklists.selectors.readiness import is_fresh
from checklists.services import readiness as readiness_service
from checklists.services.imports import cases_import
from checklists.services.readiness import readiness_make_fresh
from tests.factories import full_case

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 18, 14, 0, tzinfo=dt.UTC)
START = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def case(config) -> Case:
    cases_import(cases=[full_case("S-1", START)], config=config)
    return Case.objects.get(reference="S-1")


def stored(case: Case) -> Readiness:
    return Readiness.objects.get(case=case)


def make_fresh(*cases: Case) -> int:
    return readiness_make_fresh([c.pk for c in cases], as_of=NOW, config=load_rule_config())


def fresh(case: Case) -> bool:
    return is_fresh(stored(case), as_of=NOW, config=load_rule_config())


def test_the_stored_answer_is_the_live_one(case):
    make_fresh(case)

    live = cases_evaluate(case_queryset().filter(pk=case.pk), as_of=NOW)[case.pk]
    row = stored(case)
    assert row.flags == [flag.as_json(load_rule_config().time_zone) for flag in live]
    assert (row.ready, row.blockers, row.warnings) == (
        rules.is_ready(live),
        sum(f.severity == rules.BLOCKER for f in live),
        sum(f.severity != rules.BLOCKER for f in live),
    )
    assert row.top_code == live[0].code
    assert make_fresh(case) == 0  # fresh: not computed again


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda c: Medication.objects.create(case=c, name="warfarin 5 mg", position=9), id="a new line"
        ),
        pytest.param(lambda c: c.medications.first().delete(), id="a line removed"),
        pytest.param(lambda c: Patient.objects.filter(pk=c.patient_id).get().save(), id="the patient saved"),
        pytest.param(lambda c: c.appointment.save(), id="the slot saved"),
        pytest.param(lambda c: c.intake.save(), id="the intake saved"),
    ],
)
def test_any_change_to_a_case_makes_its_stored_answer_stale(case, change):
    make_fresh(case)

    change(case)

    assert not fresh(case)
    assert make_fresh(case) == 1 and fresh(case)


def test_a_change_to_the_catalogue_or_the_rule_settings_makes_every_answer_stale(case):
    make_fresh(case)

    drug = Drug.objects.get(name="warfarin")
    drug.aliases += ", blue pill"
    drug.save()

    assert not fresh(case)


def test_a_change_that_lands_while_the_answer_is_computed_leaves_it_stale(case, monkeypatch):
    """The answer was computed from what was read before the change: it must not be stored as
    fresh, or the dashboard would show it until the next change."""
    evaluate = rules.evaluate

    def evaluate_while_someone_edits(data, config, as_of):
        flags = evaluate(data, config, as_of)
        Medication.objects.create(case=case, name="aspirin 81 mg", position=9)  # another request
        return flags

    monkeypatch.setattr(readiness_service.rules, "evaluate", evaluate_while_someone_edits)
    make_fresh(case)

    assert not fresh(case)


def test_an_unscheduled_case_is_judged_again_the_next_day(config):
    data = full_case("S-2", START)
    cases_import(cases=[type(data)(**{**data.__dict__, "appointment": None})], config=config)
    case = Case.objects.get(reference="S-2")
    make_fresh(case)

    assert fresh(case)
    midnight = dt.datetime.combine(
        NOW.astimezone(config.time_zone).date(), dt.time(0), tzinfo=config.time_zone
    )
    assert stored(case).valid_until == midnight + dt.timedelta(days=1)
    assert not is_fresh(stored(case), as_of=midnight + dt.timedelta(days=1), config=load_rule_config())


def test_a_list_never_shows_a_stale_answer(case):
    """Stored says ready; the case has changed since: the row is evaluated live."""
    make_fresh(case)
    Readiness.objects.filter(case=case).update(ready=True, blockers=0, warnings=0, flags=[])
    Medication.objects.create(case=case, name="warfarin 5 mg", position=9)

    row = case_rows([case.pk], as_of=NOW, config=load_rule_config())[0]

    assert not row.ready
    assert any(
        flag.code == "ANTICOAGULANT_HOLD_UNCONFIRMED" or flag.severity == rules.BLOCKER for flag in row.flags
    )


def test_the_dashboard_and_the_case_page_agree_and_check_readiness_finds_no_drift(
    run_command, client, django_user_model
):
    """Every flag code of the demo, stored by the dashboard, matches the live evaluation."""
    run_command("seed_demo")
    client.force_login(django_user_model.objects.get(username="coordinator"))
    today = timezone.localdate()  # the demo's cases are in the three weeks from today
    client.get(f"/dashboard/?from_date={today}&to_date={today + dt.timedelta(days=30)}")

    result = run_command("check_readiness")

    assert result.exit_code == 0, result.stderr
    assert "checked 15 case(s): 15 stored answer(s) fresh, 0 stale" in result.stdout
    assert result.stdout.rstrip().endswith(" 0 drifted")


def test_check_readiness_names_a_case_whose_stored_answer_drifted(run_command, case):
    run_command("refresh_readiness")
    Readiness.objects.filter(case=case).update(ready=True, blockers=0, flags=[])

    result = run_command("check_readiness")

    assert result.exit_code == 1
    assert "1 drifted" in result.stdout and "drift: S-1" in result.stderr


def test_refresh_readiness_computes_what_is_not_fresh(run_command, case):
    first = run_command("refresh_readiness")
    second = run_command("refresh_readiness")

    assert "computed for 1 of 1 active case(s)" in first.stdout
    assert "computed for 0 of 1 active case(s)" in second.stdout


def test_the_not_ready_filter_is_answered_in_sql(case, config):
    from checklists.selectors.dashboard import dashboard_cases

    week = DashboardFilters(from_date=START.date(), to_date=START.date(), not_ready=True)
    upcoming, _ = dashboard_cases(filters=week, as_of=NOW, config=load_rule_config())

    assert "checklists_readiness" in str(upcoming.query) and list(upcoming) == [case.pk]
