"""What texts bring to the staff workspace, in a real browser: a patient who asked to talk is on
the dashboard until someone calls back, and a driver's "I can't" shows on the case page."""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.utils import timezone
from playwright.sync_api import expect

from checklists import casedata as cd
from checklists.models import Case, Patient
from checklists.services.imports import cases_import
from notifications.inbound import sms_receive
from tests.e2e.conftest import ARTIFACTS, check_page, log_in
from tests.factories import full_case


def test_a_coordinator_sees_who_asked_to_talk_calls_back_and_sees_the_declined_driver(
    browser_page, staff, config
):
    start = dt.datetime.combine(timezone.localdate() + dt.timedelta(days=4), dt.time(14, 0), tzinfo=dt.UTC)
    declined = cd.DriverData("Bo Lee", "+15551234567", declined_at=timezone.now() - dt.timedelta(hours=1))
    cases_import(cases=[dataclasses.replace(full_case("T-1", start), driver=declined)], config=config)
    Patient.objects.update(phone="+12125550142", message_channel="sms", sms_confirmed_phone="+12125550142")
    sms_receive(
        provider_id="SM1",
        from_phone="+12125550142",
        body="I have a question about my pills",
        now=timezone.now(),
    )
    case = Case.objects.get()
    page = browser_page
    log_in(page, "cora")

    panel = page.locator("#asked-to-talk")
    expect(panel).to_contain_text("I have a question about my pills")
    check_page(page, "dashboard-asked-to-talk")
    panel.get_by_role("link", name="T-1").click()
    page.wait_for_url(f"**/cases/{case.uuid}/#sms-replies")
    expect(page.locator("#driver")).to_contain_text('the driver answered "I can\'t" through their link')
    expect(page.locator("#sms-replies")).to_contain_text("Asked to talk")
    check_page(page, "case-page-texts")
    for section in ("driver", "sms-replies"):
        page.locator(f"#{section}").screenshot(path=ARTIFACTS / f"case-page-{section}.png")

    page.locator("#sms-replies").get_by_role("button", name="Called back").click()
    expect(page.locator("#sms-replies")).to_contain_text("Called back")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    expect(page.locator("#asked-to-talk")).to_have_count(0)
