"""The medication matcher: what the patient writes -> catalogue drugs (MEDICATIONS.md "Matching")."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from checklists.catalog import RuleConfig, normalize_name

CONFIG = RuleConfig.defaults()


def generics(name: str) -> list[str]:
    return [drug.name for drug in CONFIG.match(name)]


@pytest.mark.parametrize(
    ("name", "generic"),
    [("Eliquis", "apixaban"), ("Coumadin", "warfarin"), ("Plavix", "clopidogrel"), ("Lovenox", "enoxaparin")],
)
def test_brand_name_matches_its_generic(name: str, generic: str) -> None:
    assert generics(name) == [generic]


def test_generic_name_matches_itself() -> None:
    assert generics("apixaban") == ["apixaban"]


def test_matching_ignores_case() -> None:
    assert generics("ELIQUIS") == ["apixaban"]


def test_matching_ignores_extra_spaces() -> None:
    assert generics("  fish   oil ") == ["fish oil"]


@pytest.mark.parametrize(
    ("name", "generic"),
    [
        ("Eliquis 5mg", "apixaban"),
        ("Eliquis 2.5 mg", "apixaban"),
        ("Fish oil 1000 mg", "fish oil"),
        ("Vitamin E 400 IU", "vitamin e"),
        ("Aspirin 81mg", "aspirin"),
        ("Heparin 5000 units", "heparin"),
    ],
)
def test_a_dose_written_in_the_name_is_ignored(name: str, generic: str) -> None:
    assert generics(name) == [generic]


@pytest.mark.parametrize("name", ["low dose aspirin", "baby aspirin", "Bayer Aspirin 325mg", "ASA 81 mg"])
def test_aspirin_aliases_and_phrases_match_aspirin(name: str) -> None:
    assert generics(name) == ["aspirin"]


def test_multi_word_alias_matches_as_whole_words() -> None:
    assert generics("Ginkgo biloba extract") == ["ginkgo"]


@pytest.mark.parametrize("name", ["omega-3", "Omega 3 fatty acids", "omega-3 1000mg"])
def test_hyphenated_alias_matches_with_hyphen_or_space(name: str) -> None:
    assert generics(name) == ["fish oil"]


def test_combination_product_matches_each_drug() -> None:
    assert generics("aspirin/clopidogrel 81/75 mg") == ["aspirin", "clopidogrel"]


def test_two_aliases_of_one_drug_give_it_once() -> None:
    assert generics("baby aspirin (ASA)") == ["aspirin"]


@pytest.mark.parametrize("name", ["zzqx", "blood thinner shots", "my heart pill", "2 tabs", ""])
def test_unknown_name_is_unrecognised(name: str) -> None:
    reading = CONFIG.read(name)
    assert (reading.matches, reading.recognised) == ((), False)


# --- MEDICATIONS.md: normalising, exact, longest wins, probable ------------------------------------


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("Apixabán", "apixaban"),  # accents folded, not "apix b n"
        ("Eliquis5mg", "eliquis"),
        ("Plavix75", "plavix"),
        ("ASA81", "asa"),
        ("Janumet 50/1000", "janumet"),
        ("metformin 500mg 1 tab", "metformin"),
        ("Advair 2 puffs", "advair"),
        ("Eliquis® 5 mg", "eliquis"),
        ("St John's wort", "st johns wort"),
    ],
)
def test_names_are_normalised_before_matching(typed: str, words: str) -> None:
    assert normalize_name(typed) == words


def test_the_longest_name_wins_where_names_overlap() -> None:
    assert generics("low molecular weight heparin") == ["low molecular weight heparin"]
    assert generics("LMWH injections") == ["low molecular weight heparin"]
    assert generics("heparin") == ["heparin"]


def test_a_line_naming_two_drugs_gives_both() -> None:
    assert generics("aspirin and Plavix") == ["aspirin", "clopidogrel"]


def test_a_combination_product_gives_every_drug_it_contains() -> None:
    assert generics("Janumet 50/1000") == ["metformin", "sitagliptin"]
    assert generics("Aggrenox") == ["aspirin", "dipyridamole"]


def test_the_reading_records_how_and_which_name_matched() -> None:
    [match] = CONFIG.read("Eliquis 5mg").matches
    assert (match.drug.name, match.how, match.matched_name) == ("apixaban", "exact", "eliquis")


def test_a_typo_of_a_blood_thinner_is_a_probable_match_that_counts() -> None:
    reading = CONFIG.read("Elliquis")
    assert [(m.drug.name, m.how, m.matched_name) for m in reading.matches] == [
        ("apixaban", "probable", "eliquis")
    ]
    assert reading.recognised


def test_a_typo_of_a_no_action_medicine_stays_unrecognised_with_a_suggestion() -> None:
    reading = CONFIG.read("Lisinoprill 10 mg")
    assert not reading.recognised
    assert reading.suggestion is not None and reading.suggestion.drug.name == "lisinopril"


def test_a_typo_beside_a_recognised_medicine_is_still_read() -> None:
    # Safer than the spec's "only when nothing matched": a misspelt blood thinner is not hidden.
    assert generics("Tylenol and Xeralto") == ["acetaminophen", "rivaroxaban"]


def test_short_words_are_never_guessed_at() -> None:
    assert CONFIG.read("ASX").matches == () and CONFIG.read("ASX").suggestion is None


def test_a_negation_still_matches_for_the_clinician_to_decide() -> None:
    assert generics("Eliquis - stopped 2024") == ["apixaban"]


# --- The table of typed names (tests/data/typed_medicines.csv) -------------------------------------

TABLE = list(
    csv.DictReader((Path(__file__).parents[1] / "data" / "typed_medicines.csv").open(encoding="utf-8"))
)


def test_the_table_has_at_least_150_typed_names() -> None:
    assert len(TABLE) >= 150


@pytest.mark.parametrize("row", TABLE, ids=[row["typed"] for row in TABLE])
def test_a_typed_name_is_read_as_the_table_says(row: dict) -> None:
    reading = CONFIG.read(row["typed"])
    expected = sorted(filter(None, row["drugs"].split("+")))
    assert sorted(d.name for d in reading.drugs) == expected
    if row["match"] == "none":
        assert not reading.recognised
    else:  # "mixed": one drug read exactly, another as a probable typo
        expected_how = {"exact", "probable"} if row["match"] == "mixed" else {row["match"]}
        assert {m.how for m in reading.matches} == expected_how


def test_heparin_does_not_match_enoxaparin() -> None:
    assert generics("enoxaparin 40 mg") == ["enoxaparin"]


def test_alias_inside_a_longer_word_does_not_match() -> None:
    assert generics("garlicky sauce") == []


def test_match_returns_drug_entries_with_class_and_hold() -> None:
    (drug,) = CONFIG.match("Xarelto 20 mg")
    assert (drug.name, drug.drug_class, drug.hold_days, drug.renal_egfr_below) == (
        "rivaroxaban",
        "doac",
        2,
        30,
    )


@pytest.mark.parametrize(
    "typed",
    ["liquid Tylenol", "vitamin A", "vitamin K 100 mcg", "Tylenol tomado ayer", "dolor leve", "hearing aid"],
)
def test_ordinary_words_are_not_read_as_misspelt_drugs(typed: str) -> None:
    assert not [m for m in CONFIG.read(typed).matches if m.how == "probable"]
