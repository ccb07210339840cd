"""A coordinator's and a clinician's day, in a real browser."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from checklists.models import Case, Room
from tests.e2e.conftest import ARTIFACTS, log_in


def next_weekday_at_nine() -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=3)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(9, 0))


def test_a_coordinator_creates_a_case_through_the_form(browser_page, staff):
    page = browser_page
    Room.objects.create(name="IR Suite 1")
    start = next_weekday_at_nine()

    log_in(page, "cora")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="New case").click()
    page.get_by_label("First name").fill("Margaret")
    page.get_by_label("Last name").fill("Okafor")
    page.get_by_label("Date of birth").fill("1948-03-12")
    page.get_by_label("T12").check()
    page.get_by_label("L1").check()
    page.get_by_label("Room").select_option(label="IR Suite 1")
    page.get_by_label("Start time").fill(start.strftime("%Y-%m-%dT%H:%M"))
    # The computed times appear as the form is filled in: 09:00 start, two levels, two hours flat.
    times = page.locator("#computed-times")
    times.get_by_text("Pickup", exact=True).wait_for()
    assert "08:00" in times.inner_text() and "13:00" in times.inner_text()
    page.screenshot(path=ARTIFACTS / "case-form.png", full_page=True)
    page.get_by_role("button", name="Create case").click()

    page.wait_for_url("**/cases/*/")
    case = Case.objects.get()
    assert case.levels == ["T12", "L1"]
    assert timezone.localtime(case.appointment.start).replace(tzinfo=None) == start
