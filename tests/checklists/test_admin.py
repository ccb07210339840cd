"""Admin: the names typed on medicine lines that the catalogue does not read, and teaching it."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.urls import reverse

from checklists import casedata as cd
from checklists.models import Drug
from checklists.services.imports import cases_import
from tests.factories import full_case

pytestmark = pytest.mark.django_db
URL = reverse("admin:checklists_drug_unrecognised")
START = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


def _store(config, reference: str, *names: str, hours: int = 0) -> None:
    data = full_case(reference, START + dt.timedelta(hours=hours))
    data = dataclasses.replace(data, medications=tuple(cd.MedicationData(n) for n in names))
    cases_import(cases=[data], config=config)


def test_the_page_lists_unrecognised_names_most_frequent_first(admin_client, config):
    _store(config, "A-1", "heart pill", "Tylenol", "Lisinoprill")
    _store(config, "A-2", "Heart pill 10mg", hours=3)

    response = admin_client.get(URL)

    names = response.context["names"]
    assert [(n.words, n.lines, n.cases) for n in names] == [("heart", 2, 2), ("lisinoprill", 1, 1)]
    assert names[1].suggestion.drug.name == "lisinopril"
    assert "Tylenol" not in response.content.decode()


def test_one_click_adds_the_name_and_every_case_reads_it(admin_client, config):
    _store(config, "A-3", "heart pill")

    response = admin_client.post(URL, {"name": "heart pill", "drug": "metoprolol"}, follow=True)

    assert "“heart pill” is now a name of metoprolol." in response.content.decode()
    assert "heart pill" in Drug.objects.get(name="metoprolol").alias_list
    assert response.context["names"] == []


def test_a_name_that_already_reads_as_a_drug_is_refused(admin_client, config):
    response = admin_client.post(URL, {"name": "Eliquis", "drug": "warfarin"}, follow=True)

    assert "already reads as apixaban" in response.content.decode()
    assert "Eliquis" not in Drug.objects.get(name="warfarin").alias_list


def test_the_page_needs_a_staff_login(client):
    assert client.get(URL).status_code == 302
