"""A driver answers from their own link on a phone (360 × 740), in a real browser."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from checklists import casedata as cd
from checklists.driver_links import token_for
from checklists.models import Driver
from tests.e2e.conftest import check_page, chromium
from tests.intake.support import next_start, store_case


@pytest.fixture
def driver_phone(transactional_db, clinical_defaults, chromium_path, live_server, monkeypatch):
    with chromium(chromium_path, monkeypatch) as browser:
        phone = browser.new_context(
            base_url=live_server.url, viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
        )
        phone.set_default_timeout(10_000)
        yield phone.new_page()
        phone.close()


def test_a_driver_says_yes_on_their_phone_then_changes_to_i_cant(driver_phone, config):
    case = store_case(
        config, start=next_start(days=5, hour=9), driver=cd.DriverData("Samuel Okafor", "+15550100002", "son")
    )
    page = driver_phone
    page.goto(f"/d/{token_for(Driver.objects.select_related('case').get(case=case))}/")

    expect(page.get_by_role("heading", level=1)).to_have_text("Margaret O. asked you to drive them home")
    pickup = case.appointment.start + dt.timedelta(hours=3)
    expect(page.locator(".driver-facts")).to_contain_text(f"{pickup:%H:%M}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    check_page(page, "driver-link")

    page.get_by_role("button", name="Yes, I'll drive").click()
    expect(page.get_by_role("status")).to_contain_text("The clinic knows you will drive")
    expect(page.get_by_role("button", name="Yes, I'll drive")).to_have_count(0)
    check_page(page, "driver-link-yes")
    assert Driver.objects.get(case=case).confirmed_by_driver

    page.get_by_role("button", name="I can't").click()
    expect(page.get_by_role("status")).to_contain_text("find another driver")
    driver = Driver.objects.get(case=case)
    assert (driver.confirmed_at, driver.declined_at is not None) == (None, True)
