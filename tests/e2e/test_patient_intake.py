"""A patient completes the whole intake on a phone (360 × 740), in a real browser."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from checklists import casedata as cd
from checklists.models import Case, Intake, Medication
from checklists.selectors.cases import case_queryset, cases_evaluate
from checklists.selectors.catalogue import load_rule_config
from tests.e2e.conftest import ARTIFACTS, check_page, chromium, log_in
from tests.intake.support import issue, store_case

PATIENT_OWNED = {
    "INTAKE_NOT_SUBMITTED",
    "MEDICATIONS_UNCONFIRMED",
    "ALLERGIES_UNANSWERED",
    "FASTING_NOT_ACKNOWLEDGED",
    "DRIVER_MISSING",
}


@pytest.fixture
def phone_page(transactional_db, clinical_defaults, chromium_path, live_server, monkeypatch):
    """A phone-sized page (360 × 740, touch) in its own browser context: no staff cookies."""
    with chromium(chromium_path, monkeypatch) as browser:
        staff = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
        phone = browser.new_context(
            base_url=live_server.url, viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
        )
        for context in (staff, phone):
            context.set_default_timeout(10_000)
        yield staff.new_page(), phone.new_page()
        staff.close()
        phone.close()


def _fits_the_phone(page) -> None:
    """Nothing wider than the screen: no sideways scrolling at 360 px."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def _shot(page, name: str) -> None:
    check_page(page, name)


def _open_link(page, case, day: str = "12", month: str = "March", year: str = "1948") -> None:
    """The patient opens a fresh link to `case` and gives a date of birth (English pages)."""
    page.goto(f"/i/{issue(case, load_rule_config())}/")
    group = page.get_by_role("group", name="Date of birth")
    group.get_by_label("Day").fill(day)
    group.get_by_label("Month").select_option(label=month)
    group.get_by_label("Year").fill(year)
    page.get_by_role("button", name="Continue").click()


def _next(page) -> None:
    page.get_by_role("button", name="Save and continue").click()


def test_a_patient_completes_the_intake_on_a_phone(phone_page, staff):
    staff_page, page = phone_page
    start = dt.datetime.combine(timezone.localdate() + dt.timedelta(days=6), dt.time(10, 0), tzinfo=dt.UTC)
    case = store_case(
        load_rule_config(),
        "E2E-1",
        start=start,
        labs=(cd.LabData("inr", 1.0, timezone.localdate()),),
    )

    # The coordinator sends the link from the case page and sees it once, to read out if needed.
    log_in(staff_page, "cora")
    staff_page.goto(f"/cases/{case.uuid}/")
    staff_page.get_by_role("button", name="Send the intake link").click()
    staff_page.get_by_text("Emailed to margaret@example.org").wait_for()
    link = re.search(r"/i/[\w-]+/", staff_page.locator("code").inner_text()).group(0)
    _shot(staff_page, "intake-staff-link-sent")

    # The patient opens it: the token leaves the address bar at once.
    page.goto(link)
    page.wait_for_url("**/intake/")
    assert "/i/" not in page.url
    group = page.get_by_role("group", name="Date of birth")
    group.get_by_label("Day").fill("12")
    group.get_by_label("Month").select_option(label="March")
    group.get_by_label("Year").fill("1948")
    _fits_the_phone(page)
    _shot(page, "intake-date-of-birth")
    page.get_by_role("button", name="Continue").click()

    # 1. About you
    page.wait_for_url("**/intake/about/")
    expect(page.get_by_text("Step 1 of 7")).to_be_visible()
    assert page.get_by_label("First name").input_value() == "Margaret"
    page.get_by_label("Your phone number").fill("555 010 0001")
    page.get_by_label("Text messages to this phone").check()
    _fits_the_phone(page)
    _shot(page, "intake-step-1")
    _next(page)

    # 2. Medicines: named back as it is typed, and the last dose is asked for a blood thinner.
    page.wait_for_url("**/intake/medicines/")
    page.get_by_label("Medicine name").fill("Eliquis 5mg")
    page.get_by_text("is a blood thinner").wait_for()
    page.get_by_label("How much you take").fill("5 mg")
    page.get_by_label("How often").fill("twice a day")
    page.get_by_label("This list includes every medicine").check()
    _next(page)
    page.get_by_text("Some of your medicines must be stopped").wait_for()
    last_dose = (start - dt.timedelta(days=4)).date()  # the clinic's plan: no eGFR on file, 3 days
    page.get_by_label("When will you take your last dose").fill(last_dose.isoformat())
    _fits_the_phone(page)
    _shot(page, "intake-step-2")
    _next(page)

    # 3. Allergies
    page.wait_for_url("**/intake/allergies/")
    page.get_by_label("I have no allergies").check()
    _fits_the_phone(page)
    _shot(page, "intake-step-3")
    _next(page)

    # 4. Health questions (an error first, next to its question)
    page.wait_for_url("**/intake/health/")
    _next(page)
    page.get_by_text("Please choose an answer.").first.wait_for()
    page.get_by_role("group", name="Can you lie on your stomach").get_by_label("Yes").check()
    page.get_by_role("group", name="fever or an infection").get_by_label("No").check()
    page.get_by_label("No, I do not have diabetes").check()
    _fits_the_phone(page)
    _shot(page, "intake-step-4")
    _next(page)

    # 5. Driver
    page.wait_for_url("**/intake/driver/")
    page.get_by_label("Your driver's name").fill("Ada Okafor")
    page.get_by_label("How do you know them?").fill("daughter")
    page.get_by_label("Your driver's phone number").fill("555 010 9001")
    _fits_the_phone(page)
    _shot(page, "intake-step-5")
    _next(page)

    # 6. The patient's own times
    page.wait_for_url("**/intake/instructions/")
    expect(page.get_by_text("Stop eating at")).to_be_visible()
    # No stop date before a clinician approves the plan: the patient keeps taking it for now.
    expect(page.get_by_text("Eliquis 5mg (apixaban): keep taking it for now.")).to_be_visible()
    page.get_by_label("I have read and understand these instructions.").check()
    _fits_the_phone(page)
    _shot(page, "intake-step-6")
    _next(page)

    # 7. Review and send
    page.wait_for_url("**/intake/review/")
    expect(page.get_by_text("Ada Okafor")).to_be_visible()
    _fits_the_phone(page)
    _shot(page, "intake-step-7")
    page.get_by_role("button", name="Send my answers to the clinic").click()

    page.wait_for_url("**/intake/done/")
    expect(page.get_by_role("heading", name="Thank you, your answers are with the clinic")).to_be_visible()
    expect(page.get_by_role("link", name="Add to your calendar")).to_be_visible()
    _fits_the_phone(page)
    _shot(page, "intake-done")
    page.get_by_role("link", name="Print your instructions").click()
    page.get_by_role("heading", name="Your instructions for your spine procedure").wait_for()
    _shot(page, "intake-print")

    case = case_queryset().get(pk=case.pk)
    flags = cases_evaluate([case], as_of=timezone.now())[case.pk]
    assert not (PATIENT_OWNED & {f.code for f in flags})
    assert Intake.objects.get(case=case).submitted_at is not None
    assert Medication.objects.get(case=case).last_dose_planned == last_dose

    staff_page.goto(f"/cases/{case.uuid}/#intake-link")
    assert "date of birth confirmed" in staff_page.locator("#intake-link").inner_text()
    staff_page.locator("#intake-link").screenshot(path=ARTIFACTS / "intake-staff-panel.png")

    # The coordinator sees it: the dashboard no longer lists a patient flag for this case.
    staff_page.goto("/dashboard/?owner=patient")
    expect(staff_page.locator('[data-case="E2E-1"]')).to_have_count(0)
    assert Case.objects.get(pk=case.pk).intake.submitted_at is not None


def test_a_spanish_speaking_patient_gets_the_intake_in_spanish_on_a_phone(phone_page, staff):
    _, page = phone_page
    start = dt.datetime.combine(timezone.localdate() + dt.timedelta(days=6), dt.time(10, 0), tzinfo=dt.UTC)
    case = store_case(load_rule_config(), "E2E-ES", start=start, language="es")
    page.goto(f"/i/{issue(case, load_rule_config())}/")
    group = page.get_by_role("group", name="Fecha de nacimiento")
    group.get_by_label("Día").fill("12")
    group.get_by_label("Mes").select_option(label="marzo")
    group.get_by_label("Año").fill("1948")
    _shot(page, "intake-es-date-of-birth")
    page.get_by_role("button", name="Continuar").click()

    page.wait_for_url("**/intake/about/")
    expect(page.get_by_text("Paso 1 de 7")).to_be_visible()
    page.get_by_role("button", name="Guardar y continuar").click()
    page.wait_for_url("**/intake/medicines/")
    page.goto("/intake/instructions/")
    expect(page.get_by_text("Deje de comer a las")).to_be_visible()
    _fits_the_phone(page)
    _shot(page, "intake-es-step-6")


def _in_view(page, selector: str) -> bool:
    return page.evaluate(
        """(selector) => { const r = document.querySelector(selector).getBoundingClientRect();
                           return r.top >= -1 && r.bottom <= window.innerHeight + 1; }""",
        selector,
    )


def test_a_refused_step_says_so_at_the_top_with_focus_and_links_to_the_field(phone_page):
    _, page = phone_page
    start = dt.datetime.combine(timezone.localdate() + dt.timedelta(days=6), dt.time(10, 0), tzinfo=dt.UTC)
    case = store_case(load_rule_config(), "E2E-ERR", start=start)
    _open_link(page, case)
    page.wait_for_url("**/intake/about/")
    page.goto("/intake/medicines/")

    # "Save and continue" without confirming the list: refused, and the page says so where it opens.
    page.get_by_role("button", name="Save and continue").click()
    summary = page.locator("[data-error-summary]")
    page.wait_for_load_state("load")
    page.wait_for_function("document.activeElement.hasAttribute('data-error-summary')")
    assert _in_view(page, "[data-error-summary]")
    _shot(page, "intake-error-summary")

    # Its link leads to the box to tick.
    summary.get_by_role("link", name=re.compile("Please tick this box")).click()
    assert page.evaluate("document.activeElement.id") == "id_medications_complete"
    assert _in_view(page, "#id_medications_complete")


def test_a_wrong_date_of_birth_keeps_every_digit_visible_on_a_phone(phone_page):
    _, page = phone_page
    start = dt.datetime.combine(timezone.localdate() + dt.timedelta(days=6), dt.time(10, 0), tzinfo=dt.UTC)
    case = store_case(load_rule_config(), "E2E-DOB", start=start)
    _open_link(page, case, day="15")
    page.get_by_text("does not match our records").wait_for()

    for label, typed in (("Day", "15"), ("Year", "1948")):
        box = page.get_by_role("group", name="Date of birth").get_by_label(label)
        assert box.input_value() == typed
        # The text fits its box: nothing scrolled out of sight behind padding or an icon.
        assert box.evaluate("(el) => el.scrollWidth <= el.clientWidth")
    _fits_the_phone(page)
    _shot(page, "intake-date-of-birth-error")


def test_the_locked_page_after_too_many_wrong_dates_passes_axe(phone_page):
    _, page = phone_page
    start = dt.datetime.combine(timezone.localdate() + dt.timedelta(days=6), dt.time(10, 0), tzinfo=dt.UTC)
    case = store_case(load_rule_config(), "E2E-LOCK", start=start, language="es")
    page.goto(f"/i/{issue(case, load_rule_config())}/")
    for _ in range(5):
        group = page.get_by_role("group", name="Fecha de nacimiento")
        group.get_by_label("Día").fill("1")
        group.get_by_label("Mes").select_option(label="enero")
        group.get_by_label("Año").fill("1950")
        page.get_by_role("button", name="Continuar").click()
        page.wait_for_load_state("load")

    assert page.locator("html").get_attribute("lang") == "es"
    _fits_the_phone(page)
    _shot(page, "intake-es-locked")


def _pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


def test_the_printable_instructions_fit_one_page_in_large_type(phone_page):
    _, page = phone_page
    start = dt.datetime.combine(timezone.localdate() + dt.timedelta(days=8), dt.time(10, 0), tzinfo=dt.UTC)
    case = store_case(
        load_rule_config(),
        "E2E-PRINT",
        start=start,
        medications=(
            cd.MedicationData("Eliquis 5mg"),
            cd.MedicationData("Advil 200 mg"),
            cd.MedicationData("fish oil"),
            cd.MedicationData("Metformin 1000 mg"),
            cd.MedicationData("Jardiance 10 mg"),
        ),
        allergies=(cd.AllergyData("iodinated_contrast", "iohexol", "hives"),),
        driver=cd.DriverData("Ada Okafor", "+15550109001", "daughter"),
        signoffs=(
            cd.SignOffData("anticoagulant_plan_approved", "dr.kim", timezone.now(), medication="Eliquis 5mg"),
            cd.SignOffData("contrast_premedication_prescribed", "dr.kim", timezone.now()),
        ),
    )
    _open_link(page, case)
    page.wait_for_url("**/intake/about/")
    Intake.objects.create(case=case, submitted_at=timezone.now(), medications_complete=True)
    page.goto("/intake/instructions/print/")
    expect(page.get_by_text("Allergy medicine before the procedure")).to_be_visible()

    page.emulate_media(media="print")
    body = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.patient-print li')).fontSize)")
    assert body >= 14 * 96 / 72 - 0.1  # at least 14 pt
    for paper in ("Letter", "A4"):
        pdf = page.pdf(format=paper, print_background=True)
        (ARTIFACTS / f"intake-print-{paper}.pdf").write_bytes(pdf)
        assert _pdf_pages(pdf) == 1, paper
