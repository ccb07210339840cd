"""The patient's seven steps: only their own case, saved on every step, resumable, validated in
plain words, never overwriting the clinic's edits, in English and Spanish."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from checklists import casedata as cd
from checklists import rules
from checklists.casedata import IntakeAnswers
from checklists.models import AccessLog, Allergy, Case, Driver, Intake, Medication, Patient, SignOff
from checklists.selectors.cases import case_queryset, case_to_data, cases_evaluate
from checklists.services.case_page import (
    MedicationRow,
    driver_save,
    intake_record_for_patient,
    medications_save,
)
from intake.models import IntakeProgress
from tests.intake.support import DOB_FORM, issue, next_start, store_case, verified_client

pytestmark = pytest.mark.django_db

PATIENT_OWNED = {
    "INTAKE_NOT_SUBMITTED",
    "MEDICATIONS_UNCONFIRMED",
    "ALLERGIES_UNANSWERED",
    "FASTING_NOT_ACKNOWLEDGED",
    "DRIVER_MISSING",
}
STEP_URLS = [
    "/intake/about/",
    "/intake/medicines/",
    "/intake/allergies/",
    "/intake/health/",
    "/intake/driver/",
    "/intake/instructions/",
    "/intake/review/",
]
OTHER_URLS = [
    "/intake/done/",
    "/intake/instructions/print/",
    "/intake/appointment.ics",
    "/intake/medicines/hint/",
]


@pytest.fixture
def case(config) -> Case:
    return store_case(config, start=next_start())


@pytest.fixture
def patient(client, case, config) -> Client:
    return verified_client(client, case, config)


def versions(case: Case) -> dict:
    case.refresh_from_db()
    intake = Intake.objects.filter(case=case).first()
    return {"version": case.version, "intake_version": intake.version if intake else 0}


def meds_post(case: Case, rows: list[dict], complete: bool = True, go: str = "next", **extra) -> dict:
    data = {
        "medications-TOTAL_FORMS": str(len(rows)),
        "medications-INITIAL_FORMS": str(sum(1 for r in rows if r.get("id"))),
        "medications-MIN_NUM_FORMS": "0",
        "medications-MAX_NUM_FORMS": "1000",
        "go": go,
        **versions(case),
        **extra,
    }
    if complete:
        data["medications_complete"] = "on"
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"medications-{i}-{key}"] = value
    return data


def allergies_post(case: Case, rows: list[dict], none: bool = False, go: str = "next") -> dict:
    data = {
        "allergies-TOTAL_FORMS": str(len(rows)),
        "allergies-INITIAL_FORMS": str(sum(1 for r in rows if r.get("id"))),
        "allergies-MIN_NUM_FORMS": "0",
        "allergies-MAX_NUM_FORMS": "1000",
        "go": go,
        **versions(case),
    }
    if none:
        data["no_allergies"] = "on"
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"allergies-{i}-{key}"] = value
    return data


def about_post(case: Case, **changes) -> dict:
    return {
        "first_name": "Margaret",
        "last_name": "Okafor",
        "phone": "555 010 0001",
        "email": "margaret@example.org",
        "language": "en",
        "message_channel": "email",
        "go": "next",
        **versions(case),
        **changes,
    }


def health_post(case: Case, **changes) -> dict:
    return {
        "can_lie_prone": "yes",
        "infection_symptoms": "no",
        "diabetes": "none",
        "go": "next",
        **versions(case),
        **changes,
    }


def complete_intake(patient: Client, case: Case) -> None:
    """Every step answered, then submitted."""
    assert patient.post("/intake/about/", about_post(case)).url == "/intake/medicines/"
    response = patient.post(
        "/intake/medicines/", meds_post(case, [{"name": "Lisinopril 10 mg", "frequency": "daily"}])
    )
    assert response.url == "/intake/allergies/", response.content.decode()[-3000:]
    assert patient.post("/intake/allergies/", allergies_post(case, [], none=True)).url == "/intake/health/"
    assert patient.post("/intake/health/", health_post(case)).url == "/intake/driver/"
    driver = {
        "name": "Ada Okafor",
        "relationship": "daughter",
        "phone": "555 010 9001",
        "go": "next",
        **versions(case),
    }
    assert patient.post("/intake/driver/", driver).url == "/intake/instructions/"
    ack = {"fasting_acknowledged": "on", "go": "next", **versions(case)}
    assert patient.post("/intake/instructions/", ack).url == "/intake/review/"
    assert patient.post("/intake/review/", {"go": "next", **versions(case)}).url == "/intake/done/"


def open_flags(case: Case) -> set[str]:
    fresh = case_queryset().get(pk=case.pk)
    return {f.code for f in cases_evaluate([fresh], as_of=timezone.now())[fresh.pk]}


# --- Who can see what ----------------------------------------------------------------------------


@pytest.mark.parametrize("url", STEP_URLS + OTHER_URLS)
def test_every_intake_page_without_a_verified_session_goes_back_to_the_start(client, case, config, url):
    assert client.get(url).url == "/intake/"
    assert client.post(url, {"first_name": "X"}).status_code in (302, 405)
    assert "This link is not working" in client.get("/intake/").content.decode()

    client.get(f"/i/{issue(case, config)}/")  # opened, date of birth not yet confirmed
    assert client.get(url).url == "/intake/"
    assert "Date of birth" in client.get("/intake/").content.decode()
    assert "Margaret" not in client.get("/intake/").content.decode()


@pytest.mark.parametrize("url", STEP_URLS + OTHER_URLS)
def test_a_patient_session_for_one_case_never_shows_another(client, config, url):
    mine = store_case(
        config,
        "A-1",
        start=next_start(),
        first_name="Margaret",
        medications=(cd.MedicationData("Eliquis 5mg"),),
    )
    store_case(
        config,
        "B-2",
        start=next_start(days=6),
        first_name="Zebedee",
        last_name="Quaile",
        dob=dt.date(1940, 1, 1),
        medications=(cd.MedicationData("Xarelto 20mg"),),
        driver=cd.DriverData("Yolanda Quaile", "+15550100999"),
    )
    verified_client(client, mine, config)
    other = Case.objects.get(reference="B-2")
    Intake.objects.create(case=mine, submitted_at=timezone.now(), medications_complete=True)

    for query in ("", f"?case={other.uuid}", f"?case_id={other.pk}&name=Xarelto"):
        body = client.get(url + query, follow=True).content.decode()
        for secret in ("Zebedee", "Quaile", "B-2", str(other.uuid)):
            assert secret not in body


def test_forged_lines_of_another_case_are_refused_and_change_nothing(client, config):
    mine = store_case(config, "A-1", start=next_start())
    other = store_case(
        config,
        "B-2",
        start=next_start(days=6),
        dob=dt.date(1940, 1, 1),
        medications=(cd.MedicationData("Xarelto 20mg"),),
        allergies=(cd.AllergyData("latex"),),
    )
    patient = verified_client(client, mine, config)
    their_med = Medication.objects.get(case=other)
    their_allergy = Allergy.objects.get(case=other)

    patient.post("/intake/medicines/", meds_post(mine, [{"id": str(their_med.pk), "name": "Changed"}]))
    patient.post("/intake/medicines/", meds_post(mine, [{"id": str(their_med.pk), "DELETE": "on"}]))
    patient.post(
        "/intake/allergies/", allergies_post(mine, [{"id": str(their_allergy.pk), "category": "other"}])
    )

    assert Medication.objects.get(pk=their_med.pk).name == "Xarelto 20mg"
    assert Allergy.objects.get(pk=their_allergy.pk).category == "latex"
    assert not Medication.objects.filter(case=mine).exists()


def test_a_patient_session_is_not_a_staff_login(patient, case):
    for url in ("/dashboard/", f"/cases/{case.uuid}/", f"/cases/{case.uuid}/sheet/", "/admin/"):
        response = patient.get(url)
        assert response.status_code == 302 and "login" in response.url, url
    assert patient.post(f"/cases/{case.uuid}/intake-link/send/").url.startswith("/accounts/login/")


def test_patient_views_are_logged_without_a_user(patient, case):
    patient.get("/intake/about/")

    log = AccessLog.objects.filter(case=case, action="intake.about").get()
    assert log.user is None and log.path == "/intake/about/"


# --- Saving, resuming, validating ----------------------------------------------------------------


def test_each_step_saves_and_reopening_the_link_resumes_where_the_patient_was(config, case):
    token = issue(case, config)
    first = Client()
    first.get(f"/i/{token}/")
    first.post("/intake/", DOB_FORM)
    first.post("/intake/about/", about_post(case, phone="+1 555 010 7777"))
    first.post("/intake/medicines/", meds_post(case, [{"name": "Lisinopril 10 mg"}]))
    assert Patient.objects.get().phone == "+15550107777"
    assert IntakeProgress.objects.get(case=case).step == 3

    again = Client()  # the tab was closed: a new session
    again.get(f"/i/{token}/")
    response = again.post("/intake/", DOB_FORM)

    assert response.url == "/intake/allergies/"
    page = again.get("/intake/medicines/").content.decode()
    assert 'value="Lisinopril 10 mg"' in page


def test_back_saves_the_step_and_goes_to_the_one_before(patient, case):
    response = patient.post("/intake/health/", health_post(case, go="back"))

    assert response.url == "/intake/allergies/"
    assert Intake.objects.get(case=case).can_lie_prone is True
    assert IntakeProgress.objects.get(case=case).step == 3


def test_errors_appear_next_to_their_field_in_plain_words(patient, case):
    page = patient.post("/intake/about/", about_post(case, phone="12", first_name="")).content.decode()
    assert "Enter a phone number with its area code" in page
    assert re.search(r'id="id_phone"[^>]*|aria-describedby="[^"]*id_phone_error', page)
    assert 'aria-describedby="id_phone_helptext id_phone_error"' in page
    assert 'aria-describedby="id_first_name_error"' in page and "Please fill this in." in page

    page = patient.post("/intake/medicines/", meds_post(case, [{"dose": "5 mg"}])).content.decode()
    assert "Write the medicine&#x27;s name" in page or "Write the medicine's name" in page
    assert "id_medications-0-name_error" in page

    page = patient.post("/intake/allergies/", allergies_post(case, [])).content.decode()
    assert "or tick “I have no allergies”" in page and 'aria-describedby="id_no_allergies_error"' in page

    page = patient.post("/intake/health/", {"go": "next", **versions(case)}).content.decode()
    assert page.count("<strong>Please choose an answer.</strong>") == 3  # next to each question
    summary = page[page.index("data-error-summary") : page.index("</ul>", page.index("data-error-summary"))]
    assert summary.count("Please choose an answer.") == 3  # and listed at the top, linked to it
    assert 'href="#id_can_lie_prone_0"' in summary and 'id="id_can_lie_prone_0"' in page
    assert 'aria-describedby="id_can_lie_prone_helptext id_can_lie_prone_error"' in page

    driver = {"name": "Ada", "phone": "", "relationship": "", "go": "next", **versions(case)}
    page = patient.post("/intake/driver/", driver).content.decode()
    assert (
        "Please write your driver&#x27;s phone number." in page
        and 'aria-describedby="id_phone_helptext id_phone_error"' in page
    )

    page = patient.post("/intake/instructions/", {"go": "next", **versions(case)}).content.decode()
    assert "Please tick this box to say you have read the instructions." in page
    assert not Medication.objects.exists() and not Driver.objects.exists()


def test_recognised_medicines_are_named_back_and_only_they_ask_for_a_last_dose(patient, case):
    rows = [{"name": "Eliquis 5mg", "dose": "5 mg"}, {"name": "Tylenol"}]
    response = patient.post("/intake/medicines/", meds_post(case, rows))

    # A new blood thinner: the page stays to ask when the last dose is planned.
    assert response.url == "/intake/medicines/"
    page = patient.get(response.url).content.decode()
    assert "Eliquis 5mg (apixaban) is a blood thinner. The clinic will tell you when to stop it." in page
    assert page.count('type="date"') == 1  # Eliquis only: not Tylenol, not the blank line
    eliquis, tylenol = Medication.objects.order_by("position")
    last_dose = (case.appointment.start - dt.timedelta(days=3)).date().isoformat()
    rows = [
        {"id": str(eliquis.pk), "name": "Eliquis 5mg", "dose": "5 mg", "last_dose_planned": last_dose},
        {"id": str(tylenol.pk), "name": "Tylenol"},
        {},
    ]
    assert patient.post("/intake/medicines/", meds_post(case, rows)).url == "/intake/allergies/"
    assert Medication.objects.get(pk=eliquis.pk).last_dose_planned.isoformat() == last_dose

    def hint(name: str) -> str:
        return patient.get("/intake/medicines/hint/", {"medications-2-name": name}).content.decode()

    assert "ginkgo is a supplement that can make you bleed more" in hint("ginkgo")
    assert "We read this as acetaminophen." in hint("Tylenol") and "stop" not in hint("Tylenol")
    assert "We read this as apixaban. Please check the spelling." in hint("Elliquis")
    assert "is a blood thinner" in hint("Elliquis")
    assert "We did not recognise this name" in hint("zzqx drops")


def test_pregnancy_is_asked_only_when_the_rules_ask_it(client, config):
    young = store_case(config, "Y-1", start=next_start(), dob=dt.date(1990, 6, 1))
    patient = verified_client(client, young, config, {"day": "1", "month": "6", "year": "1990"})
    assert "Could you be pregnant?" in patient.get("/intake/health/").content.decode()
    page = patient.post("/intake/health/", health_post(young)).content.decode()
    assert "Please choose an answer." in page
    patient.post("/intake/health/", health_post(young, pregnant="no"))
    assert Intake.objects.get(case=young).pregnant is False

    older = store_case(config, "O-1", start=next_start(days=7), dob=dt.date(1948, 3, 12))
    patient = verified_client(Client(), older, config)
    assert "Could you be pregnant?" not in patient.get("/intake/health/").content.decode()
    male = store_case(config, "M-1", start=next_start(days=8), sex="male", dob=dt.date(1990, 6, 1))
    patient = verified_client(Client(), male, config, {"day": "1", "month": "6", "year": "1990"})
    assert "Could you be pregnant?" not in patient.get("/intake/health/").content.decode()


@pytest.mark.usefixtures("utc_clinic")
def test_the_instructions_show_the_patients_own_times_from_the_readiness_engine(client, config):
    start = dt.datetime.combine(timezone.now().date() + dt.timedelta(days=6), dt.time(10, 0), tzinfo=dt.UTC)
    case = store_case(
        config,
        start=start,
        medications=(cd.MedicationData("Eliquis 5mg"),),
        allergies=(cd.AllergyData("iodinated_contrast", "iohexol", "hives"),),
    )
    patient = verified_client(client, case, config)

    page = patient.get("/intake/instructions/").content.decode()

    ctx = rules.build_context(case_to_data(case_queryset().get(pk=case.pk)), config, timezone.now())
    food = ctx.timeline.food_stop_at
    assert f"{food:%H:%M} on {food:%A} {food.day} {food:%B}" in page  # "02:00 on Tuesday 24 November"
    assert "Arrive at the clinic by" in page and f"{ctx.timeline.arrival_at:%H:%M} on" in page
    assert f"{ctx.timeline.pickup_at:%H:%M} on" in page
    # Before a clinician decides, no stop date and no premedication times reach the patient.
    assert "Eliquis 5mg (apixaban): keep taking it for now." in page
    assert "prednisone 50 mg by mouth at" not in page
    assert "Your care team will tell you what to take and when." in page

    line = case.medications.get()
    for item, fields in (
        (
            "anticoagulant_plan_approved",
            {"medication": line, "medication_name": line.name, "for_start": start},
        ),
        ("contrast_premedication_prescribed", {}),
    ):
        SignOff.objects.create(case=case, item=item, by="dr.iris", at=timezone.now(), **fields)
    page = patient.get("/intake/instructions/").content.decode()

    hold = ctx.holds[0]
    assert (
        f"take your last dose on {hold.last_dose_on:%A} {hold.last_dose_on.day} {hold.last_dose_on:%B}"
        in page
    )
    assert "prednisone 50 mg by mouth at" in page  # premedication for the contrast allergy
    assert "Take each dose with a sip of water, even after you have stopped drinking." in page

    # The review gives the date too, and so no longer promises to tell it later.
    review = patient.get("/intake/review/").content.decode()
    assert f"take your last dose on {hold.last_dose_on:%A} {hold.last_dose_on.day}" in review
    assert "will tell you when to stop it" not in review


# --- Conflicts -----------------------------------------------------------------------------------


def test_a_coordinator_save_meanwhile_gives_the_patient_a_conflict_not_an_overwrite(patient, case, config):
    read = meds_post(case, [{"name": "Aspirin 81 mg"}])  # the versions the patient's page was read at
    medications_save(
        case=Case.objects.get(pk=case.pk),
        version=read["version"],
        rows=[MedicationRow(id=None, name="Warfarin 5 mg")],
        config=config,
    )

    page = patient.post("/intake/medicines/", read).content.decode()

    assert (
        "Someone at the clinic updated your details just now. Please check this page and save again." in page
    )
    assert list(Medication.objects.values_list("name", flat=True)) == ["Warfarin 5 mg"]
    assert 'value="Warfarin 5 mg"' in page  # the page now shows what the clinic saved


def test_a_coordinator_intake_save_meanwhile_conflicts_with_the_patients_answers(patient, case, config):
    patient.post("/intake/health/", health_post(case))
    read = health_post(case, can_lie_prone="no")
    intake_record_for_patient(
        case=case,
        version=read["intake_version"],
        answers=IntakeAnswers(can_lie_prone=None, diabetes="insulin"),
        submit=False,
        at=timezone.now(),
        config=config,
    )

    page = patient.post("/intake/health/", read).content.decode()

    assert "Someone at the clinic updated your details just now." in page
    intake = Intake.objects.get(case=case)
    assert (intake.can_lie_prone, intake.diabetes) == (None, "insulin")


def test_an_unchanged_step_saves_nothing_so_a_clinic_edit_elsewhere_is_no_conflict(patient, case, config):
    patient.post("/intake/about/", about_post(case))
    read = about_post(case)
    driver_save(
        case=Case.objects.get(pk=case.pk),
        version=read["version"],
        name="Bo",
        relationship="",
        phone="+15551234567",
        config=config,
    )

    assert patient.post("/intake/about/", read).url == "/intake/medicines/"


# --- Submitting and after ------------------------------------------------------------------------


def test_submitting_clears_every_patient_owned_flag(patient, case):
    assert {"INTAKE_NOT_SUBMITTED", "DRIVER_MISSING"} <= open_flags(case)

    complete_intake(patient, case)

    assert not (PATIENT_OWNED & open_flags(case))
    assert Intake.objects.get(case=case).submitted_at is not None
    page = patient.get("/intake/done/").content.decode()
    assert "Thank you, your answers are with the clinic" in page
    assert "/intake/instructions/print/" in page and "/intake/appointment.ics" in page
    # Reopening the link after submitting shows the confirmation.
    assert patient.get("/intake/").url == "/intake/done/"


def test_the_review_lists_what_is_missing_and_refuses_to_submit_without_it(patient, case):
    page = patient.get("/intake/review/").content.decode()
    assert "Still to answer:" in page and "Step 2: Your medicines" in page

    page = patient.post("/intake/review/", {"go": "next", **versions(case)}).content.decode()

    assert "Some questions are not answered yet." in page
    assert not Intake.objects.filter(submitted_at__isnull=False).exists()


def test_a_change_after_submitting_reopens_the_review(patient, case):
    complete_intake(patient, case)

    response = patient.post(
        "/intake/allergies/", allergies_post(case, [{"category": "latex", "reaction": "rash"}])
    )

    assert response.url == "/intake/health/"
    assert Intake.objects.get(case=case).submitted_at is None
    assert "INTAKE_NOT_SUBMITTED" in open_flags(case)
    page = patient.get("/intake/health/").content.decode()
    assert "Please send your answers again on the last step." in page
    assert patient.post("/intake/review/", {"go": "next", **versions(case)}).url == "/intake/done/"
    assert not (PATIENT_OWNED & open_flags(case))


def test_pressing_on_without_changes_after_submitting_keeps_it_submitted(patient, case):
    complete_intake(patient, case)

    assert patient.post("/intake/about/", about_post(case)).url == "/intake/medicines/"

    assert Intake.objects.get(case=case).submitted_at is not None


def test_answers_cannot_be_changed_here_within_24_hours_of_the_start(client, case, config):
    token = issue(case, config)
    client.get(f"/i/{token}/")
    client.post("/intake/", DOB_FORM)
    patient = client
    complete_intake(patient, case)
    start = case.appointment.start

    with time_machine.travel(start - dt.timedelta(hours=23), tick=False):
        patient.get(f"/i/{token}/")  # days later: a new session
        patient.post("/intake/", DOB_FORM)
        response = patient.post("/intake/about/", about_post(case, first_name="Maggie"), follow=True)
        page = response.content.decode()
        assert response.redirect_chain[-1][0] == "/intake/done/"
        assert "can no longer be changed here" in page and "call the clinic" in page
        assert patient.get("/intake/review/").url == "/intake/done/"

    assert Patient.objects.get().first_name == "Margaret"
    with time_machine.travel(start - dt.timedelta(hours=25), tick=False):
        patient.get(f"/i/{token}/")
        patient.post("/intake/", DOB_FORM)
        assert (
            patient.post("/intake/about/", about_post(case, first_name="Maggie")).url == "/intake/medicines/"
        )
    assert Patient.objects.get().first_name == "Maggie"


# --- Language, calendar, printing ---------------------------------------------------------------


def test_a_spanish_speaking_patient_sees_spanish_and_a_change_of_language_is_remembered(client, config):
    case = store_case(config, start=next_start(), language="es")
    client.get(f"/i/{issue(case, config)}/")
    page = client.get("/intake/").content.decode()
    assert "Fecha de nacimiento" in page and '<html lang="es">' in page
    client.post("/intake/", DOB_FORM)

    page = client.get("/intake/about/").content.decode()
    assert "Paso 1 de 7" in page and "Sus datos" in page and "Guardar y continuar" in page
    page = client.get("/intake/instructions/").content.decode()
    assert "Deje de comer a las" in page and re.search(r"\d\d:\d\d del \w+ \d+ de \w+", page)

    client.post("/intake/about/", about_post(case, language="en"))
    assert Patient.objects.get().language == "en"
    assert "Step 2 of 7" in client.get("/intake/medicines/").content.decode()


def test_the_language_button_switches_the_pages(client, case, config):
    client.get(f"/i/{issue(case, config)}/")
    response = client.post("/intake/language/", {"language": "es", "next": "/intake/"})
    assert response.url == "/intake/"
    assert "Fecha de nacimiento" in client.get("/intake/").content.decode()
    # Only intake pages are allowed as the way back.
    assert (
        client.post("/intake/language/", {"language": "en", "next": "https://evil.example/"}).url
        == "/intake/"
    )


def test_the_printable_instructions_and_the_calendar_file(client, config):
    start = next_start()
    plan = cd.SignOffData(
        "anticoagulant_plan_approved", "dr.iris", timezone.now(), medication="Plavix 75mg", for_start=start
    )
    case = store_case(
        config,
        start=start,
        language="es",
        medications=(cd.MedicationData("Plavix 75mg"),),
        signoffs=(plan,),
    )
    patient = verified_client(client, case, config)

    page = patient.get("/intake/instructions/print/").content.decode()
    assert "Sus instrucciones para el procedimiento de columna" in page
    assert "Plavix 75mg (clopidogrel): tome su última dosis el" in page

    response = patient.get("/intake/appointment.ics")
    assert response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    assert "BEGIN:VCALENDAR" in body and "Procedimiento de columna en" in body
    assert "BEGIN:VALARM" in body and f"{case.uuid}@prepdesk" in body
    event = Calendar.from_ical(response.content).walk("VEVENT")[0]
    texts = [str(event["description"])] + [str(alarm["description"]) for alarm in event.walk("VALARM")]
    assert texts[0].startswith("Llegue antes de las") and re.search(r"\d\d:\d\d del \w+ \d+ de \w+", texts[0])
    assert "Mañana: su procedimiento de columna" in texts[1] and "Última dosis de Plavix 75mg" in texts[3]
    assert not [text for text in texts if re.search(r"\b(Arrive|Stop|Tomorrow|Last dose|your)\b", text)]


def test_an_unscheduled_case_has_no_times_yet_and_no_calendar_file(client, config):
    case = store_case(config)
    patient = verified_client(client, case, config)

    assert "Your appointment is not booked yet" in patient.get("/intake/instructions/").content.decode()
    assert patient.get("/intake/appointment.ics").status_code == 404


def test_the_medicines_step_names_back_what_it_read_in_spanish(client, config):
    case = store_case(config, "ES-MEDS", start=next_start(), language="es")
    patient = verified_client(client, case, config)

    def hint(name: str) -> str:
        return patient.get("/intake/medicines/hint/", {"medications-0-name": name}).content.decode()

    assert "Lo entendemos como aspirin." in hint("aspirina")
    assert "es un anticoagulante" in hint("Aspirina 100 mg")
    assert "Lo entendemos como apixaban. Revise cómo lo escribió." in hint("Elliquis")
    assert "¿Quiso decir lisinopril?" in hint("lisinoprill")
    assert "No reconocemos este nombre." in hint("zzqx")


def test_a_phone_with_an_extension_is_refused_in_plain_words_not_cut_short(patient, case):
    page = patient.post("/intake/about/", about_post(case, phone="+1 617 555 0142 ext. 89")).content.decode()

    assert "Please give a phone number without an extension" in page
    assert Case.objects.get(pk=case.pk).patient.phone != "+16175550142"


def test_moving_on_from_medicines_needs_the_list_confirmed_but_adding_a_line_does_not(patient, case):
    refused = patient.post("/intake/medicines/", meds_post(case, [{"name": "Tylenol"}], complete=False))
    page = refused.content.decode()

    assert refused.status_code == 200
    assert "Please tick this box when the list has everything you take" in page
    assert not Medication.objects.filter(case=case).exists()

    added = patient.post(
        "/intake/medicines/", meds_post(case, [{"name": "Tylenol"}], complete=False, go="add")
    )
    assert added.url == "/intake/medicines/"
    assert Medication.objects.filter(case=case, name="Tylenol").exists()


def test_an_allergy_listed_and_no_allergies_ticked_is_refused_next_to_the_tick(patient, case):
    both = patient.post("/intake/allergies/", allergies_post(case, [{"category": "latex"}], none=True))
    neither = patient.post("/intake/allergies/", allergies_post(case, [], none=False))

    assert "You have listed an allergy. Remove it, or untick" in both.content.decode()
    assert "Please tell us about your allergy above, or tick" in neither.content.decode()
    assert not Allergy.objects.filter(case=case).exists()


def test_the_confirmation_warns_when_no_driver_is_recorded_and_not_once_there_is_one(patient, case):
    complete_intake(patient, case)
    assert 'data-warning="no-driver"' not in patient.get("/intake/done/").content.decode()

    Driver.objects.filter(case=case).delete()
    page = patient.get("/intake/done/").content.decode()

    assert 'data-warning="no-driver"' in page
    assert "You have not told us who will drive you home" in page and 'href="/intake/driver/"' in page


def test_the_review_never_promises_a_stop_date_next_to_the_date_the_patient_gave(client, config):
    start = next_start(days=8)
    planned = start.date() - dt.timedelta(days=4)
    case = store_case(
        config, start=start, medications=(cd.MedicationData("Eliquis 5mg", last_dose_planned=planned),)
    )
    patient = verified_client(client, case, config)

    review = patient.get("/intake/review/").content.decode()

    assert "Last dose planned:" in review
    assert "The clinic will check the date you gave." in review
    assert "will tell you when to stop it" not in review


def test_a_spanish_speaking_patient_reads_the_allergy_medicine_in_spanish(client, config):
    case = store_case(
        config,
        start=next_start(days=6),
        language="es",
        allergies=(cd.AllergyData("iodinated_contrast", "iohexol", "hives"),),
        signoffs=(cd.SignOffData("contrast_premedication_prescribed", "dr.kim", timezone.now()),),
    )
    patient = verified_client(client, case, config)

    page = patient.get("/intake/instructions/").content.decode()

    assert "prednisona 50 mg por vía oral a las" in page and "difenhidramina 50 mg a las" in page
    assert "by mouth" not in page and "prednisone" not in page


def test_choosing_text_messages_is_the_patients_agreement_for_that_number(patient, case):
    patient.post("/intake/about/", about_post(case, message_channel="sms", phone="555 010 0009"))

    stored = Case.objects.get(pk=case.pk).patient
    assert (stored.message_channel, stored.sms_confirmed_phone) == ("sms", "+15550100009")


def test_email_without_an_address_is_refused_next_to_the_email_field(patient, case):
    page = patient.post("/intake/about/", about_post(case, message_channel="both", email="")).content.decode()

    assert "Please add your email address, or choose text messages or a phone call." in page
    assert Case.objects.get(pk=case.pk).patient.message_channel == "email"


def test_the_patient_may_give_their_drivers_email_for_the_link(patient, case):
    driver = {"name": "Ada Okafor", "phone": "555 010 9001", "email": "ada@example.org", "go": "next"}

    assert patient.post("/intake/driver/", driver | versions(case)).url == "/intake/instructions/"

    assert Driver.objects.get(case=case).email == "ada@example.org"


def test_the_review_repeats_how_reminders_will_come(patient, case):
    patient.post("/intake/about/", about_post(case, message_channel="both"))

    page = patient.get("/intake/review/").content.decode()

    assert "How should the clinic send you reminders?</dt><dd>Both text messages and email</dd>" in page
