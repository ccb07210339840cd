"""Reading cases for the engine: what a stored case looks like, and what it costs in queries."""

from __future__ import annotations

import datetime as dt

import pytest

from checklists import rules
from checklists.casefile import read_case_file
from checklists.selectors.cases import case_queryset, case_to_data, cases_evaluate
from checklists.services.imports import cases_import
from tests.conftest import DATA
from tests.factories import full_case, store_cases

pytestmark = pytest.mark.django_db
START = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)
AS_OF = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)

# 5 for the cases (cases with their one-to-ones, medications, allergies, labs, sign-offs)
# + 4 for the clinic's rule data (settings, deadlines, premedication, catalogue).
QUERIES_TO_EVALUATE = 9


@pytest.mark.parametrize("count", [1, 50])
def test_evaluating_cases_costs_the_same_queries_for_one_case_or_fifty(
    django_assert_num_queries, config, count
):
    store_cases(count, config, START)

    with django_assert_num_queries(QUERIES_TO_EVALUATE):
        flags = cases_evaluate(case_queryset(), as_of=AS_OF)

    assert len(flags) == count
    assert all(any(f.code == "ANTICOAGULANT_HOLD_PLAN" for f in case_flags) for case_flags in flags.values())


def test_a_stored_case_reads_back_as_the_data_it_was_stored_from(config):
    original = full_case("R-1", START)
    cases_import(cases=[original], config=config)

    stored = case_to_data(case_queryset().get(reference="R-1"))
    assert stored == original


def test_a_stored_case_is_judged_exactly_like_the_file_it_came_from(config):
    as_of = dt.datetime(2026, 3, 12, 13, 0, tzinfo=dt.UTC)
    from_file = read_case_file(DATA / "example_case.json", as_of=as_of)
    cases_import(cases=from_file, config=config)

    stored = cases_evaluate(case_queryset().order_by("reference"), as_of=as_of, config=config)
    assert list(stored.values()) == [rules.evaluate(case, config, as_of) for case in from_file]
