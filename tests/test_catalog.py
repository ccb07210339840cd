"""The medication matcher: what the patient writes -> catalogue drugs (READINESS.md, catalogue)."""

from __future__ import annotations

import pytest

from checklists.catalog import RuleConfig

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


@pytest.mark.parametrize("name", ["Vitamin D 1000 IU", "Tylenol", "lisinopril 10 mg", "Asacol", ""])
def test_unknown_name_is_unclassified(name: str) -> None:
    assert CONFIG.match(name) == ()


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
