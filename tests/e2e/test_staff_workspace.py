"""A coordinator's and a clinician's day, in a real browser."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import time

from django.utils import timezone
from django_otp.oath import totp
from playwright.sync_api import expect

from checklists import casedata as cd
from checklists.models import Case, Drug
from checklists.services.imports import cases_import
from tests.e2e.conftest import PASSWORD, check_page, log_in, log_out
from tests.factories import RoomFactory, StaffFactory, full_case


def next_weekday_at_nine() -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=3)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(9, 0))


def create_case_through_the_form(page, start: dt.datetime) -> None:
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
    check_page(page, "case-form")
    page.get_by_role("button", name="Create case").click()
    page.wait_for_url("**/cases/*/")


def test_a_coordinator_creates_a_case_through_the_form(browser_page, staff):
    page = browser_page
    RoomFactory()
    start = next_weekday_at_nine()

    log_in(page, "cora")
    create_case_through_the_form(page, start)

    case = Case.objects.get()
    assert case.levels == ["T12", "L1"]
    assert timezone.localtime(case.appointment.start).replace(tzinfo=None) == start


def test_a_case_goes_from_not_ready_to_signed_off_across_coordinator_and_clinician(browser_page, staff):
    page = browser_page
    RoomFactory()

    # The coordinator books the case and records the patient's blood thinner from a phone call.
    log_in(page, "cora")
    create_case_through_the_form(page, next_weekday_at_nine())
    page.get_by_text("Add, change or remove medicines").click()  # the editor is fetched as it opens
    page.get_by_role("textbox", name="Medicine").first.fill("Eliquis 5mg")
    check_page(page, "case-medicines-editor-open")
    page.get_by_role("button", name="Save medicines").click()
    page.get_by_role("cell", name="Eliquis 5mg").wait_for()

    # The dashboard lists it as not ready.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    row = page.get_by_role("row").filter(has_text="Okafor, Margaret")
    expect(row).to_contain_text("Not ready")
    check_page(page, "dashboard")
    log_out(page)

    # The clinician approves the anticoagulant hold plan; the flags update in place.
    log_in(page, "dr.kim")
    page.get_by_role("link", name="Okafor, Margaret").click()
    hold_flag = page.locator('[data-flag-code="ANTICOAGULANT_HOLD_PLAN"]')
    expect(hold_flag).to_have_count(1)
    page.get_by_role("button", name="Record: Anticoagulant plan approved").click()
    hold_flag.wait_for(state="detached")
    expect(page.locator('tr[data-signoff="anticoagulant_plan_approved"]')).to_have_count(1)
    check_page(page, "case-page")

    case = Case.objects.get()
    assert case.signoffs.get().by == "dr.kim"


def test_a_clinician_resolves_unrecognised_medicines_in_place(browser_page, staff, config):
    page = browser_page
    start = timezone.make_aware(next_weekday_at_nine())
    data = dataclasses.replace(
        full_case("E2E-MEDS", start),
        medications=(
            cd.MedicationData("Qzorbix 5 mg"),
            cd.MedicationData("zzqx drops"),
            cd.MedicationData("Tylenol"),
        ),
    )
    cases_import(cases=[data], config=config)

    log_in(page, "dr.kim")
    page.get_by_role("link", name="Lee-E2E-MEDS, Ann").click()
    unrecognised = page.locator('[data-flag-code="MEDICATION_UNRECOGNISED"]')
    expect(unrecognised).to_have_count(2)
    readings = page.locator("#medicine-readings")
    assert "→ acetaminophen" in readings.locator('tr[data-medication="Tylenol"]').inner_text()

    # "This is apixaban": a clinic-wide name, after a confirmation; the table and flags update in place.
    resolve = readings.locator("tr.resolve-row").filter(has_text="Qzorbix 5 mg")
    resolve.get_by_label("This medicine is").select_option("apixaban")
    resolve.get_by_label("Add “Qzorbix 5 mg” as a name of this drug").check()
    resolve.get_by_role("button", name="Add the name").click()
    readings.locator('tr[data-medication="Qzorbix 5 mg"]').filter(has_text="→ apixaban").wait_for()
    expect(page.locator('[data-flag-code="ANTICOAGULANT_HOLD_PLAN"]')).to_have_count(1)

    # "Reviewed, no action needed" for the other line, for this case only.
    readings.locator("tr.resolve-row").filter(has_text="zzqx drops").get_by_role(
        "button", name="Record: Medication reviewed for zzqx drops"
    ).click()
    unrecognised.first.wait_for(state="detached")
    assert (
        "a clinician marked it reviewed" in readings.locator('tr[data-medication="zzqx drops"]').inner_text()
    )
    check_page(page, "case-page-medicines")

    assert Drug.objects.get(name="apixaban").alias_list[-1] == "Qzorbix 5 mg"


def test_a_refused_case_form_and_the_day_view_pass_axe(browser_page, staff):
    page = browser_page
    RoomFactory()
    start = next_weekday_at_nine()
    log_in(page, "cora")
    create_case_through_the_form(page, start)

    # A second case in the same slot: refused, and the refusal is in view without scrolling.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="New case").click()
    page.get_by_label("First name").fill("Walter")
    page.get_by_label("Last name").fill("Brown")
    page.get_by_label("Date of birth").fill("1944-07-01")
    page.get_by_label("L2").check()
    page.get_by_label("Room").select_option(label="IR Suite 1")
    page.get_by_label("Start time").fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Create case").click()
    page.wait_for_load_state("load")
    page.wait_for_function("document.activeElement.hasAttribute('data-error-summary')")
    summary = page.locator("[data-error-summary]")
    assert "already booked" in summary.inner_text()
    box = summary.bounding_box()
    assert box["y"] >= -1 and box["y"] + box["height"] <= page.viewport_size["height"] + 1
    check_page(page, "case-form-refused")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Day schedule").click()
    page.goto(f"/schedule/?date={start.date().isoformat()}")
    check_page(page, "day-view")


def test_an_admins_first_sign_in_sets_up_the_authenticator_app(browser_page, staff):
    page = browser_page
    StaffFactory(username="root", raw_password=PASSWORD, is_superuser=True, is_staff=True, role=())

    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/accounts/two-factor/setup/**")
    expect(page.locator(".qr-code svg")).to_be_visible()
    # Only the way out in the bar until the code is given.
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard")).to_have_count(0)
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_text("That code is not right")).to_be_visible()
    check_page(page, "two-factor-setup")

    # What a phone does with the key on the page.
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    time.sleep(1.1)  # the one-second pause after a wrong code
    code = f"{totp(base64.b32decode(secret), 30, 0, 6, 0):06d}"
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    page.get_by_role("heading", name="Your backup codes").wait_for()
    expect(page.get_by_role("list", name="Backup codes").get_by_role("listitem")).to_have_count(10)
    check_page(page, "two-factor-backup-codes")
    page.get_by_role("link", name="I have kept them — continue").click()
    page.wait_for_url("**/dashboard/**")

    page.get_by_role("link", name="Two-factor sign-in").click()
    expect(page.get_by_text("Backup codes left: 10 of 10.")).to_be_visible()
    check_page(page, "two-factor-manage")
    log_out(page)
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/accounts/two-factor/verify/**")
    check_page(page, "two-factor-verify")
