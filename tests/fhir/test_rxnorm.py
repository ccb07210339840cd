"""RxNorm ingredient codes on the medication catalogue (Drug.rxnorm): shipped with where each was
checked, editable in the admin, and what the FHIR export codes a medicine line with."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse

from checklists import defaults
from checklists.casedata import ANTICOAGULANT_CLASSES, MedicationData
from checklists.catalog import RuleConfig
from checklists.models import Drug
from checklists.services.imports import cases_import
from fhir_r4 import codes
from tests.conftest import TEST_CLOCK
from tests.fhir.test_import import exportable

START = (TEST_CLOCK + dt.timedelta(days=19)).replace(hour=14, minute=0, second=0, microsecond=0)
# The classes whose medicines change the plan (MEDICATIONS.md), each drug of which is coded, but for
# the ingredients no public source confirmed a code for (a wrong code is worse than none).
FLAGGED_CLASSES = ANTICOAGULANT_CLASSES | {"nsaid", "glp1", "sglt2", "metformin", "sulfonylurea", "insulin"}
UNCONFIRMED = {
    # No public source tied the code to the ingredient (checked session 9; re-check at RxNav).
    *("dipyridamole", "ticlopidine", "dalteparin", "tinzaparin"),
    *("ketorolac", "etodolac", "sulindac", "diflunisal", "oxaprozin"),
    # Not marketed in the US: no RxNorm ingredient found.
    *("triflusal", "bemiparin", "nadroparin", "fluindione"),
    # A class or an unnamed kind, not one ingredient: a code would claim more than the line says.
    *("low molecular weight heparin", "insulin", "human insulin"),
}


def shipped_rows() -> list[dict[str, str]]:
    with open(defaults.RXNORM_FILE, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_every_shipped_code_names_a_catalogue_drug_and_says_where_it_was_checked():
    catalogue = {d["name"] for d in defaults.catalogue_drugs()}
    rows = shipped_rows()

    assert [r["name"] for r in rows if r["name"] not in catalogue] == []
    assert [r["rxcui"] for r in rows if not re.fullmatch(r"[1-9][0-9]{0,9}", r["rxcui"])] == []
    assert [r["name"] for r in rows if not r["source"].strip()] == []
    assert len({r["rxcui"] for r in rows}) == len({r["name"] for r in rows}) == len(rows)


def test_the_anticoagulants_and_the_other_flagged_classes_are_coded():
    config = RuleConfig.defaults()

    uncoded = {d.name for d in config.drugs if d.drug_class in FLAGGED_CLASSES and not d.rxnorm}

    assert uncoded == UNCONFIRMED


@pytest.mark.django_db
def test_the_migration_puts_the_shipped_codes_on_the_catalogue(clinical_defaults):
    coded = dict(Drug.objects.exclude(rxnorm="").values_list("name", "rxnorm"))

    assert coded == defaults.rxnorm_codes()
    assert coded["warfarin"] == "11289"


def medication_concepts(stdout: str) -> dict[str, dict]:
    entries = json.loads(stdout)["entry"]
    return {
        e["resource"]["medicationCodeableConcept"]["text"]: e["resource"]["medicationCodeableConcept"]
        for e in entries
        if e["resource"]["resourceType"] == "MedicationStatement"
    }


def drug_form(drug: Drug, **changes: str) -> dict[str, str]:
    data = model_to_dict(drug, exclude=["id"])
    return {k: "" if v is None else v for k, v in {**data, **changes}.items()}


@pytest.mark.django_db
def test_a_code_added_in_the_admin_codes_the_next_export(admin_client, config, run_command):
    case = exportable()
    cases_import(cases=[replace_medications(case, "Zestril 10 mg")], config=config)
    assert medication_concepts(run_command("export_fhir").stdout)["Zestril 10 mg"] == {
        "text": "Zestril 10 mg"
    }
    lisinopril = Drug.objects.get(name="lisinopril")

    response = admin_client.post(
        reverse("admin:checklists_drug_change", args=[lisinopril.pk]), drug_form(lisinopril, rxnorm="29046")
    )

    assert response.status_code == 302
    assert medication_concepts(run_command("export_fhir").stdout)["Zestril 10 mg"]["coding"] == [
        {"system": codes.RXNORM, "code": "29046", "display": "lisinopril"}
    ]


@pytest.mark.django_db
def test_a_code_that_is_not_digits_is_refused_next_to_the_field(admin_client, clinical_defaults):
    warfarin = Drug.objects.get(name="warfarin")

    response = admin_client.post(
        reverse("admin:checklists_drug_change", args=[warfarin.pk]), drug_form(warfarin, rxnorm="RX11289")
    )

    assert response.status_code == 200
    assert "An RxNorm RXCUI is digits only, e.g. 1364430." in response.content.decode()
    warfarin.refresh_from_db()
    assert warfarin.rxnorm == "11289"


def replace_medications(case, *names: str):
    from dataclasses import replace

    return replace(case, medications=tuple(MedicationData(n) for n in names))
