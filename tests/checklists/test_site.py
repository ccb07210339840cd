"""Every link PrepDesk prints or emails points where the app is really served: `SITE_URL` when it
is set, otherwise the host the page was asked on (and, without a request, the local address)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.checks import run_checks
from django.urls import reverse
from icalendar import Calendar

from checklists.site import LOCAL_DEFAULT, site_url
from notifications.models import Notification
from tests.intake.support import issue, next_start, store_case

pytestmark = pytest.mark.django_db
OTHER_PORT = {"HTTP_HOST": "localhost:8123"}


@pytest.fixture
def unset(settings):
    settings.SITE_URL = ""
    return settings


def test_the_invitation_links_to_the_host_and_port_the_coordinator_is_using(
    unset, config, client, coordinator
):
    case = store_case(config, start=next_start())
    client.force_login(coordinator)

    client.post(reverse("intake:link_send", args=[case.uuid]), **OTHER_PORT)

    (email,) = mail.outbox
    assert re.search(r"http://localhost:8123/i/[\w-]+/", email.body)
    assert "8000" not in email.body


def test_a_configured_site_url_wins_over_the_host_a_request_came_in_on(settings, config, client, coordinator):
    settings.SITE_URL = "https://prep.example-clinic.org/"
    case = store_case(config, start=next_start())
    client.force_login(coordinator)

    client.post(reverse("intake:link_send", args=[case.uuid]), **OTHER_PORT)

    assert re.search(r"https://prep\.example-clinic\.org/i/[\w-]+/", mail.outbox[0].body)


def test_the_locked_link_notice_links_to_the_case_on_the_patients_host(unset, config, client, coordinator):
    case = store_case(config, start=next_start())
    client.get(f"/i/{issue(case, config)}/", **OTHER_PORT)
    for _ in range(5):
        client.post("/intake/", {"day": "1", "month": "1", "year": "1950"}, **OTHER_PORT)

    notice = Notification.objects.get(kind="link_locked")
    assert f"http://localhost:8123/cases/{case.uuid}/" in notice.body_text


def test_the_staff_calendar_file_links_to_the_case_on_the_staff_members_host(
    unset, config, client, coordinator
):
    case = store_case(config, start=next_start())
    client.force_login(coordinator)

    response = client.get(f"/cases/{case.uuid}/appointment.ics", **OTHER_PORT)

    event = Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert f"http://localhost:8123/cases/{case.uuid}/" in str(event["description"])


def test_work_without_a_request_uses_site_url_and_else_the_local_address(settings):
    settings.SITE_URL = "http://127.0.0.1:8765"
    assert site_url() == "http://127.0.0.1:8765"
    settings.SITE_URL = ""
    assert site_url() == LOCAL_DEFAULT


def test_seed_demo_prints_the_patient_link_on_the_configured_address(settings, run_command):
    settings.SITE_URL = "http://127.0.0.1:8765"

    result = run_command("seed_demo")

    assert re.search(r"^  http://127\.0\.0\.1:8765/i/[\w-]+/$", result.stdout, re.MULTILINE)


def test_running_for_real_without_site_url_is_refused(settings):
    settings.DEBUG, settings.SITE_URL = False, ""
    assert "checklists.E002" in {m.id for m in run_checks()}
    settings.SITE_URL = "https://prep.example-clinic.org"
    assert "checklists.E002" not in {m.id for m in run_checks()}
