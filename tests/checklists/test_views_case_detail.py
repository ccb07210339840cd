"""The case page: what it shows, who may clear what, and that edits never overwrite each other."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from checklists import casedata as cd
from checklists.models import (
    AccessLog,
    Allergy,
    Case,
    Driver,
    Intake,
    LabResult,
    Medication,
    RuleSettings,
    SignOff,
)
from checklists.services.imports import cases_import
from tests.factories import UserFactory, full_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def start():
    """Five days ahead at 09:00 UTC, so labs taken in the last days are valid and nothing is past."""
    day = timezone.now().date() + dt.timedelta(days=5)
    return dt.datetime.combine(day, dt.time(9, 0), tzinfo=dt.UTC)


def _store(config, data: cd.CaseData) -> Case:
    cases_import(cases=[data], config=config)
    return Case.objects.get(reference=data.reference)


@pytest.fixture
def case(config, start) -> Case:
    """The factory's full case with labs that are all valid (eGFR missing: the patient is on a DOAC)."""
    now = timezone.now()
    today = now.date()
    data = full_case("CD-1", start)
    data = dataclasses.replace(
        data,
        # Submitted an hour ago, whatever the hour: "start - 5 days" lies ahead before 09:00.
        intake=dataclasses.replace(data.intake, submitted_at=now - dt.timedelta(hours=1)),
        labs=(cd.LabData("inr", 1.1, today - dt.timedelta(days=1)), cd.LabData("platelets", 220, today)),
    )
    return _store(config, data)


def _page(client, case: Case):
    return client.get(reverse("checklists:case_detail", args=[case.uuid]))


def _url(name: str, case: Case, *args) -> str:
    return reverse(f"checklists:{name}", args=[case.uuid, *args])


def _flag_codes(response) -> set[str]:
    return {row.flag.code for group in response.context["flag_groups"] for row in group["rows"]}


# --- Access --------------------------------------------------------------------------------------


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, case):
    response = _page(client, case)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_signed_in_user_without_a_staff_role_is_refused(client, case, django_user_model):
    client.force_login(UserFactory(username="visitor"))

    assert _page(client, case).status_code == 403


def test_viewing_the_case_page_writes_an_access_log_row(client, case, coordinator):
    client.force_login(coordinator)

    _page(client, case)

    log = AccessLog.objects.get()
    assert (log.user, log.case, log.action) == (coordinator, case, "case.view")


# --- What the page shows -------------------------------------------------------------------------


def test_the_page_shows_patient_procedure_appointment_and_the_clinic_times(client, case, coordinator, start):
    client.force_login(coordinator)

    response = _page(client, case)

    content = response.content.decode()
    assert response.status_code == 200
    for text in (
        "Ann Lee-CD-1",
        "ann@example.org",
        "T12, L1",
        "IR Suite 1",
        "Bo Lee",
        "+15551234567",
        "iohexol",
    ):
        assert text in content
    local = timezone.localtime(start - dt.timedelta(hours=1))  # arrival 60 minutes before
    assert f"{local:%H:%M}" in content
    pickup = timezone.localtime(start + dt.timedelta(minutes=2 * 60 + 120))
    assert response.context["timeline"].pickup_at == pickup


def test_the_page_groups_flags_by_owner(client, case, coordinator):
    client.force_login(coordinator)

    groups = {
        g["owner"]: {r.flag.code for r in g["rows"]} for g in _page(client, case).context["flag_groups"]
    }

    assert "CONTRAST_PREMEDICATION" in groups["clinician"]
    assert {"DRIVER_UNCONFIRMED", "SUPPLEMENT_BLEEDING_RISK", "LAB_MISSING"} <= groups["coordinator"]
    assert "FASTING_NOT_ACKNOWLEDGED" in groups["patient"]


def test_the_page_shows_how_each_medicine_was_read(client, config, start, coordinator):
    meds = ("Eliquis 5mg", "Elliquis", "Tylenol", "zzqx drops")
    case = _store(config, dataclasses.replace(full_case("READ-1", start), medications=meds_data(*meds)))
    client.force_login(coordinator)

    response = _page(client, case)

    readings = {row.line.name: row.reading for row in response.context["readings"]}
    assert [(m.drug.name, m.how) for m in readings["Eliquis 5mg"].matches] == [("apixaban", "exact")]
    assert [(m.drug.name, m.how) for m in readings["Elliquis"].matches] == [("apixaban", "probable")]
    assert [(m.drug.name, m.how) for m in readings["Tylenol"].matches] == [("acetaminophen", "exact")]
    assert not readings["zzqx drops"].recognised
    content = response.content.decode()
    assert "Not recognised" in content and "probable" in content


def meds_data(*names: str) -> tuple[cd.MedicationData, ...]:
    return tuple(cd.MedicationData(name) for name in names)


def test_a_coordinator_is_not_offered_a_clinician_signoff_button(client, case, coordinator):
    client.force_login(coordinator)

    content = _page(client, case).content.decode()

    assert "Record: Supplement advice given" in content
    assert "Record: Contrast premedication prescribed" not in content
    assert "only a clinician can record" in content


@pytest.mark.parametrize("count", [1, 20])
def test_the_case_page_costs_the_same_queries_for_one_medicine_or_twenty(
    client, config, start, coordinator, django_assert_num_queries, count
):
    data = dataclasses.replace(
        full_case("Q-1", start), medications=tuple(cd.MedicationData(f"Eliquis {i} mg") for i in range(count))
    )
    case = _store(config, data)
    client.force_login(coordinator)
    _page(client, case)  # warm the session

    # session, user, groups once (read at the first role check, two-factor sign-in's, and kept for
    # every later one), rule data 4, the case 5 (one-to-ones joined, medicines, allergies, labs,
    # sign-offs: the active ones are picked from all of them), the access log row (its case is the
    # page's, not read again), session save 3 (savepoint, update, release); 2 for its intake link
    # panel (link with progress, outbox), 1 for its texts-from-the-patient panel, 2 for two-factor
    # sign-in (a coordinator without an app: her app, her backup codes, to know she owes no code).
    with django_assert_num_queries(21):
        response = _page(client, case)

    assert len(response.context["readings"]) == count


# --- Sign-offs -----------------------------------------------------------------------------------


def test_a_coordinator_cannot_record_a_clinician_signoff_even_by_posting_directly(client, case, coordinator):
    client.force_login(coordinator)

    response = client.post(_url("case_signoff_record", case), {"item": "contrast_premedication_prescribed"})

    assert response.status_code == 403
    assert not SignOff.objects.filter(item="contrast_premedication_prescribed").exists()


def test_a_coordinator_can_record_supplement_advice_given(client, case, coordinator):
    client.force_login(coordinator)

    fish_oil = Medication.objects.get(case=case, name="fish oil")
    response = client.post(
        _url("case_signoff_record", case),
        {"item": "supplement_advice_given", "medication": fish_oil.pk, "note": "Stop fish oil now"},
    )

    assert response.status_code == 302
    signoff = SignOff.objects.get(item="supplement_advice_given")
    assert (signoff.by, signoff.by_user, signoff.note) == ("cora", coordinator, "Stop fish oil now")
    assert (signoff.medication, signoff.medication_name) == (fish_oil, "fish oil")
    assert "SUPPLEMENT_BLEEDING_RISK" not in _flag_codes(client.get(response.url))


def test_a_clinician_clears_contrast_premedication_and_withdrawing_brings_it_back(client, case, clinician):
    client.force_login(clinician)
    assert "CONTRAST_PREMEDICATION" in _flag_codes(_page(client, case))

    response = client.post(_url("case_signoff_record", case), {"item": "contrast_premedication_prescribed"})
    page = client.get(response.url)
    assert "CONTRAST_PREMEDICATION" not in _flag_codes(page)
    assert "Sign-off recorded: Contrast premedication prescribed." in page.content.decode()
    # The sign-offs table keeps its buttons short; screen readers hear which sign-off it withdraws.
    assert 'value="Withdraw"' in page.content.decode()
    assert 'aria-label="Withdraw: Contrast premedication prescribed"' in page.content.decode()

    client.post(_url("case_signoff_withdraw", case, "contrast_premedication_prescribed"))
    page = _page(client, case)
    assert "CONTRAST_PREMEDICATION" in _flag_codes(page)

    signoff = SignOff.objects.get(item="contrast_premedication_prescribed")
    assert signoff.withdrawn_by == clinician and signoff.withdrawn_at is not None
    assert signoff.history.count() == 2  # recorded, then withdrawn
    assert {h.history_user for h in signoff.history.all()} == {clinician}
    assert "Withdrawn" in page.content.decode()


def test_a_coordinator_cannot_withdraw_a_clinician_signoff(client, case, clinician, coordinator):
    client.force_login(clinician)
    client.post(_url("case_signoff_record", case), {"item": "contrast_premedication_prescribed"})
    client.force_login(coordinator)

    response = client.post(_url("case_signoff_withdraw", case, "contrast_premedication_prescribed"))

    assert response.status_code == 403
    assert SignOff.objects.get(item="contrast_premedication_prescribed").withdrawn_at is None


def test_a_second_active_signoff_of_the_same_item_is_refused_with_a_message(client, case, clinician):
    client.force_login(clinician)
    client.post(_url("case_signoff_record", case), {"item": "labs_reviewed"})

    response = client.post(_url("case_signoff_record", case), {"item": "labs_reviewed"}, follow=True)

    assert response.status_code == 200
    assert "Labs reviewed is already signed off by dr_kim" in response.content.decode()
    assert SignOff.objects.filter(item="labs_reviewed").count() == 1


def test_an_htmx_signoff_answers_with_the_flags_partial(client, case, clinician):
    client.force_login(clinician)

    response = client.post(
        _url("case_signoff_record", case),
        {"item": "contrast_premedication_prescribed"},
        HTTP_HX_REQUEST="true",
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<section id="case-flags"')
    assert 'data-flag-code="CONTRAST_PREMEDICATION"' not in content
    assert "Sign-off recorded" in content


def test_a_refused_htmx_signoff_puts_its_reason_where_focus_goes(client, case, coordinator):
    client.force_login(coordinator)

    response = client.post(_url("case_signoff_record", case), {"item": "not_an_item"}, HTTP_HX_REQUEST="true")

    content = response.content.decode()
    assert content.lstrip().startswith('<section id="case-flags"')
    assert re.search(
        r'role="alert" tabindex="-1" data-error-summary>Choose which sign-off to record', content
    )


# --- Driver and labs -----------------------------------------------------------------------------


def test_confirming_the_driver_records_who_and_when_and_clears_driver_unconfirmed(client, case, coordinator):
    client.force_login(coordinator)
    before = timezone.now()

    response = client.post(_url("case_driver_confirm", case), {"version": case.version}, follow=True)

    driver = Driver.objects.get(case=case)
    assert driver.confirmed_by == coordinator and driver.confirmed_at >= before
    assert "DRIVER_UNCONFIRMED" not in _flag_codes(response)
    assert "Yes, by cora" in response.content.decode()


def test_the_driver_phone_is_normalised_to_e164(client, case, coordinator, settings):
    settings.CLINIC_PHONE_REGION = "US"
    client.force_login(coordinator)

    response = client.post(
        _url("case_driver_save", case),
        {"name": "Cy Lee", "relationship": "son", "phone": "(212) 555-0142", "version": case.version},
    )

    assert response.status_code == 302
    driver = Driver.objects.get(case=case)
    assert (driver.name, driver.phone, driver.confirmed_at) == ("Cy Lee", "+12125550142", None)


def test_staff_may_give_the_drivers_email_and_a_bad_one_is_refused_next_to_it(client, case, coordinator):
    client.force_login(coordinator)
    form = {"name": "Cy Lee", "relationship": "", "phone": "(212) 555-0142", "version": case.version}

    refused = client.post(_url("case_driver_save", case), form | {"email": "cy@"}).content.decode()
    client.post(_url("case_driver_save", case), form | {"email": "cy@example.org"})

    assert "Enter a valid email address." in refused
    assert Driver.objects.get(case=case).email == "cy@example.org"


def test_a_bad_driver_phone_is_shown_next_to_the_field_and_nothing_is_written(client, case, coordinator):
    client.force_login(coordinator)

    response = client.post(
        _url("case_driver_save", case), {"name": "Cy Lee", "phone": "12", "version": case.version}
    )

    assert response.status_code == 200
    assert response.context["driver_form"].errors["phone"]
    assert Driver.objects.get(case=case).name == "Bo Lee"
    # The page reloads at its top: the error is listed there, linked to the phone field below.
    page = response.content.decode()
    summary = page[page.index("data-error-summary") : page.index("</ul>", page.index("data-error-summary"))]
    assert "too few or too many digits" in summary and 'href="#id_phone"' in summary


def test_adding_a_lab_result_clears_lab_missing(client, case, coordinator):
    client.force_login(coordinator)
    assert "LAB_MISSING" in _flag_codes(_page(client, case))  # eGFR: the patient takes apixaban

    response = client.post(
        _url("case_lab_add", case),
        {
            "test": "egfr",
            "value": "72",
            "taken_on": timezone.localdate().isoformat(),
            "version": case.version,
        },
        follow=True,
    )

    assert LabResult.objects.filter(case=case, test="egfr", value=72).exists()
    assert "LAB_MISSING" not in _flag_codes(response)


def test_a_negative_lab_value_is_shown_next_to_the_field_and_nothing_is_written(client, case, coordinator):
    client.force_login(coordinator)

    response = client.post(
        _url("case_lab_add", case),
        {
            "test": "egfr",
            "value": "-3",
            "taken_on": timezone.localdate().isoformat(),
            "version": case.version,
        },
    )

    assert response.status_code == 200
    assert response.context["lab_form"].errors["value"] == [
        "Ensure this value is greater than or equal to 0."
    ]
    assert 'id="id_value"' in response.content.decode() and "is-invalid" in response.content.decode()
    assert not LabResult.objects.filter(test="egfr").exists()
    assert Case.objects.get(pk=case.pk).version == case.version


def test_a_lab_taken_in_the_future_is_refused_next_to_the_date(client, case, coordinator):
    client.force_login(coordinator)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)

    response = client.post(
        _url("case_lab_add", case),
        {"test": "egfr", "value": "60", "taken_on": tomorrow.isoformat(), "version": case.version},
    )

    assert response.context["lab_form"].errors["taken_on"]
    assert not LabResult.objects.filter(test="egfr").exists()


# --- Medicines, allergies, intake ----------------------------------------------------------------


def _lines(prefix: str, version: int, lines: list[dict], initial: int) -> dict:
    data = {
        f"{prefix}-version": version,
        f"{prefix}-TOTAL_FORMS": len(lines),
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }
    for i, line in enumerate(lines):
        data |= {f"{prefix}-{i}-{name}": value for name, value in line.items()}
    return data


def _medicine_lines(case: Case) -> list[dict]:
    return [{"id": m.pk, "name": m.name} for m in Medication.objects.filter(case=case)]


def test_medicines_are_added_changed_and_removed_with_their_catalogue_match(client, case, coordinator):
    client.force_login(coordinator)
    lines = _medicine_lines(case)  # Eliquis 5mg, fish oil, Tylenol
    lines[0]["name"] = "Xarelto 20 mg"
    lines[1]["DELETE"] = "on"
    lines.append({"name": "Ozempic", "dose": "1 mg", "frequency": "weekly"})

    response = client.post(_url("case_medications_save", case), _lines("medications", case.version, lines, 3))

    assert response.status_code == 302
    meds = list(Medication.objects.filter(case=case).prefetch_related("drugs"))
    assert [(m.name, m.position) for m in meds] == [("Xarelto 20 mg", 0), ("Tylenol", 1), ("Ozempic", 2)]
    assert [[d.name for d in m.drugs.all()] for m in meds] == [
        ["rivaroxaban"],
        ["acetaminophen"],
        ["semaglutide"],
    ]


def test_two_edits_from_the_same_version_the_first_wins_and_the_second_is_told_who_changed_it(
    client, case, coordinator, clinician
):
    read_version = case.version
    first = _medicine_lines(case) + [{"name": "Metformin 500 mg"}]
    second = _medicine_lines(case) + [{"name": "Warfarin 5 mg"}]

    client.force_login(coordinator)
    assert (
        client.post(
            _url("case_medications_save", case), _lines("medications", read_version, first, 3)
        ).status_code
        == 302
    )
    client.force_login(clinician)
    response = client.post(
        _url("case_medications_save", case), _lines("medications", read_version, second, 3)
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert "This case was changed by cora at" in content and "reload" in content
    names = set(Medication.objects.filter(case=case).values_list("name", flat=True))
    assert "Metformin 500 mg" in names and "Warfarin 5 mg" not in names
    assert Case.objects.get(pk=case.pk).version == read_version + 1


def test_a_blank_medicine_name_is_shown_next_to_the_field_and_nothing_is_written(client, case, coordinator):
    client.force_login(coordinator)
    lines = _medicine_lines(case)
    lines[0]["name"] = ""

    response = client.post(_url("case_medications_save", case), _lines("medications", case.version, lines, 3))

    assert response.status_code == 200
    assert response.context["medications_formset"].forms[0].errors["name"]
    assert Medication.objects.filter(case=case, name="Eliquis 5mg").exists()


def test_allergies_are_added_and_removed(client, case, coordinator):
    client.force_login(coordinator)
    fields = ("id", "category", "substance", "reaction", "severity")
    lines = [{f: getattr(a, f) for f in fields} for a in Allergy.objects.filter(case=case)]
    lines[1]["DELETE"] = "on"  # latex
    lines.append(
        {"category": "local_anesthetic", "substance": "lidocaine", "reaction": "rash", "severity": "mild"}
    )
    lines.append({"category": "", "severity": "unknown"})  # the untouched blank line

    response = client.post(_url("case_allergies_save", case), _lines("allergies", case.version, lines, 2))

    assert response.status_code == 302
    assert list(Allergy.objects.filter(case=case).values_list("category", "substance")) == [
        ("iodinated_contrast", "iohexol"),
        ("local_anesthetic", "lidocaine"),
    ]
    assert "ANESTHETIC_ALLERGY_REVIEW" in _flag_codes(client.get(response.url))


def _intake_post(version: int, **answers) -> dict:
    return {
        "medications_complete": "on",
        "fasting_acknowledged": "on",
        "can_lie_prone": "yes",
        "pregnant": "no",
        "diabetes": "none",
        "version": version,
        **answers,
    }


def test_a_phone_intake_can_be_recorded_and_marked_submitted(client, config, start, coordinator):
    case = _store(config, dataclasses.replace(full_case("IN-1", start), intake=None, allergies=()))
    client.force_login(coordinator)
    assert "INTAKE_NOT_SUBMITTED" in _flag_codes(_page(client, case))

    response = client.post(
        _url("case_intake_save", case),
        _intake_post(0, no_known_allergies="on", pregnant="unsure", submit="1"),
        follow=True,
    )

    intake = Intake.objects.get(case=case)
    assert intake.submitted_at is not None and intake.pregnant is None and intake.no_known_allergies
    codes = _flag_codes(response)
    assert not codes & {"INTAKE_NOT_SUBMITTED", "FASTING_NOT_ACKNOWLEDGED", "ALLERGIES_UNANSWERED"}


def test_no_known_allergies_is_refused_when_allergies_are_listed(client, case, coordinator):
    client.force_login(coordinator)
    version = Intake.objects.get(case=case).version

    response = client.post(_url("case_intake_save", case), _intake_post(version, no_known_allergies="on"))

    assert response.context["intake_form"].errors["no_known_allergies"]
    assert not Intake.objects.get(case=case).no_known_allergies


def test_intake_answers_from_an_old_version_are_refused(client, case, coordinator):
    client.force_login(coordinator)
    version = Intake.objects.get(case=case).version
    client.post(_url("case_intake_save", case), _intake_post(version, can_lie_prone="no"))

    response = client.post(_url("case_intake_save", case), _intake_post(version, can_lie_prone="unsure"))

    assert "changed by cora" in response.content.decode()
    assert Intake.objects.get(case=case).can_lie_prone is False


# --- Medicines: how each was read, resolving in place, per-medicine plans ---------------------------


def test_a_clinician_says_which_drug_an_unrecognised_line_is_and_every_case_reads_it(
    client, config, start, clinician
):
    case = _store(config, dataclasses.replace(full_case("RES-1", start), medications=meds_data("Qzorbix")))
    other = _store(
        config,
        dataclasses.replace(
            full_case("RES-2", start + dt.timedelta(hours=3)), medications=meds_data("qzorbix 5mg")
        ),
    )
    line = Medication.objects.get(case=case)
    client.force_login(clinician)
    assert "MEDICATION_UNRECOGNISED" in _flag_codes(_page(client, case))

    refused = client.post(_url("case_medication_resolve", case), {"line": line.pk, "drug": "apixaban"})
    assert "Tick the box to confirm the new name." in client.get(refused.url).content.decode()

    response = client.post(
        _url("case_medication_resolve", case),
        {"line": line.pk, "drug": "apixaban", "confirm": "on"},
        HTTP_HX_REQUEST="true",
    )

    content = response.content.decode()
    assert "“Qzorbix” is now read as apixaban, on every case." in content
    assert 'id="medicine-readings" data-hx-swap-oob="true"' in content
    for stored in (case, other):
        codes = _flag_codes(_page(client, stored))
        assert "MEDICATION_UNRECOGNISED" not in codes and "ANTICOAGULANT_HOLD_PLAN" in codes


def test_a_clinician_marks_an_unrecognised_line_reviewed_for_this_case_only(client, config, start, clinician):
    case = _store(config, dataclasses.replace(full_case("RES-3", start), medications=meds_data("zzqx drops")))
    line = Medication.objects.get(case=case)
    client.force_login(clinician)

    client.post(_url("case_signoff_record", case), {"item": "medication_reviewed", "medication": line.pk})

    page = _page(client, case)
    assert "MEDICATION_UNRECOGNISED" not in _flag_codes(page)
    assert "not in the catalogue; a clinician marked it reviewed" in page.content.decode()


def test_a_coordinator_is_not_offered_the_clinicians_resolve_controls(client, config, start, coordinator):
    case = _store(config, dataclasses.replace(full_case("RES-4", start), medications=meds_data("zzqx drops")))
    client.force_login(coordinator)

    content = _page(client, case).content.decode()
    assert "Not recognised" in content and "Add the name" not in content
    response = client.post(
        _url("case_medication_resolve", case),
        {"line": Medication.objects.get(case=case).pk, "drug": "apixaban", "confirm": "on"},
    )
    assert response.status_code == 403


def test_the_plan_form_proposes_the_computed_day_and_records_another(client, case, clinician):
    client.force_login(clinician)
    page = _page(client, case).content.decode()
    # Apixaban, no eGFR on file: 3 whole days before the procedure day.
    computed = (case.appointment.start.date() - dt.timedelta(days=4)).isoformat()
    assert f'value="{computed}"' in page and "Record: Anticoagulant plan approved for Eliquis 5mg" in page

    chosen = (case.appointment.start.date() - dt.timedelta(days=5)).isoformat()
    client.post(
        _url("case_signoff_record", case),
        {
            "item": "anticoagulant_plan_approved",
            "medication": Medication.objects.get(case=case, name="Eliquis 5mg").pk,
            "plan": "stop",
            "last_dose_on": chosen,
            "computed_last_dose_on": computed,
        },
    )

    signoff = SignOff.objects.get(item="anticoagulant_plan_approved")
    assert (signoff.medication_name, signoff.last_dose_on.isoformat(), signoff.for_start) == (
        "Eliquis 5mg",
        chosen,
        case.appointment.start,
    )
    assert "Plan: last dose" in _page(client, case).content.decode()


def test_keeping_the_computed_day_stores_no_date_so_the_plan_follows_the_rules(client, case, clinician):
    client.force_login(clinician)
    computed = (case.appointment.start.date() - dt.timedelta(days=4)).isoformat()
    line = Medication.objects.get(case=case, name="Eliquis 5mg")

    client.post(
        _url("case_signoff_record", case),
        {
            "item": "anticoagulant_plan_approved",
            "medication": line.pk,
            "plan": "stop",
            "last_dose_on": computed,
            "computed_last_dose_on": computed,
        },
    )

    assert SignOff.objects.get(item="anticoagulant_plan_approved").last_dose_on is None


def test_a_midnight_deadline_is_written_so_it_cannot_be_misread(client, case, coordinator):
    client.force_login(coordinator)
    content = _page(client, case).content.decode()

    last_day = case.appointment.start.date() - dt.timedelta(days=4)  # apixaban, no eGFR: 3 whole days
    assert f"due before {last_day:%a} {last_day.day} {last_day:%b} {last_day.year} begins" in content
    assert " 00:00" not in content


def test_the_phone_intake_states_the_clinics_own_pregnancy_age_limit(client, case, coordinator):
    RuleSettings.objects.filter(pk=1).update(pregnancy_age_below=50)
    client.force_login(coordinator)

    page = client.get(_url("case_editor", case, "intake")).content.decode()

    assert "not recorded as male under 50" in page
    assert "under 55" not in page


def test_a_pregnancy_question_never_asked_reads_not_asked_not_unsure(client, case, coordinator):
    # The case's patient was born in 1950: over the clinic's age limit, so the intake never asks.
    Intake.objects.filter(case=case).update(pregnant=None)
    client.force_login(coordinator)

    page = _page(client, case).content.decode()

    answer = re.search(r'data-answer="pregnant">([^<]*)<', page).group(1)
    assert answer == "Not asked (recorded as male, or 55 or older)"


def test_a_clinician_sees_the_clinicians_items_first(client, case, clinician, coordinator):
    client.force_login(clinician)
    assert [g["owner"] for g in _page(client, case).context["flag_groups"]][0] == "clinician"

    client.force_login(coordinator)
    assert [g["owner"] for g in _page(client, case).context["flag_groups"]] == [
        "patient",
        "coordinator",
        "clinician",
    ]


# --- Edit forms, rendered when opened -------------------------------------------------------------


def test_the_page_renders_its_edit_forms_only_when_one_is_opened(client, case, coordinator):
    client.force_login(coordinator)

    page = _page(client, case).content.decode()

    # Each closed section holds a link (htmx fetches it when the section opens), not the form.
    for section in ("medications", "allergies", "intake", "driver", "labs"):
        assert f'href="{_url("case_editor", case, section)}"' in page
    assert "Save medicines" not in page and 'name="medications-0-name"' not in page


def test_an_opened_section_gets_its_form_with_the_current_lines(client, case, coordinator):
    client.force_login(coordinator)
    line = case.medications.order_by("position").first()

    fragment = client.get(_url("case_editor", case, "medications"), headers={"HX-Request": "true"})
    own_page = client.get(_url("case_editor", case, "medications"))

    html = fragment.content.decode()
    assert "<html" not in html and "Save medicines" in html
    assert 'name="medications-0-name"' in html and f'value="{line.name}"' in html
    assert f'action="{_url("case_medications_save", case)}"' in html
    # Without JavaScript the link opens the same form on a page of its own, with the way back.
    assert "<html" in own_page.content.decode() and "Save medicines" in own_page.content.decode()
    assert f'href="{_url("case_detail", case)}#medications"' in own_page.content.decode()


def test_a_refused_form_comes_back_open_in_its_section_with_the_rest_of_it(client, case, coordinator):
    client.force_login(coordinator)

    response = client.post(
        _url("case_driver_save", case), {"name": "Cy", "phone": "12", "version": case.version}
    )

    html = response.content.decode()
    assert response.context["driver_form"].errors["phone"]
    assert "Remove driver" in html  # the section's other form, as when it is opened
    assert "Save medicines" not in html  # the other sections stay closed and unrendered


def test_an_unknown_editor_is_not_found(client, case, coordinator):
    client.force_login(coordinator)

    assert client.get(_url("case_editor", case, "passwords")).status_code == 404
