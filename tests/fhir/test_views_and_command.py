"""A case as a FHIR Bundle over HTTP (staff) and from `manage.py export_fhir`."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fhir.resources.R4B.bundle import Bundle

from checklists.models import AccessLog, Case
from checklists.services.imports import cases_import
from tests.factories import SignedInClient, full_case

pytestmark = pytest.mark.django_db
START = dt.datetime(2026, 12, 7, 14, 0, tzinfo=dt.UTC)


@pytest.fixture
def stored(config) -> list[Case]:
    cases_import(
        cases=[full_case(f"F-{i}", START + dt.timedelta(hours=2 * i)) for i in range(3)], config=config
    )
    return list(Case.objects.order_by("reference"))


def test_staff_get_a_valid_bundle_and_the_view_is_logged(stored, coordinator):
    client = SignedInClient()
    client.force_login(coordinator)
    case = stored[0]

    response = client.get(f"/fhir/Bundle/{case.uuid}")

    assert response.status_code == 200 and response["Content-Type"].startswith("application/fhir+json")
    bundle = Bundle.model_validate(json.loads(response.content))
    kinds = {entry.resource.get_resource_type() for entry in bundle.entry}
    assert {"Patient", "Appointment", "Location", "MedicationStatement", "AllergyIntolerance"} <= kinds
    assert {"Observation", "Flag", "Task"} <= kinds
    assert AccessLog.objects.filter(case=case, action="fhir.bundle", user=coordinator).count() == 1


def test_nobody_signed_out_gets_a_bundle(stored, client):
    response = client.get(f"/fhir/Bundle/{stored[0].uuid}")

    assert response.status_code == 401 and json.loads(response.content)["resourceType"] == "OperationOutcome"
    assert not AccessLog.objects.exists()


def test_a_system_reads_a_bundle_with_its_token_and_the_read_is_logged_naming_it(stored, coordinator):
    from django.test import Client
    from django.utils import timezone

    from fhir_r4.auth import token_create

    _, token = token_create(name="Epic interface", scope="read", user=coordinator, now=timezone.now())
    case = stored[1]

    response = Client().get(f"/fhir/Bundle/{case.uuid}", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 200
    Bundle.model_validate(json.loads(response.content))
    [entry] = AccessLog.objects.all()
    assert (entry.case, entry.user) == (case, None) and "Epic interface" in entry.action


def test_export_fhir_prints_one_valid_bundle_per_line(stored, run_command):
    result = run_command("export_fhir", "--reference", "F-2", "F-0")

    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    patients = [
        next(
            e.resource
            for e in Bundle.model_validate(json.loads(line)).entry
            if e.resource.get_resource_type() == "Patient"
        )
        for line in lines
    ]
    assert [p.name[0].family for p in patients] == ["Lee-F-0", "Lee-F-2"]


def test_an_unknown_reference_is_one_line_on_stderr_and_nothing_on_stdout(stored, run_command):
    result = run_command("export_fhir", "--reference", "F-0", "NOPE")

    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "--reference: no case NOPE\n"


@pytest.mark.parametrize("count", [1, 50])
def test_exporting_one_case_or_fifty_costs_the_same_queries(
    config, run_command, django_assert_num_queries, count
):
    cases_import(
        cases=[full_case(f"Q-{i:03d}", START + dt.timedelta(hours=2 * i)) for i in range(count)],
        config=config,
    )

    # The rule data (cached after this first read: 4), the references asked for (none), the cases'
    # uuids, the case rows, and four per chunk of cases (medicines, allergies, labs, sign-offs).
    with django_assert_num_queries(10):
        result = run_command("export_fhir")

    assert len(result.stdout.splitlines()) == count


def _token(coordinator, scope: str) -> str:
    from django.utils import timezone

    from fhir_r4.auth import token_create

    return token_create(name="EHR referrals", scope=scope, user=coordinator, now=timezone.now())[1]


def test_an_ehr_posts_a_referral_bundle_and_a_case_is_made(stored, coordinator, config):
    from django.test import Client

    client = Client()
    token = _token(coordinator, "read_write")
    exported = json.loads(
        client.get(f"/fhir/Bundle/{stored[0].uuid}", HTTP_AUTHORIZATION=f"Bearer {token}").content
    )
    order = next(
        e["resource"] for e in exported["entry"] if e["resource"]["resourceType"] == "ServiceRequest"
    )
    order["identifier"][0]["value"] = "EHR-1"
    appointment = next(
        e["resource"] for e in exported["entry"] if e["resource"]["resourceType"] == "Appointment"
    )
    appointment["start"] = (START + dt.timedelta(days=3)).isoformat()
    # full_case's labs are dated near the appointment, after "now": a referral carries none here,
    # nor sign-offs (staff record those in PrepDesk).
    exported["entry"] = [
        e
        for e in exported["entry"]
        if e["resource"]["resourceType"] != "Observation" and e["resource"].get("status") != "completed"
    ]

    created = client.post(
        "/fhir/Bundle",
        json.dumps(exported),
        content_type="application/fhir+json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert created.status_code == 201, created.content
    case = Case.objects.get(reference="EHR-1")
    assert created["Location"].endswith(f"/fhir/Bundle/{case.uuid}")
    Bundle.model_validate(json.loads(created.content))


def test_a_bad_referral_is_refused_naming_the_element_and_a_read_token_may_not_post(stored, coordinator):
    from django.test import Client

    client = Client()
    writer, reader = _token(coordinator, "read_write"), _token(coordinator, "read")
    exported = json.loads(
        client.get(f"/fhir/Bundle/{stored[0].uuid}", HTTP_AUTHORIZATION=f"Bearer {writer}").content
    )
    lab = next(i for i, e in enumerate(exported["entry"]) if e["resource"]["resourceType"] == "Observation")
    del exported["entry"][lab]["resource"]["effectiveDateTime"]
    body = json.dumps(exported)

    refused = client.post(
        "/fhir/Bundle", body, content_type="application/fhir+json", HTTP_AUTHORIZATION=f"Bearer {writer}"
    )
    forbidden = client.post(
        "/fhir/Bundle", body, content_type="application/fhir+json", HTTP_AUTHORIZATION=f"Bearer {reader}"
    )

    assert refused.status_code == 400
    issue = json.loads(refused.content)["issue"][0]
    assert issue["diagnostics"] == f"entry[{lab}].resource.effectiveDateTime: required"
    assert forbidden.status_code == 403
    assert Case.objects.count() == 3


REFERRAL = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [
        {
            "fullUrl": "urn:uuid:5b0f6c1e-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
            "resource": {
                "resourceType": "Patient",
                "name": [{"family": "Okafor", "given": ["Grace"]}],
                "birthDate": "1944-02-29",
                "gender": "female",
            },
        }
    ],
}


def _post(client, token: str, query: str = "", body: dict = REFERRAL):
    return client.post(
        f"/fhir/Bundle{query}",
        json.dumps(body),
        content_type="application/fhir+json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_a_referral_of_only_a_patient_names_its_reference_and_levels_in_the_query(
    coordinator, clinical_defaults
):
    from django.test import Client

    client, token = Client(), _token(coordinator, "read_write")

    missing = _post(client, token, "?levels=L1")
    no_levels = _post(client, token, "?reference=EHR-9")
    created = _post(client, token, "?reference=EHR-9&levels=T12,%20L1")

    assert json.loads(missing.content)["issue"][0]["diagnostics"] == "reference: required (give ?reference=)"
    assert json.loads(no_levels.content)["issue"][0]["diagnostics"] == (
        "levels: required (give ?levels=, e.g. ?levels=T12,L1)"
    )
    assert created.status_code == 201, created.content
    case = Case.objects.get(reference="EHR-9")
    assert (case.patient.last_name, case.levels, case.status) == ("Okafor", ["T12", "L1"], "draft")


def test_a_referral_carrying_sign_offs_is_refused_nobody_signed_off_over_the_api(
    coordinator, clinical_defaults
):
    # A clinician's items are cleared by a clinician signed in to PrepDesk; a token is not one.
    from django.test import Client

    client, token = Client(), _token(coordinator, "read_write")
    signoff = {
        "resourceType": "Task",
        "status": "completed",
        "intent": "order",
        "code": {
            "coding": [
                {"system": "https://prepdesk.example/fhir/CodeSystem/signoff-item", "code": "labs_reviewed"}
            ]
        },
        "owner": {"display": "dr_kim"},
        "executionPeriod": {"end": "2026-11-01T09:00:00+00:00"},
    }
    body = {**REFERRAL, "entry": [*REFERRAL["entry"], {"resource": signoff}]}

    refused = _post(client, token, "?reference=EHR-9&levels=L1", body)

    assert refused.status_code == 400
    assert json.loads(refused.content)["issue"][0]["diagnostics"] == (
        "entry[1].resource: a referral cannot carry sign-offs: staff record them in PrepDesk"
    )
    assert not Case.objects.exists()
