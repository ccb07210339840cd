"""`seed_demo`: demo logins, rooms and cases that show every flag, created once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.test import Client

from checklists import rules
from checklists.models import Case, Room
from checklists.selectors.cases import case_queryset, cases_evaluate
from tests.factories import READINESS_CODES, SignedInClient

pytestmark = pytest.mark.django_db


def test_demo_cases_raise_every_flag_code_and_include_ready_cases(run_command):
    result = run_command("seed_demo")

    assert result.exit_code == 0, result.stderr
    flags = cases_evaluate(case_queryset(), as_of=dt.datetime.now(dt.UTC))
    assert {f.code for case_flags in flags.values() for f in case_flags} == READINESS_CODES
    assert sum(rules.is_ready(case_flags) for case_flags in flags.values()) >= 3
    assert Case.objects.count() == 15


def test_demo_cases_fall_within_the_next_three_weeks(run_command):
    run_command("seed_demo")
    today = dt.datetime.now(dt.UTC)

    starts = [
        c.appointment.start
        for c in Case.objects.filter(appointment__isnull=False).select_related("appointment")
    ]
    assert starts and all(today < s < today + dt.timedelta(days=21) for s in starts)


def test_seed_demo_run_twice_creates_nothing_new(run_command):
    run_command("seed_demo")
    second = run_command("seed_demo")

    assert second.exit_code == 0
    assert "0 case(s) created, 15 already there" in second.stdout
    assert (Case.objects.count(), Room.objects.count()) == (15, 3)


def test_demo_logins_work_with_the_printed_password(run_command, monkeypatch, client):
    monkeypatch.setenv("DEMO_PASSWORD", "another-secret-9")
    result = run_command("seed_demo")

    assert "password: another-secret-9" in result.stdout
    for username in ("coordinator", "clinician", "admin"):
        response = client.post("/accounts/login/", {"username": username, "password": "another-secret-9"})
        assert response.status_code == 302, username
        assert response.url == "/dashboard/"
        client.post("/accounts/logout/")
    assert User.objects.get(username="admin").is_superuser


def test_demo_staff_have_email_addresses_so_the_demo_sends_them_notices(run_command):
    assert run_command("seed_demo").exit_code == 0

    for username in ("coordinator", "clinician"):
        assert User.objects.get(username=username).email == f"{username}@clinic.example"


@pytest.mark.parametrize(("debug", "clinician_lands_on"), [(True, "/dashboard/"), (False, "setup")])
def test_demo_logins_skip_two_factor_sign_in_only_while_debug_is_on(
    run_command, settings, debug, clinician_lands_on
):
    settings.DEBUG = debug
    run_command("seed_demo")
    browser = Client()

    browser.post("/accounts/login/", {"username": "clinician", "password": "prepdesk-demo"})
    answer = browser.get("/dashboard/")

    if clinician_lands_on == "setup":
        assert answer["Location"].startswith("/accounts/two-factor/setup/")
    else:
        assert answer.status_code == 200


def test_the_demo_has_a_patient_who_texts_and_asked_to_talk_once(run_command):
    from notifications.models import InboundSms

    run_command("seed_demo")
    run_command("seed_demo")

    [reply] = InboundSms.objects.all()
    assert (reply.case.reference, reply.meaning, reply.body) == ("DEMO-013", "talk", "2")
    assert reply.case.patient.message_channel == "both"


def test_the_printed_fhir_link_gives_a_demo_login_the_case_as_a_bundle(run_command, settings):
    result = run_command("seed_demo")
    url = result.stdout.split("FHIR R4 Bundle of DEMO-001")[1].splitlines()[1].strip()
    client = SignedInClient()
    client.force_login(User.objects.get(username="coordinator"))

    response = client.get(url)

    assert response.status_code == 200 and response["Content-Type"].startswith("application/fhir+json")
    assert response.json()["resourceType"] == "Bundle"
