"""`export_cases` streams: the same text as the whole document dumped at once, case by case, in a
number of queries that grows with chunks of cases, not with cases."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checklists import casedata as cd
from checklists.casefile import cases_to_document, document_chunks
from checklists.management.commands import export_cases
from checklists.services.imports import cases_import
from tests.factories import full_case, store_cases

START = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)
NEW_YORK = dt.timezone(dt.timedelta(hours=-5))

# 4 for the clinic's rule data (settings, deadlines, premedication, catalogue) + 1 for the cases
# with their one-to-ones, then per chunk of cases 4 (medications, allergies, labs, sign-offs).
QUERIES_PER_CHUNK = 4
QUERIES_TO_EXPORT = 5 + QUERIES_PER_CHUNK


def whole(cases, time_zone=NEW_YORK) -> str:
    """The export as it was before streaming: one document, dumped at once."""
    return json.dumps(cases_to_document(cases, time_zone=time_zone), indent=2, ensure_ascii=False)


def named(case: cd.CaseData, first_name: str, last_name: str, note: str | None = None) -> cd.CaseData:
    patient = dataclasses.replace(case.patient, first_name=first_name, last_name=last_name)
    signoffs = tuple(dataclasses.replace(s, note=note) for s in case.signoffs)
    return dataclasses.replace(case, patient=patient, signoffs=signoffs)


def slot(i: int) -> dt.datetime:
    return START + dt.timedelta(hours=2 * i)


# Text that json writes in ways worth checking: kept as is (ensure_ascii=False), escaped (a
# newline, a quote, a backslash), or left raw although str.splitlines would split there.
CASES = [
    named(full_case("A-1", slot(0)), "Zoë", "Nguyễn", note='first line\nsecond "quoted" \\ line'),
    named(full_case("A-2", slot(1)), "李", "Ødegård", note="paragraph\u2028separator\x85next"),
    named(full_case("A-3", slot(2)), "Ann", "Lee"),
]


@pytest.mark.parametrize("count", [0, 1, 3])
def test_document_chunks_join_to_the_whole_document_dumped_at_once(count):
    assert "".join(document_chunks(CASES[:count], time_zone=NEW_YORK)) == whole(CASES[:count])


def test_document_chunks_of_no_cases_is_the_empty_document():
    assert list(document_chunks([], time_zone=NEW_YORK)) == ['{\n  "cases": []\n}']


def test_document_chunks_hold_one_case_each():
    chunks = list(document_chunks(CASES, time_zone=NEW_YORK))

    assert len(chunks) == len(CASES) + 1  # and the closing brackets
    assert [chunk.count('"reference"') for chunk in chunks] == [1, 1, 1, 0]


@given(st.lists(st.tuples(st.text(), st.text(), st.text()), max_size=3))
def test_document_chunks_join_to_the_whole_document_whatever_the_text(names):
    cases = [named(full_case(f"P-{i}", slot(i)), *texts) for i, texts in enumerate(names)]

    assert "".join(document_chunks(cases, time_zone=NEW_YORK)) == whole(cases)


@pytest.mark.django_db
@pytest.mark.parametrize("count", [0, 1, 3])
def test_export_prints_the_same_text_as_the_whole_document_and_a_newline(run_command, config, count):
    cases_import(cases=CASES[:count], config=config)

    result = run_command("export_cases")

    assert result.exit_code == 0, result.stderr
    assert result.stdout == whole(CASES[:count], config.time_zone) + "\n"


@pytest.mark.django_db
def test_export_of_named_references_prints_only_those_in_reference_order(run_command, config):
    cases_import(cases=CASES, config=config)

    result = run_command("export_cases", "--reference", "A-3", "A-1")

    assert result.stdout == whole([CASES[0], CASES[2]], config.time_zone) + "\n"


@pytest.mark.django_db
def test_export_naming_a_missing_reference_prints_nothing_on_stdout(run_command, config):
    cases_import(cases=CASES, config=config)

    result = run_command("export_cases", "--reference", "A-1", "NOPE", "GONE")

    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "--reference: no case GONE, NOPE\n"


@pytest.mark.django_db
@pytest.mark.parametrize("count", [3, 30])
def test_export_costs_the_same_queries_for_three_cases_or_thirty(
    run_command, django_assert_num_queries, config, count
):
    store_cases(count, config, START)

    with django_assert_num_queries(QUERIES_TO_EXPORT):
        result = run_command("export_cases")

    assert len(result.json["cases"]) == count


@pytest.mark.django_db
def test_export_costs_one_round_of_related_queries_per_chunk_of_cases(
    run_command, django_assert_num_queries, config, monkeypatch
):
    store_cases(30, config, START)
    monkeypatch.setattr(export_cases, "CHUNK_SIZE", 10)

    with django_assert_num_queries(QUERIES_TO_EXPORT + 2 * QUERIES_PER_CHUNK):
        result = run_command("export_cases")

    assert len(result.json["cases"]) == 30
