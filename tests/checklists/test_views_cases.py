"""Coordinators creating, scheduling, rescheduling and cancelling cases in the staff workspace."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from checklists.models import AccessLog, Case, Patient, Room
from tests.factories import RoomFactory

# Expected clock times are written in UTC, the clinic zone of these tests.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("utc_clinic")]
UTC = dt.UTC
NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def room(db) -> Room:
    return RoomFactory(location="Level 2")


def form_data(room: Room | None = None, start: str = "2026-12-01T09:00", **overrides) -> dict:
    data = {
        "first_name": "Ann",
        "last_name": "Lee",
        "date_of_birth": "1950-02-03",
        "sex": "female",
        "email": "ann@example.org",
        "phone": "(555) 123-4567",
        "language": "en",
        "kind": "vertebroplasty",
        "levels": ["L1", "T12"],
        "anesthesia": "local_sedation",
        "contrast_planned": "on",
        "room": room.pk if room else "",
        "start": start if room else "",
    }
    return data | overrides


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    for url in ("/dashboard/", "/cases/new/", "/schedule/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/?next=")


def test_the_front_page_sends_staff_to_the_dashboard_and_others_to_login(client, coordinator):
    assert client.get("/").url == "/accounts/login/"
    client.force_login(coordinator)
    assert client.get("/").url == "/dashboard/"


def test_a_logged_in_user_without_a_staff_role_is_refused(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("visitor"))

    assert client.get("/cases/new/").status_code == 403


def test_healthz_answers_without_login(client):
    response = client.get("/healthz/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_logout_is_a_post(client, coordinator):
    client.force_login(coordinator)

    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/dashboard/").status_code == 302


def test_a_coordinator_creates_a_scheduled_case(client, coordinator, room):
    client.force_login(coordinator)
    response = client.post("/cases/new/", form_data(room))

    case = Case.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("checklists:case_detail", args=[case.uuid])
    assert case.levels == ["T12", "L1"]  # spinal order
    assert case.status == Case.Status.SCHEDULED
    assert case.patient.phone == "+15551234567"
    assert case.appointment.end - case.appointment.start == dt.timedelta(hours=2)


def test_a_case_can_be_created_unscheduled(client, coordinator):
    client.force_login(coordinator)
    client.post("/cases/new/", form_data())

    assert Case.objects.get().status == Case.Status.DRAFT


def test_an_overlapping_slot_is_refused_naming_the_other_cases_time(client, coordinator, room):
    client.force_login(coordinator)
    client.post("/cases/new/", form_data(room, reference="FIRST"))

    response = client.post("/cases/new/", form_data(room, start="2026-12-01T10:00", last_name="Other"))

    assert response.status_code == 200
    assert "IR Suite 1 is already booked Tue 1 Dec 2026 09:00–11:00 (FIRST)" in response.content.decode()
    # ... at the top of the page too, above the form, linked to the start time.
    page = response.content.decode()
    summary = page[page.index("data-error-summary") : page.index('id="case-form"')]
    assert "IR Suite 1 is already booked" in summary and 'href="#id_start"' in summary
    assert Case.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"levels": []}, "levels", "This field is required."),
        ({"levels": ["C1", "C2", "C3", "C4", "C5", "C6", "C7"]}, "levels", "Choose at most 6 levels."),
        ({"date_of_birth": "2030-01-01"}, "date_of_birth", "The date of birth must be in the past."),
        ({"phone": "12"}, "phone", "too few or too many digits"),
        ({"phone": "+1 617 555 0142 ext. 89"}, "phone", "Extensions cannot be kept"),
        ({"start": "2026-11-20T09:00"}, "start", "Choose a start time in the future."),
        (
            {"start": "2026-12-01T17:30"},
            "start",
            "IR Suite 1 is open 08:00–18:00; this case would run 17:30–19:30.",
        ),
    ],
)
def test_bad_input_is_explained_next_to_the_field_and_nothing_is_saved(
    client, coordinator, room, overrides, field, message
):
    client.force_login(coordinator)
    response = client.post("/cases/new/", form_data(room, **overrides))

    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[field])
    assert (
        f'id="error_1_id_{field}"' in response.content.decode()
        or "invalid-feedback" in response.content.decode()
    )
    assert Case.objects.count() == 0


def test_rescheduling_moves_the_appointment(client, coordinator, room):
    client.force_login(coordinator)
    client.post("/cases/new/", form_data(room))
    case = Case.objects.get()

    response = client.post(
        f"/cases/{case.uuid}/edit/", form_data(room, start="2026-12-02T13:00", version=case.version)
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.appointment.start == dt.datetime(2026, 12, 2, 13, 0, tzinfo=UTC)
    assert AccessLog.objects.filter(case=case, action="case.edit").exists()


def test_a_second_edit_from_a_stale_page_is_refused_with_who_changed_it(client, coordinator, clinician, room):
    client.force_login(coordinator)
    client.post("/cases/new/", form_data(room))
    case = Case.objects.get()
    stale_version = case.version

    client.force_login(clinician)
    client.post(f"/cases/{case.uuid}/edit/", form_data(room, first_name="Anne", version=stale_version))
    client.force_login(coordinator)
    response = client.post(
        f"/cases/{case.uuid}/edit/", form_data(room, first_name="Annie", version=stale_version)
    )

    assert response.status_code == 200
    assert "This case was changed by dr_kim at" in response.content.decode()
    assert Case.objects.get().patient.first_name == "Anne"


def test_cancelling_frees_the_slot_for_another_case(client, coordinator, room):
    client.force_login(coordinator)
    client.post("/cases/new/", form_data(room))
    case = Case.objects.get()

    client.post(f"/cases/{case.uuid}/cancel/", {"version": case.version})
    response = client.post("/cases/new/", form_data(room, last_name="Next"))

    assert Case.objects.get(pk=case.pk).status == Case.Status.CANCELLED
    assert response.status_code == 302
    assert Case.objects.filter(status=Case.Status.SCHEDULED).count() == 1


def test_the_times_preview_shows_end_arrival_and_pickup(client, coordinator):
    client.force_login(coordinator)
    response = client.get("/cases/times/", {"start": "2026-12-01T09:00", "levels": ["L1", "L2"]})

    body = response.content.decode()
    assert "08:00" in body  # arrival 60 min before
    assert "11:00" in body  # end after two levels
    assert "13:00" in body  # pickup after 120 min lying flat


def test_refused_edits_show_the_times_of_what_was_typed_not_of_what_is_stored(client, coordinator, room):
    client.force_login(coordinator)
    client.post("/cases/new/", form_data(room, reference="TIMES"))  # 09:00, two levels: ends 11:00
    case = Case.objects.get(reference="TIMES")

    stored = client.get(f"/cases/{case.uuid}/edit/").content.decode()
    refused = client.post(
        f"/cases/{case.uuid}/edit/",
        form_data(
            room, start="2026-12-01T13:00", levels=["L1", "L2", "L3"], phone="12", version=case.version
        ),
    )

    assert re.search(r"End</dt><dd[^>]*>11:00<", stored)
    assert refused.status_code == 200 and refused.context["form"].errors["phone"]
    assert re.search(r"End</dt><dd[^>]*>16:00<", refused.content.decode())  # 13:00 + 3 levels


def test_texts_need_the_patients_agreement_said_next_to_the_box(client, coordinator):
    client.force_login(coordinator)

    page = client.post("/cases/new/", form_data(message_channel="both", email="")).content.decode()
    no_phone = client.post("/cases/new/", form_data(message_channel="sms", phone="")).content.decode()

    assert "Ask the patient and tick this, or choose another way." in page
    assert "Enter the phone number for text messages, or choose email." in no_phone
    assert not Case.objects.exists()


def test_a_patient_who_agreed_to_texts_gets_them_at_that_number_only(client, coordinator):
    client.force_login(coordinator)

    client.post("/cases/new/", form_data(message_channel="sms", sms_confirmed="on"))

    patient = Case.objects.get().patient
    assert (patient.message_channel, patient.sms_confirmed_phone) == ("sms", "+15551234567")


def test_the_case_page_says_how_the_patient_gets_messages(client, coordinator):
    client.force_login(coordinator)
    client.post("/cases/new/", form_data(message_channel="sms", sms_confirmed="on"))
    case = Case.objects.get()

    agreed = client.get(f"/cases/{case.uuid}/").content.decode()
    Patient.objects.update(phone="+15551234999")
    changed = client.get(f"/cases/{case.uuid}/").content.decode()

    assert "Text messages (agreed for this number)" in agreed
    assert "Text messages · <strong>texts not agreed for this number</strong>" in changed
