"""An API token for the clinic's EHR, in a real browser: an admin adds one in the admin, copies it
from the one page that shows it, the EHR reads a case's Bundle with it, and once revoked it reads
nothing."""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.error
import urllib.request

from django.test import override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from checklists.models import Case
from checklists.services.imports import cases_import
from tests.conftest import TEST_CLOCK
from tests.e2e.conftest import ARTIFACTS, PASSWORD, log_in
from tests.factories import StaffFactory, full_case


def fhir_get(base: str, path: str, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request) as response:  # noqa: S310 - the test's own live server
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@override_settings(FHIR_TOKEN_RATE_PER_MINUTE=1000)
def test_an_admin_makes_a_token_the_ehr_reads_with_it_and_revoking_it_stops_it(
    browser_page, live_server, config
):
    admin = StaffFactory(
        username="ada", role="admin", raw_password=PASSWORD, is_staff=True, is_superuser=True
    )
    TOTPDevice.objects.create(user=admin, name="Authenticator app", confirmed=True)
    start = (TEST_CLOCK + dt.timedelta(days=30)).replace(hour=14, minute=0, second=0, microsecond=0)
    cases_import(cases=[full_case("VP-1", start)], config=config)
    case = Case.objects.get()
    page = browser_page
    log_in(page, "ada")

    page.goto("/admin/fhir_r4/apitoken/add/")
    page.get_by_label("Name").fill("Epic interface")
    page.get_by_label("Scope").select_option(label="Read")
    page.get_by_role("button", name="Save", exact=True).click()
    message = page.locator(".messagelist")
    expect(message).to_contain_text("Copy it now: it is not shown again.")
    page.screenshot(path=ARTIFACTS / "admin-api-token-shown-once.png", full_page=True)
    token = re.search(r"pd_[0-9a-f]{8}_\S+", message.inner_text())[0]

    status, bundle = fhir_get(live_server.url, f"/fhir/Bundle/{case.uuid}", token)
    assert status == 200 and bundle["resourceType"] == "Bundle"
    page.reload()
    expect(page.get_by_text(token)).to_have_count(0)  # shown once
    expect(page.locator(".field-last_used_at")).not_to_contain_text("-")

    page.goto("/admin/fhir_r4/apitoken/")
    page.get_by_role("checkbox", name=re.compile("Select this object")).check()
    page.locator("select[name=action]").select_option(label="Revoke selected tokens")
    page.locator("button[name=index]").click()
    expect(page.locator(".messagelist")).to_contain_text("1 token revoked.")

    status, outcome = fhir_get(live_server.url, f"/fhir/Bundle/{case.uuid}", token)
    assert status == 401 and outcome["resourceType"] == "OperationOutcome"
