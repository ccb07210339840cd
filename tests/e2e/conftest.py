"""Browser tests: Playwright drives Debian's Chromium (found on PATH) against a live server.

No browser is ever downloaded: `.ci/ensure-chromium` installs Debian's package. Without it the
tests are skipped on a laptop and fail in CI, where a browser must prove the pages work.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connections
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import StaffFactory

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "e2e-pass-Word-42"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        message = "Debian's chromium is not installed (run .ci/ensure-chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@contextmanager
def chromium(chromium_path: str, monkeypatch):
    """Debian's Chromium under Playwright's sync API, for one test.

    The sync API keeps an event loop on this thread, so the test's own ORM calls open a
    connection of their own (Django keeps connections per async context); it is closed here,
    inside that context, or PostgreSQL could not drop the test database at the end.
    """
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=10_000)  # as the pages' own default: CI's machine can be slow

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
            connections.close_all()


@pytest.fixture
def browser_page(transactional_db, clinical_defaults, chromium_path, live_server, monkeypatch):
    """A fresh desktop-sized page at the live server."""
    with chromium(chromium_path, monkeypatch) as browser:
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        yield context.new_page()
        context.close()


@pytest.fixture
def staff(transactional_db, django_user_model):
    """A coordinator and a clinician who log in through the real login page; the clinician (who
    must use two-factor sign-in) has an authenticator app set up."""
    users = {
        role: StaffFactory(username=username, role=role, raw_password=PASSWORD)
        for role, username in (("coordinator", "cora"), ("clinician", "dr.kim"))
    }
    TOTPDevice.objects.create(user=users["clinician"], name="Authenticator app", confirmed=True)
    return users


def app_code(device: TOTPDevice) -> str:
    """The code the app shows now, or the next one if this half-minute's was used already."""
    now = int((time.time() - device.t0) // device.step)
    later = 1 if device.last_t >= now + device.drift else 0
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift + later):06d}"


def log_in(page, username: str) -> None:
    """Password, then the app's code when the user has an app, as far as the dashboard."""
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/(dashboard|accounts/two-factor/verify)/"))
    if "/two-factor/verify/" in page.url:
        page.get_by_label("Code").fill(app_code(TOTPDevice.objects.get(user__username=username)))
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url("**/dashboard/**")


def log_out(page) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/accounts/login/**")


def assert_accessible(page, name: str) -> None:
    """axe-core (the bundled copy: no network) finds no violation on the page as it stands now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    if os.environ.get("AXE_COLLECT"):
        with (ARTIFACTS / "axe.txt").open("a") as report:
            for v in results.response["violations"]:
                targets = [n["target"] for n in v["nodes"]][:4]
                report.write(f"{name}: {v['id']} ({v['impact']}) {targets}\n")
        return
    assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"


def check_page(page, name: str) -> None:
    """What a person would see, kept as a screenshot, and what axe-core finds, which must be nothing."""
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
    assert_accessible(page, name)
