"""Reading cases from rows (`cases_data`, `cases_data_iter`): exactly the CaseData that
`case_to_data` reads from model instances, in a number of queries that grows with chunks of
cases, not with cases; and stored readiness written from it in one statement per chunk."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import threading

import pytest
from django.db import connection, transaction

from checklists import casedata as cd
from checklists import demo
from checklists.models import Allergy, Appointment, Case, Intake, Medication, Patient, Readiness, SignOff
from checklists.selectors import cases as cases_selector
from checklists.selectors.cases import case_queryset, case_to_data, cases_data, cases_data_iter
from checklists.selectors.catalogue import load_rule_config
from checklists.selectors.readiness import is_fresh
from checklists.services import readiness as readiness_service
from checklists.services.imports import cases_import
from checklists.services.readiness import readiness_make_fresh
from tests.factories import full_case, store_cases

START = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 11, 18, 14, 0, tzinfo=dt.UTC)

# The cases with their patient and one-to-ones (1), then medications, allergies, labs, sign-offs.
QUERIES_TO_READ = 5


def through_the_orm() -> dict[int, cd.CaseData]:
    return {case.pk: case_to_data(case) for case in case_queryset()}


def all_ids() -> list[int]:
    return list(Case.objects.order_by("pk").values_list("pk", flat=True))


# --- the same data as case_to_data ----------------------------------------------------------------


@pytest.mark.django_db
def test_the_demo_cases_read_from_rows_are_the_cases_read_through_the_orm(config):
    cases_import(cases=demo.demo_cases(START.date(), config.time_zone), config=config)

    assert cases_data(all_ids()) == through_the_orm()
    assert len(through_the_orm()) == 15


MEDICATIONS = (
    cd.MedicationData("Eliquis 5mg"),
    cd.MedicationData("warfarin 5 mg", "5 mg", "daily", dt.date(2026, 12, 1)),
    cd.MedicationData("fish oil", frequency="daily"),
    cd.MedicationData("ibuprofen 400 mg", dose="400 mg"),
    cd.MedicationData("metformin 500mg", "500 mg", "twice daily"),
    cd.MedicationData("Tylenol"),
)
ALLERGIES = (
    cd.AllergyData("iodinated_contrast", "iohexol", "hives", "severe"),
    cd.AllergyData("latex"),
    cd.AllergyData("other", substance="penicillin", severity="mild"),
    cd.AllergyData("sedative", reaction="confusion"),
)
LABS = (("inr", 1.1), ("platelets", 40.0), ("egfr", 28.5), ("inr", 2.75))
CASE_WIDE_ITEMS = ("latex_precautions_arranged", "labs_reviewed", "positioning_reviewed", "infection_cleared")
LINE_ITEMS = ("anticoagulant_plan_approved", "nsaid_plan_given", "medication_reviewed")


def varied_case(rng: random.Random, i: int) -> cd.CaseData:
    """A case with a random share of everything a case can hold (every sixth one unscheduled)."""
    start = START + dt.timedelta(hours=4 * i)
    medications = tuple(rng.sample(MEDICATIONS, rng.randint(0, 4)))
    signed_at = start - dt.timedelta(days=rng.choice((1, 2, 9)))  # repeated: ties break by id
    signoffs = [
        cd.SignOffData(item, rng.choice(("coordinator", "dr_kim")), signed_at, note=rng.choice((None, "ok")))
        for item in rng.sample(CASE_WIDE_ITEMS, rng.randint(0, 3))
    ]
    for item, medication in zip(LINE_ITEMS, medications, strict=False):
        plan = item in cd.PLAN_ITEMS
        keep_taking = plan and rng.random() < 0.5
        signoffs.append(
            cd.SignOffData(
                item,
                "dr_kim",
                signed_at - dt.timedelta(minutes=rng.randint(0, 2)),
                medication=medication.name,
                keep_taking=keep_taking,
                last_dose_on=start.date() - dt.timedelta(days=3) if plan and not keep_taking else None,
                for_start=start if plan else None,
            )
        )
    levels = rng.sample(cd.LEVELS, rng.randint(1, 3))
    return cd.CaseData(
        reference=f"V-{i:03d}",
        patient=cd.PatientData(
            "Zoë",
            f"Nguyễn-{i}",
            dt.date(1930 + i, 1 + i % 12, 1 + i % 28),
            sex=rng.choice(cd.SEXES),
            email=rng.choice((None, f"p{i}@example.org")),
            phone=rng.choice((None, "+15551234567")),
            language=rng.choice(cd.LANGUAGES),
        ),
        procedure=cd.ProcedureData(
            levels=cd.sort_levels(levels),
            kind=rng.choice(cd.PROCEDURE_KINDS),
            anesthesia=rng.choice(cd.ANESTHESIA),
            contrast_planned=rng.random() < 0.5,
        ),
        appointment=None if i % 6 == 5 else cd.AppointmentData(start, rng.choice(("IR Suite 1", "Fluoro"))),
        medications=medications,
        allergies=tuple(rng.sample(ALLERGIES, rng.randint(0, 3))),
        intake=(
            cd.IntakeData(
                submitted_at=start - dt.timedelta(days=4),
                medications_complete=rng.random() < 0.5,
                no_known_allergies=rng.random() < 0.5,
                can_lie_prone=rng.choice((None, True, False)),
                pregnant=rng.choice((None, True, False)),
                diabetes=rng.choice(cd.DIABETES),
            )
            if rng.random() < 0.7
            else None
        ),
        driver=(
            cd.DriverData(
                "Bo Lee",
                "+15557654321",
                relationship=rng.choice((None, "son")),
                confirmed_at=rng.choice((None, start - dt.timedelta(days=1))),
            )
            if rng.random() < 0.6
            else None
        ),
        labs=tuple(
            cd.LabData(test, value, start.date() - dt.timedelta(days=rng.choice((2, 5))))
            for test, value in rng.sample(LABS, rng.randint(0, 4))
        ),
        signoffs=tuple(sorted(signoffs, key=lambda s: s.at)),
    )


@pytest.fixture
def varied_cases(config) -> list[Case]:
    """Forty cases, then what only later edits leave behind: renamed, removed and reordered lines,
    withdrawn sign-offs, a cancelled slot, an intake started but not submitted, levels stored out of
    order, a patient without email or phone."""
    rng = random.Random(12)
    cases_import(cases=[varied_case(rng, i) for i in range(40)], config=config)
    cases = list(Case.objects.order_by("reference"))
    for i, case in enumerate(cases):
        lines = list(Medication.objects.filter(case=case).order_by("position", "id"))
        if i % 5 == 0 and lines:
            Medication.objects.filter(pk=lines[0].pk).update(name=f"{lines[0].name} (renamed)")
        if i % 7 == 1 and lines:
            Medication.objects.filter(pk=lines[-1].pk).delete()  # its sign-offs keep its name, no line
        for model in (Medication, Allergy):  # reordered on the case page: by position, then id
            rows = list(model.objects.filter(case=case).order_by("id"))
            for position, row in enumerate(reversed(rows)):
                model.objects.filter(pk=row.pk).update(position=0 if i % 4 == 2 else position)
        if i % 3 == 0:
            SignOff.objects.filter(pk__in=SignOff.objects.filter(case=case).order_by("-id")[:1]).update(
                withdrawn_at=START - dt.timedelta(hours=1)
            )
        if i % 8 == 3:
            Appointment.objects.filter(case=case).update(is_active=False)
        if i % 9 == 4:
            Intake.objects.update_or_create(case=case, defaults={"submitted_at": None})
        if i % 5 == 1:
            Case.objects.filter(pk=case.pk).update(levels=[*reversed(case.levels), "S1"])
        if i % 6 == 2:
            Patient.objects.filter(cases=case).update(email="", phone="")
    return cases


@pytest.mark.django_db
def test_varied_cases_read_from_rows_are_the_cases_read_through_the_orm(varied_cases):
    assert cases_data(all_ids()) == through_the_orm()


@pytest.mark.django_db
def test_the_varied_cases_hold_every_kind_of_edit_they_are_meant_to(varied_cases):
    """So that the comparison above covers each rule, not just the happy path."""
    read = cases_data(all_ids()).values()
    signoffs = SignOff.objects.all()

    assert signoffs.filter(withdrawn_at__isnull=False).exists()
    assert signoffs.exclude(medication_name="").filter(medication__isnull=True).exists()
    assert signoffs.filter(medication__name__endswith="(renamed)").exists()
    assert any(case.appointment is None for case in read) and any(case.appointment for case in read)
    assert Appointment.objects.filter(is_active=False).exists()
    assert Intake.objects.filter(submitted_at__isnull=True).exists()
    assert any(case.patient.email is None for case in read) and any(case.patient.email for case in read)
    assert any(s.keep_taking for case in read for s in case.signoffs)
    assert any(s.last_dose_on for case in read for s in case.signoffs)
    assert any(case.driver and case.driver.relationship is None for case in read)


def signed(item: str, days_before: int, medication: str | None = None) -> cd.SignOffData:
    return cd.SignOffData(item, "dr_kim", START - dt.timedelta(days=days_before), medication=medication)


@pytest.mark.django_db
def test_a_line_sign_off_counts_while_its_line_keeps_its_name_and_withdrawn_ones_never(config):
    case = dataclasses.replace(
        full_case("R-1", START),
        signoffs=(
            signed("medication_reviewed", 3, medication="Tylenol"),
            signed("supplement_advice_given", 2, medication="fish oil"),
            signed("labs_reviewed", 2),
            signed("latex_precautions_arranged", 6),
            signed("positioning_reviewed", 1),
        ),
    )
    cases_import(cases=[case], config=config)
    Medication.objects.filter(name="Tylenol").update(name="Tylenol 500 mg")
    SignOff.objects.filter(item="positioning_reviewed").update(withdrawn_at=START - dt.timedelta(hours=2))

    (read,) = cases_data(all_ids()).values()

    # In time order, ties by the order they were recorded.
    assert [s.item for s in read.signoffs] == [
        "latex_precautions_arranged",
        "supplement_advice_given",
        "labs_reviewed",
    ]
    assert read == case_to_data(case_queryset().get())


# --- queries --------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("count", [5, 50])
def test_reading_cases_costs_the_same_queries_for_five_cases_or_fifty(
    django_assert_num_queries, config, count
):
    store_cases(count, config, START)
    ids = all_ids()

    with django_assert_num_queries(QUERIES_TO_READ):
        read = cases_data(ids)

    assert len(read) == count


@pytest.mark.django_db
def test_reading_cases_costs_one_round_of_queries_per_chunk_of_cases(
    django_assert_num_queries, config, monkeypatch
):
    store_cases(25, config, START)
    monkeypatch.setattr(cases_selector, "CHUNK_SIZE", 10)
    ids = all_ids()

    with django_assert_num_queries(3 * QUERIES_TO_READ):
        read = cases_data(ids)

    assert read == through_the_orm()


@pytest.mark.django_db
def test_reading_no_cases_costs_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert cases_data([]) == {}


@pytest.mark.django_db
def test_a_stream_of_cases_keeps_the_querysets_order_in_one_query_then_four_per_chunk(
    django_assert_num_queries, varied_cases
):
    by_reference = Case.objects.order_by("-reference")

    with django_assert_num_queries(1 + 4 * 3):
        read = list(cases_data_iter(by_reference, chunk_size=15))

    orm = through_the_orm()
    assert read == [orm[pk] for pk in by_reference.values_list("pk", flat=True)]


# --- stored readiness written in one statement per chunk ------------------------------------------


def make_fresh(*cases: Case) -> int:
    return readiness_make_fresh([c.pk for c in cases], as_of=NOW, config=load_rule_config())


def fresh(case: Case) -> bool:
    return is_fresh(Readiness.objects.filter(case=case).first(), as_of=NOW, config=load_rule_config())


@pytest.mark.django_db
@pytest.mark.parametrize("count", [1, 30])
def test_making_answers_fresh_costs_the_same_queries_for_one_case_or_thirty(
    django_assert_num_queries, config, count
):
    store_cases(count, config, START)
    cases = list(Case.objects.all())

    # Which are fresh (1), their rows made sure of (1), their generations (1), the cases (5),
    # every answer stored (1).
    with django_assert_num_queries(9):
        assert readiness_make_fresh([case.pk for case in cases], as_of=NOW, config=config) == count

    assert all(fresh(case) for case in cases)


@pytest.mark.django_db
def test_each_stored_answer_is_the_live_one(varied_cases, config):
    make_fresh(*varied_cases)

    orm = through_the_orm()
    for row in Readiness.objects.all():
        flags = readiness_service.rules.evaluate(orm[row.case_id], config, NOW)
        expected = readiness_service.stored_fields(orm[row.case_id], flags, NOW, config)
        assert {name: getattr(row, name) for name in expected} == expected
        assert (row.computed_generation, row.computed_at) == (row.generation, NOW)


@pytest.mark.django_db
def test_a_change_during_the_computation_leaves_that_case_stale_and_stores_the_others(config, monkeypatch):
    store_cases(3, config, START)
    first, second, third = Case.objects.order_by("reference")
    evaluate = readiness_service.rules.evaluate

    def evaluate_while_someone_edits(data, config, as_of):
        if data.reference == second.reference:
            Medication.objects.create(case=second, name="aspirin 81 mg", position=9)  # another request
        return evaluate(data, config, as_of)

    monkeypatch.setattr(readiness_service.rules, "evaluate", evaluate_while_someone_edits)
    make_fresh(first, second, third)

    assert (fresh(first), fresh(second), fresh(third)) == (True, False, True)


@pytest.mark.django_db(transaction=True)
def test_a_row_another_transaction_holds_is_left_stale_rather_than_waited_for(config):
    """PostgreSQL only (row locks; SQLite has one writer at a time): waiting for one row while
    holding the others could deadlock with a change to many cases (an import)."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL only")
    store_cases(2, config, START)
    held, other = Case.objects.order_by("reference")
    Readiness.objects.bulk_create([Readiness(case=held), Readiness(case=other)])
    locked, finished = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                list(Readiness.objects.select_for_update().filter(case=held))
                locked.set()
                finished.wait(timeout=60)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(timeout=60)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '10s'")  # a wait fails the test instead of hanging it
        computed = make_fresh(held, other)
    finally:
        finished.set()
        holder.join()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")

    assert computed == 2
    assert (fresh(held), fresh(other)) == (False, True)
