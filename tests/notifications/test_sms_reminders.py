"""Patient messages by text as well as email, the quiet hours, and the driver's own texts.

The clinic is in New York (see test_reminders.py): the example case is on Monday 2 November 2026 at
09:00 EST, the day after daylight saving time ends.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from checklists import casedata as cd
from checklists.driver_links import token_for
from checklists.models import Case, Driver, Patient
from notifications.models import Notification, NotificationSettings
from notifications.reminder_plan import Contact, ReminderSettings, after_quiet_hours
from notifications.sms.segments import segments
from tests.notifications.test_reminders import (
    START,
    case_data,
    new_york,
    notification_defaults,
    patient_done,
    rows,
    store,
    sweep_at,
    utc,
)

__all__ = ["new_york", "notification_defaults"]  # fixtures used here
NY = ZoneInfo("America/New_York")
MOBILE = "+12125550142"
QUIET = ReminderSettings.defaults()


def texts_agreed(channel: str = "sms", phone: str = MOBILE, confirmed: str | None = None) -> None:
    Patient.objects.update(message_channel=channel, phone=phone, sms_confirmed_phone=confirmed or phone)


# --- Where a patient's messages go ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "confirmed", "email", "expected"),
    [
        ("email", MOBILE, "ann@example.org", Contact(email="ann@example.org")),
        ("sms", MOBILE, "ann@example.org", Contact(sms=MOBILE, fallback_email="ann@example.org")),
        ("both", MOBILE, "ann@example.org", Contact(email="ann@example.org", sms=MOBILE)),
        ("sms", "+12125550199", "ann@example.org", Contact(email="ann@example.org")),  # another number agreed
        ("sms", "", "", Contact()),  # chose texts, agreed to none, no email: phone them
        ("none", MOBILE, "ann@example.org", Contact()),
    ],
)
def test_texts_go_only_to_the_number_the_patient_agreed_to(channel, confirmed, email, expected):
    contact = Contact.of(email=email, phone=MOBILE, channel=channel, sms_confirmed_phone=confirmed)
    assert contact == expected


# --- Quiet hours ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ((2026, 10, 31, 21, 30), (2026, 11, 1, 8, 0)),  # across the DST change
        ((2026, 11, 1, 7, 59), (2026, 11, 1, 8, 0)),
        ((2026, 11, 1, 8, 0), (2026, 11, 1, 8, 0)),
        ((2026, 11, 1, 19, 59), (2026, 11, 1, 19, 59)),
        ((2027, 3, 13, 20, 0), (2027, 3, 14, 8, 0)),  # the night clocks go forward
    ],
)
def test_a_text_planned_in_the_quiet_hours_waits_for_eight_oclock_clinic_time(local, expected):
    planned = dt.datetime(*local, tzinfo=NY).astimezone(dt.UTC)
    assert after_quiet_hours(planned, QUIET, NY) == dt.datetime(*expected, tzinfo=NY)


def test_quiet_hours_within_one_day_and_none_at_all():
    daytime = dataclasses.replace(QUIET, quiet_hours_start=dt.time(12), quiet_hours_end=dt.time(14))
    none = dataclasses.replace(QUIET, quiet_hours_start=dt.time(0), quiet_hours_end=dt.time(0))
    noon = dt.datetime(2026, 11, 1, 12, 30, tzinfo=NY)

    assert after_quiet_hours(noon, daytime, NY) == dt.datetime(2026, 11, 1, 14, 0, tzinfo=NY)
    assert after_quiet_hours(noon, none, NY) == noon


# --- Patient texts --------------------------------------------------------------------------------


def test_a_patient_who_chose_texts_gets_the_reminder_by_text_only(new_york, sms_outbox):
    store(case_data())
    texts_agreed()

    sweep_at(utc(2026, 10, 26, 14, 0))  # Monday 10:00 EDT: the 7-day reminder

    [row] = rows(kind="reminder_7d")
    assert (row.channel, row.recipient, row.status) == ("sms", MOBILE, Notification.Status.SENT)
    assert row.fallback_email == "ann@example.org" and row.segments == 1
    [text] = sms_outbox
    assert text.to == MOBILE
    assert "We still need 2 things from you" in text.body and text.body.startswith("PrepDesk")


def test_both_sends_email_and_text_and_spanish_texts_are_in_spanish(new_york, sms_outbox):
    store(case_data(language="es"))
    texts_agreed("both")

    sweep_at(utc(2026, 10, 26, 14, 0))

    assert {r.channel for r in rows(kind="reminder_7d")} == {"email", "sms"}
    [text] = sms_outbox
    assert "Aún necesitamos 2 datos de usted" in text.body
    row = Notification.objects.get(channel="sms")
    assert row.segments == segments(text.body) > 1  # "Aún": UCS-2, 67 characters a part


def test_the_day_before_text_asks_for_a_reply(new_york, sms_outbox):
    store(case_data(**patient_done()))
    texts_agreed()

    sweep_at(utc(2026, 11, 1, 20, 0))  # Sunday 15:00 EST

    [text] = [t for t in sms_outbox if t.to == MOBILE]
    assert "Arrive by 08:00" in text.body and "No food, milk or juice after 01:00" in text.body
    assert text.body.endswith(
        "Reply 1 if you will stop eating by 01:00 and your driver is set, or 2 to talk to us."
    )


def test_no_text_goes_in_the_quiet_hours_and_none_at_or_after_the_start(new_york, sms_outbox, settings):
    store(case_data(start=utc(2026, 11, 2, 13, 30)))  # 08:30 EST: the day-before text moved to 08:00
    texts_agreed()
    NotificationSettings.objects.update(day_before_time=dt.time(21, 0))

    sweep_at(utc(2026, 11, 2, 2, 0))  # 21:00 EST the evening before: quiet
    assert not rows(channel="sms", kind="day_before")
    sweep_at(utc(2026, 11, 2, 13, 0))  # 08:00 EST: the quiet hours end
    [row] = rows(channel="sms", kind="day_before")
    assert row.planned_at == utc(2026, 11, 2, 13, 0)

    store(case_data("R-2", start=utc(2026, 11, 3, 13, 0)))  # 08:00 EST: its text would come too late
    texts_agreed()
    sweep_at(utc(2026, 11, 3, 13, 0))
    assert not rows(channel="sms", kind="day_before", case__reference="R-2")


# --- The driver's texts ---------------------------------------------------------------------------


def test_a_newly_recorded_driver_gets_their_own_link_by_text_once(new_york, sms_outbox, settings):
    settings.SITE_URL = "https://prep.clinic.example"
    recorded = utc(2026, 10, 27, 15, 0)  # Tuesday 11:00 EDT
    with time_machine.travel(recorded, tick=False):
        store(case_data(driver=cd.DriverData("Samuel Okafor", MOBILE)))

    sweep_at(recorded + dt.timedelta(minutes=5))
    sweep_at(recorded + dt.timedelta(minutes=10))

    driver = Driver.objects.select_related("case").get()
    [text] = sms_outbox
    assert text.to == MOBILE
    assert text.body.startswith("PrepDesk")
    assert "Ann L. named you to drive them home" in text.body
    assert text.body.endswith(f"https://prep.clinic.example/d/{token_for(driver)}/")
    assert rows(kind="driver_link")[0].planned_at == recorded


def test_no_link_to_a_landline_a_confirmed_driver_or_in_the_quiet_hours(new_york, sms_outbox):
    evening = utc(2026, 10, 28, 1, 0)  # Tuesday 21:00 EDT
    with time_machine.travel(evening, tick=False):
        store(
            case_data("L-1", driver=cd.DriverData("Land Line", "+442079460018")),
            case_data(
                "C-1",
                start=START + dt.timedelta(hours=2),
                driver=cd.DriverData("Al", MOBILE, confirmed_at=evening),
            ),
            case_data("Q-1", start=START + dt.timedelta(hours=4), driver=cd.DriverData("Cy", "+12125550143")),
        )

    sweep_at(evening + dt.timedelta(minutes=5))
    assert sms_outbox == []
    sweep_at(utc(2026, 10, 28, 12, 5))  # Wednesday 08:05 EDT
    assert [t.to for t in sms_outbox] == ["+12125550143"]


def test_a_confirmed_driver_is_texted_the_pickup_time_the_evening_before(new_york, sms_outbox):
    store(
        case_data(
            **{**patient_done(), "driver": cd.DriverData("Bo Lee", MOBILE, confirmed_at=utc(2026, 10, 20))}
        )
    )

    sweep_at(utc(2026, 11, 1, 23, 0))  # Sunday 18:00 EST

    [text] = [t for t in sms_outbox if "collect" in t.body]
    assert text.to == MOBILE
    assert "tomorrow, Monday 2 November, please collect Ann L. at about 12:00" in text.body


def test_the_quiet_hours_are_the_clinics_own_setting(new_york, sms_outbox):
    NotificationSettings.objects.update(quiet_hours_start=dt.time(9, 0), quiet_hours_end=dt.time(11, 0))
    store(case_data())
    texts_agreed()

    sweep_at(utc(2026, 10, 26, 14, 0))  # Monday 10:00 EDT: the reminder's time, in the clinic's quiet hours
    assert sms_outbox == []
    sweep_at(utc(2026, 10, 26, 15, 0))  # 11:00 EDT
    assert [row.planned_at for row in rows(channel="sms")] == [utc(2026, 10, 26, 15, 0)]
    assert len(sms_outbox) == 1


@pytest.mark.parametrize("count", [1, 20])
def test_judging_queued_texts_costs_the_same_queries_for_one_or_many(
    new_york, django_assert_num_queries, count
):
    """The numbers that replied STOP are read once per sweep, not once per queued text."""
    from notifications.services import notification_plan
    from notifications.sweep import _cancel_stale

    with time_machine.travel(utc(2026, 10, 20), tick=False):  # the rows exist before the sweep
        store(case_data())
        case = Case.objects.get()
        for i in range(count):
            notification_plan(
                case=case, kind="day_before", recipient=f"+1212555{i:04d}", subject="s", body_text="t",
                planned_at=utc(2026, 11, 1, 20, 0), channel="sms",
            )  # fmt: skip

    # The queued rows (with case and slot), the opted-out numbers, and one UPDATE cancelling them
    # all (the appointment has started).
    with django_assert_num_queries(3):
        assert _cancel_stale(utc(2026, 11, 3), set(), set()) == count


def test_a_driver_whose_phone_takes_no_texts_gets_the_link_by_email_if_given(
    new_york, sms_outbox, mailoutbox
):
    recorded = utc(2026, 10, 27, 15, 0)
    with time_machine.travel(recorded, tick=False):
        store(case_data(driver=cd.DriverData("Land Line", "+442079460018")))
    Driver.objects.update(email="land.line@example.org")

    sweep_at(recorded + dt.timedelta(minutes=5))

    driver = Driver.objects.select_related("case").get()
    [email] = mailoutbox
    assert email.to == ["land.line@example.org"] and sms_outbox == []
    assert email.subject == "Ann L. asked you to drive them home after a procedure on Monday 2 November"
    assert f"/d/{token_for(driver)}/" in email.body


def test_the_coordinator_digest_asks_to_phone_only_patients_no_reminder_reaches(new_york, django_user_model):
    from notifications.sweep import digest_render
    from tests.notifications.test_reminders import staff

    staff(django_user_model, "coord.a", "coordinator")
    store(case_data("E-1", email=None), case_data("S-1", start=START + dt.timedelta(hours=2), email=None))
    Patient.objects.filter(cases__reference="S-1").update(
        phone=MOBILE, message_channel="sms", sms_confirmed_phone=MOBILE
    )

    digest = digest_render(
        "digest_coordinator", now=utc(2026, 11, 1, 12), config=new_york, settings=ReminderSettings.defaults()
    )

    assert "E-1  Lee-E-1, Ann  -- no email or texts: call the patient" in digest.text
    assert "S-1  Lee-S-1, Ann\n" in digest.text  # texts reach her: nobody need phone


def test_stop_withdraws_the_patients_agreement_so_reminders_go_by_email_and_start_gives_it_back(
    new_york, sms_outbox, mailoutbox
):
    from notifications.inbound import sms_receive

    store(case_data())
    texts_agreed()
    sms_receive(provider_id="SM-stop", from_phone=MOBILE, body="Stop", now=utc(2026, 10, 25, 12))
    assert Patient.objects.get().sms_confirmed_phone == ""

    sweep_at(utc(2026, 10, 26, 14, 0))  # the 7-day reminder

    assert sms_outbox == [] and [m.to for m in mailoutbox] == [["ann@example.org"]]
    sms_receive(provider_id="SM-start", from_phone=MOBILE, body="START", now=utc(2026, 10, 27, 12))
    assert Patient.objects.get().sms_confirmed_phone == MOBILE
    assert Patient.history.filter(sms_confirmed_phone="").exists()  # the withdrawal is in the history
