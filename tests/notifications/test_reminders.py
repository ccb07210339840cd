"""Reminders and digests: what is due when (across a DST change), what it says, and that it goes once.

The clinic is in New York. The example case is on Monday 2 November 2026 at 09:00 EST, the day
after daylight saving time ends, so its 7- and 3-day reminders fall in EDT (UTC-4) and its 1-day
reminder and day-before message in EST (UTC-5): each must still go out at the configured local time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from importlib import import_module

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth.models import Group
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.core.management import call_command

from checklists import casedata as cd
from checklists.catalog import RuleConfig
from checklists.models import Case, Room
from checklists.selectors.catalogue import load_rule_config
from checklists.services.booking import appointment_book
from checklists.services.cases import case_cancel
from checklists.services.imports import cases_import
from notifications import reminder_plan
from notifications.models import Notification, NotificationSettings
from notifications.reminder_plan import ReminderSettings
from notifications.sweep import STALE, digest_render, notifications_sweep
from tests.factories import StaffFactory

UTC = dt.UTC
START = dt.datetime(2026, 11, 2, 14, 0, tzinfo=UTC)  # Monday 2 November 2026, 09:00 EST
SUBMITTED = dt.datetime(2026, 10, 1, 12, tzinfo=UTC)
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


# --- Builders and fixtures ------------------------------------------------------------------------


def case_data(
    reference: str = "R-1",
    *,
    start: dt.datetime | None = START,
    email: str | None = "ann@example.org",
    language: str = "en",
    medications: tuple[cd.MedicationData, ...] = (),
    intake: cd.IntakeData | None = None,
    driver: cd.DriverData | None = None,
    phone: str | None = None,
    signoffs: tuple[cd.SignOffData, ...] = (),
) -> cd.CaseData:
    """A case; by default the patient has not sent the intake nor named a driver (two items missing)."""
    return cd.CaseData(
        reference=reference,
        patient=cd.PatientData(
            "Ann", f"Lee-{reference}", dt.date(1950, 1, 1), email=email, phone=phone, language=language
        ),
        procedure=cd.ProcedureData(levels=("L1",)),
        appointment=cd.AppointmentData(start=start, room="IR Suite 1") if start else None,
        medications=medications,
        intake=intake,
        driver=driver,
        signoffs=signoffs,
    )


def patient_done(submitted_at: dt.datetime = SUBMITTED) -> dict:
    """Everything the patient owes: a complete intake and a driver."""
    return {
        "intake": cd.IntakeData(
            submitted_at=submitted_at,
            medications_complete=True,
            no_known_allergies=True,
            fasting_acknowledged=True,
            can_lie_prone=True,
        ),
        "driver": cd.DriverData("Bo Lee", "+15551234567"),
    }


def store(*cases: cd.CaseData) -> list[Case]:
    cases_import(cases=list(cases), config=load_rule_config())
    return list(Case.objects.filter(reference__in=[c.reference for c in cases]).order_by("reference"))


def staff(django_user_model, username: str, group: str, email: str | None = None):
    return StaffFactory(username=username, role=group, **({"email": email} if email else {}))


def sweep_at(moment: dt.datetime):
    with time_machine.travel(moment, tick=False):
        return notifications_sweep()


@pytest.fixture
def notification_defaults(db) -> None:
    """The reminder times (a transactional test flushes the migration-loaded row; put it back)."""
    import_module("notifications.migrations.0003_notification_settings_defaults").load_defaults(apps, None)


@pytest.fixture
def new_york(settings, clinical_defaults, notification_defaults) -> RuleConfig:
    """The clinic in New York; sending runs inline (the immediate task backend)."""
    settings.CLINIC_TIME_ZONE = settings.TIME_ZONE = "America/New_York"
    settings.TASKS = IMMEDIATE
    settings.CLINIC_PHONE = "+1 555 010 0000"
    return load_rule_config()


def rows(**filters) -> list[Notification]:
    return list(Notification.objects.filter(**filters).order_by("planned_at", "kind"))


# --- The schedule (pure) --------------------------------------------------------------------------

NY = RuleConfig.defaults("America/New_York")
DEFAULTS = ReminderSettings.defaults()


def planned(
    case: cd.CaseData, now: dt.datetime = SUBMITTED - dt.timedelta(hours=12), **kwargs
) -> dict[str, dt.datetime]:
    return {m.kind: m.planned_at for m in reminder_plan.case_messages(case, NY, DEFAULTS, now, **kwargs)}


def test_patient_reminders_go_out_at_ten_local_time_on_both_sides_of_the_dst_change():
    times = planned(case_data())

    assert times["reminder_7d"] == utc(2026, 10, 26, 14)  # Mon 26 Oct 10:00 EDT
    assert times["reminder_3d"] == utc(2026, 10, 30, 14)  # Fri 30 Oct 10:00 EDT
    assert times["reminder_1d"] == utc(2026, 11, 1, 15)  # Sun 1 Nov 10:00 EST


def test_day_before_message_is_planned_at_fifteen_local_the_day_before():
    assert planned(case_data())["day_before"] == utc(2026, 11, 1, 20)  # Sun 1 Nov 15:00 EST


def plan(medication: str, **plan_fields) -> tuple[cd.SignOffData, ...]:
    """A clinician's approved plan for one blood thinner, for the appointment at START."""
    return (
        cd.SignOffData(
            "anticoagulant_plan_approved",
            "dr.iris",
            utc(2026, 9, 30),
            medication=medication,
            for_start=START,
            **plan_fields,
        ),
    )


def test_each_held_medicine_gets_a_message_at_eight_on_its_last_dose_day():
    meds = (
        cd.MedicationData("Eliquis 5mg"),
        cd.MedicationData("Fish oil 1000 mg"),
        cd.MedicationData("Tylenol"),
    )

    times = planned(case_data(medications=meds, signoffs=plan("Eliquis 5mg")))

    # Apixaban without an eGFR on file: 3 whole days, last dose Thu 29 Oct; fish oil 7 days: Sun 25 Oct.
    assert times["last_dose:apixaban"] == utc(2026, 10, 29, 12)
    assert times["last_dose:fish oil"] == utc(2026, 10, 25, 12)
    assert not any(kind.startswith("last_dose:") and "tylenol" in kind.lower() for kind in times)


def test_an_hours_based_hold_ending_before_eight_is_announced_the_day_before():
    # Enoxaparin stops 24 h before a 07:30 start: last dose Sunday 07:30, so the message goes Saturday 08:00.
    start = dt.datetime(2026, 11, 2, 12, 30, tzinfo=UTC)  # 07:30 EST
    lovenox = (cd.MedicationData("Lovenox 40mg"),)
    approved = (
        cd.SignOffData(
            "anticoagulant_plan_approved",
            "dr.iris",
            utc(2026, 9, 30),
            medication="Lovenox 40mg",
            for_start=start,
        ),
    )
    times = planned(case_data(start=start, medications=lovenox, signoffs=approved))

    assert times["last_dose:enoxaparin"] == utc(2026, 10, 31, 12)  # Sat 31 Oct 08:00 EDT


def test_a_patient_who_plans_to_stop_earlier_is_reminded_on_their_own_day():
    meds = (cd.MedicationData("Eliquis", last_dose_planned=dt.date(2026, 10, 27)),)

    times = planned(case_data(medications=meds, signoffs=plan("Eliquis")))
    assert times["last_dose:apixaban"] == utc(2026, 10, 27, 12)


def test_a_blood_thinner_gets_no_last_dose_message_until_its_plan_is_approved():
    meds = (cd.MedicationData("Eliquis 5mg"),)

    assert "last_dose:apixaban" not in planned(case_data(medications=meds))


def test_a_plan_to_keep_taking_it_sends_no_last_dose_message():
    meds = (cd.MedicationData("Baby aspirin 81mg"),)

    times = planned(case_data(medications=meds, signoffs=plan("Baby aspirin 81mg", keep_taking=True)))
    assert not [kind for kind in times if kind.startswith("last_dose:")]


def test_an_approved_last_dose_day_replaces_the_computed_one():
    meds = (cd.MedicationData("Baby aspirin 81mg"),)
    # Aspirin's default is 5 whole days (last dose Tue 27 Oct); the clinician chose 3 (Thu 29 Oct).
    approved = plan("Baby aspirin 81mg", last_dose_on=dt.date(2026, 10, 29))

    assert planned(case_data(medications=meds, signoffs=approved))["last_dose:aspirin"] == utc(
        2026, 10, 29, 12
    )


def test_a_later_planned_blood_thinner_dose_counts_only_with_an_approved_exception():
    meds = (cd.MedicationData("Eliquis", last_dose_planned=dt.date(2026, 10, 30)),)
    approved = (
        cd.SignOffData("anticoagulant_exception_approved", "dr.iris", utc(2026, 9, 30), medication="Eliquis"),
    )

    assert planned(case_data(medications=meds, signoffs=plan("Eliquis")))["last_dose:apixaban"] == utc(
        2026, 10, 29, 12
    )
    exception = planned(case_data(medications=meds, signoffs=plan("Eliquis") + approved))
    assert exception["last_dose:apixaban"] == utc(2026, 10, 30, 12)


def test_no_missing_items_reminder_once_the_patient_has_done_everything():
    times = planned(case_data(**patient_done()), now=utc(2026, 10, 2))

    assert not [kind for kind in times if kind.startswith("reminder_")]
    assert "day_before" in times


def test_a_patient_without_email_is_sent_nothing():
    assert planned(case_data(email=None, medications=(cd.MedicationData("Eliquis"),))) == {}


def test_a_reminder_is_due_from_its_time_until_the_grace_window_closes():
    case = case_data()

    def due(now):
        return {m.kind for m in reminder_plan.due_case_messages(case, NY, DEFAULTS, now)}

    assert "reminder_7d" not in due(utc(2026, 10, 26, 13, 59))
    assert "reminder_7d" in due(utc(2026, 10, 26, 14, 0))
    assert "reminder_7d" in due(utc(2026, 10, 27, 1, 59))  # 11 h 59 min late: still sent
    assert "reminder_7d" not in due(utc(2026, 10, 27, 2, 0))  # 12 h late: dropped, never days late


def test_nothing_is_due_at_or_after_the_appointment_start():
    # A 05:00 start: the 1-day reminder (Sunday 10:00) is due until Sunday 22:00, but not past the start.
    start = utc(2026, 11, 2, 10)
    case = case_data(start=start)

    late = reminder_plan.due_case_messages(
        case, NY, dataclasses.replace(DEFAULTS, late_send_grace=dt.timedelta(days=2)), start
    )

    assert late == []


def test_the_coordinator_digest_runs_from_now_to_the_end_of_the_third_day():
    now = utc(2026, 11, 2, 12, 5)  # Monday 07:05 EST

    assert reminder_plan.digest_until(now, 3, NY.time_zone) == utc(2026, 11, 6, 5)  # Fri 00:00 EST
    assert reminder_plan.digest_planned_at("digest_coordinator", now, DEFAULTS, NY.time_zone) == utc(
        2026, 11, 2, 12
    )
    # At 06:59 today's is not due yet and yesterday's is 24 h old: none.
    assert (
        reminder_plan.digest_planned_at(
            "digest_coordinator", utc(2026, 11, 2, 11, 59), DEFAULTS, NY.time_zone
        )
        is None
    )


# --- The sweep: what goes out, once -----------------------------------------------------------------


def test_the_settings_row_holds_the_documented_defaults(notification_defaults):
    row = NotificationSettings.objects.get(pk=1)

    assert row.patient_reminder_days == "7,3,1"
    assert (row.patient_reminder_time, row.day_before_time, row.last_dose_time) == (
        dt.time(10),
        dt.time(15),
        dt.time(8),
    )
    assert (row.coordinator_digest_time, row.clinician_digest_time) == (dt.time(7), dt.time(7))
    assert row.digest_horizon_days == 3 and row.late_send_grace_hours == 12
    assert "7,3,1" in NotificationSettings._meta.get_field("patient_reminder_days").help_text


def test_the_seven_day_reminder_names_exactly_what_the_patient_still_owes(new_york):
    store(case_data())

    report = sweep_at(utc(2026, 10, 26, 14, 3))

    assert report.planned == 1 and report.enqueued == 1
    [message] = mail.outbox
    assert message.to == ["ann@example.org"]
    assert message.subject == "Your spine procedure on Monday 2 November: 2 things still needed"
    assert "Your health questions (the intake form) are not finished yet." in message.body
    assert "Please tell us who will drive you home." in message.body
    assert "medicines is complete" not in message.body  # only what is actually missing
    assert "Monday 2 November 2026 at 09:00" in message.body
    assert "Please do this by 10:00 on Friday 30 October." in message.body  # 72 h before, in EDT
    html = message.alternatives[0]
    assert html.mimetype == "text/html" and "not finished yet" in html.content
    [row] = rows()
    assert (row.kind, row.status, row.planned_at, row.language) == (
        "reminder_7d",
        "sent",
        utc(2026, 10, 26, 14),
        "en",
    )


def test_repeated_sweeps_send_each_message_once(new_york):
    store(case_data())

    for minute in (0, 5, 10, 15):
        sweep_at(utc(2026, 10, 26, 14, minute))
    sweep_at(utc(2026, 10, 26, 23, 0))

    assert len(mail.outbox) == 1
    assert Notification.objects.count() == 1


def test_the_command_runs_the_sweep(new_york, capsys):
    store(case_data())

    with time_machine.travel(utc(2026, 10, 26, 14, 3), tick=False):
        call_command("send_due_notifications")

    assert "planned 1, cancelled 0, queued for sending 1, errors 0" in capsys.readouterr().out
    assert len(mail.outbox) == 1


def test_the_reminders_of_the_week_before_go_out_on_their_local_times(new_york):
    store(case_data())
    moments = [utc(2026, 10, 25) + dt.timedelta(minutes=30 * i) for i in range(9 * 48)]  # to 3 November

    for moment in moments:
        sweep_at(moment)

    kinds = [(row.kind, row.planned_at, row.sent_at) for row in rows()]
    assert kinds == [
        ("reminder_7d", utc(2026, 10, 26, 14), utc(2026, 10, 26, 14)),
        ("reminder_3d", utc(2026, 10, 30, 14), utc(2026, 10, 30, 14)),
        ("reminder_1d", utc(2026, 11, 1, 15), utc(2026, 11, 1, 15)),
        ("day_before", utc(2026, 11, 1, 20), utc(2026, 11, 1, 20)),
    ]
    assert len(mail.outbox) == 4


def test_rescheduling_moves_the_reminders(new_york):
    [case] = store(case_data())
    later = START + dt.timedelta(days=7)  # Monday 9 November
    appointment_book(case=case, room=Room.objects.get(), start=later, config=new_york)

    sweep_at(utc(2026, 10, 26, 14, 5))  # the old 7-day time: nothing
    sweep_at(utc(2026, 11, 2, 15, 5))  # the new one: Monday 2 November 10:05 EST

    assert [(row.kind, row.planned_at) for row in rows()] == [("reminder_7d", utc(2026, 11, 2, 15))]
    assert "Monday 9 November" in mail.outbox[0].subject


def test_a_reminder_waiting_for_a_worker_is_cancelled_when_the_case_moves(new_york, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}  # no worker runs
    [case] = store(case_data())
    sweep_at(utc(2026, 10, 26, 14, 5))
    appointment_book(case=case, room=Room.objects.get(), start=START + dt.timedelta(days=7), config=new_york)

    report = sweep_at(utc(2026, 10, 26, 14, 10))

    [row] = rows()
    assert report.cancelled == 1
    assert (row.status, row.error) == ("cancelled", STALE)


def test_cancelling_the_case_drops_its_pending_messages_and_sends_nothing_more(new_york, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    [case] = store(case_data())
    sweep_at(utc(2026, 10, 26, 14, 5))
    case_cancel(case=case, version=case.version, config=new_york)
    settings.TASKS = IMMEDIATE

    sweep_at(utc(2026, 10, 26, 14, 10))
    for day in (30, 31):
        sweep_at(utc(2026, 10, day, 14, 5))
    sweep_at(utc(2026, 11, 1, 20, 5))

    assert mail.outbox == []
    [row] = rows()
    assert (row.status, row.error) == ("cancelled", "Not sent: the case was cancelled.")


def test_a_task_for_a_cancelled_case_sends_nothing(new_york):
    from notifications.services import notification_send

    [case] = store(case_data())
    row = Notification.objects.create(
        case=case,
        kind="intake_invitation",
        recipient="ann@example.org",
        subject="s",
        body_text="b",
        planned_at=START,
    )
    case_cancel(case=case, version=case.version, config=new_york)

    notification_send(notification_id=row.pk)

    row.refresh_from_db()
    assert mail.outbox == [] and row.status == "cancelled"


def test_nothing_is_sent_after_the_appointment(new_york, settings):
    NotificationSettings.objects.filter(pk=1).update(late_send_grace_hours=24)
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    store(case_data(**patient_done()))
    sweep_at(utc(2026, 11, 1, 20, 5))  # the day-before message is planned, but no worker runs
    settings.TASKS = IMMEDIATE

    report = sweep_at(START)  # still inside its 24 h grace window, but the appointment has started

    assert mail.outbox == []
    assert report.cancelled == 1
    [row] = rows()
    assert (row.kind, row.status, row.error) == (
        "day_before",
        "cancelled",
        "Not sent: the appointment has started.",
    )


def test_a_patient_without_email_gets_nothing_and_the_dashboard_says_call_patient(
    new_york, client, django_user_model
):
    store(case_data(email=None, phone="+15557654321"), case_data("R-2", start=START + dt.timedelta(hours=2)))
    for moment in (utc(2026, 10, 26, 14, 5), utc(2026, 10, 30, 14, 5), utc(2026, 11, 1, 20, 5)):
        sweep_at(moment)
    client.force_login(staff(django_user_model, "desk", "coordinator"))

    with time_machine.travel(utc(2026, 10, 30, 15), tick=False):
        page = client.get(
            "/dashboard/", {"from_date": "2026-11-02", "to_date": "2026-11-02"}
        ).content.decode()

    assert not Notification.objects.filter(case__reference="R-1").exists()
    assert Notification.objects.filter(case__reference="R-2").exists()
    r1 = page.split('data-case="R-1"')[1].split("</tr>")[0]
    r2 = page.split('data-case="R-2"')[1].split("</tr>")[0]
    assert "Call patient" in r1 and "(555) 765-4321" in r1  # shown as dialled in the clinic's country
    assert "Call patient" not in r2


def test_a_spanish_speaking_patient_gets_spanish_text_and_html(new_york):
    store(case_data(language="es"))

    sweep_at(utc(2026, 10, 26, 14, 5))

    [message] = mail.outbox
    assert message.subject == "Su procedimiento de columna del lunes 2 de noviembre: todavía faltan 2 datos"
    assert "Todavía no ha terminado sus preguntas de salud" in message.body
    assert "Díganos quién le llevará a casa." in message.body
    assert "lunes 2 de noviembre de 2026 a las 09:00" in message.body
    assert "Hágalo antes del viernes 30 de octubre a las 10:00." in message.body
    html = message.alternatives[0].content
    assert '<html lang="es">' in html and "Todavía no ha terminado" in html
    assert rows()[0].language == "es"


def test_the_day_before_message_gives_the_personal_times_and_attaches_the_calendar(new_york):
    store(case_data(**patient_done()))

    sweep_at(utc(2026, 11, 1, 20, 1))

    [message] = mail.outbox
    assert message.subject == "Tomorrow at 09:00: your spine procedure, and your times"
    body = message.body
    assert "Arrive by 08:00 on Monday 2 November." in body
    assert "stop at 01:00 on Monday 2 November" in body  # food: 8 h before
    assert "until 03:00 on Monday 2 November" in body  # clear liquids: 6 h before
    assert "You must not drive yourself home. Bo Lee should collect you at about 12:00." in body
    [(name, content, mimetype)] = message.attachments
    assert (name, mimetype) == ("appointment.ics", "text/calendar")
    ics = content.decode() if isinstance(content, bytes) else content
    assert "BEGIN:VEVENT" in ics and "DTSTART" in ics


def test_the_spanish_day_before_message_names_the_times_in_spanish(new_york):
    store(case_data(language="es", **patient_done()))

    sweep_at(utc(2026, 11, 1, 20, 1))

    body = mail.outbox[0].body
    assert "Llegue antes de las 08:00 del lunes 2 de noviembre." in body
    assert "Bo Lee debe recogerle hacia las 12:00." in body


def test_the_last_dose_day_message_names_the_medicine(new_york):
    store(
        case_data(
            medications=(cd.MedicationData("Eliquis 5mg"),),
            **patient_done(),
        )
    )
    sweep_at(utc(2026, 10, 29, 12, 2))  # Thursday 08:02 EDT
    assert mail.outbox == []  # no date reaches the patient before a clinician approves the plan

    store(
        case_data(
            medications=(cd.MedicationData("Eliquis 5mg"),),
            signoffs=plan("Eliquis 5mg"),
            **patient_done(),
        )
    )
    sweep_at(utc(2026, 10, 29, 12, 4))

    [message] = mail.outbox
    assert message.subject == "Take your last Eliquis 5mg today"
    assert "Today, Thursday 29 October, is the last day to take Eliquis 5mg" in message.body
    assert rows()[0].kind == "last_dose:apixaban"


def test_the_coordinators_are_told_once_when_the_intake_is_submitted(new_york, django_user_model):
    staff(django_user_model, "coord.a", "coordinator")
    staff(django_user_model, "coord.b", "coordinator")
    django_user_model.objects.create_user("no.mail").groups.add(Group.objects.get(name="coordinator"))
    submitted = utc(2026, 10, 20, 15, 30)
    store(case_data(**patient_done(submitted_at=submitted)))

    for minute in (31, 36, 41):
        sweep_at(submitted + dt.timedelta(minutes=minute))

    notices = [m for m in mail.outbox if m.subject.startswith("Intake submitted")]
    assert sorted(m.to[0] for m in notices) == ["coord.a@clinic.example", "coord.b@clinic.example"]
    assert "submitted the intake form on Tue 20 Oct 2026 11:30" in notices[0].body
    assert "Nothing is open" not in notices[0].body  # labs are still missing


def test_an_old_submission_is_not_announced_late(new_york, django_user_model):
    staff(django_user_model, "coord.a", "coordinator")
    store(case_data(**patient_done(submitted_at=utc(2026, 10, 20, 15, 30))))

    sweep_at(utc(2026, 10, 21, 4, 0))  # 12.5 h later

    assert not Notification.objects.filter(kind__startswith="intake_submitted").exists()


def test_a_failed_send_is_shown_and_retried_with_back_off_by_later_sweeps(new_york, monkeypatch):
    original = EmailMultiAlternatives.send

    def refuse(self, fail_silently=False):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)
    store(case_data())
    sweep_at(utc(2026, 10, 26, 14, 0))
    [row] = rows()
    assert (row.status, row.attempts, row.next_attempt_at) == ("failed", 1, utc(2026, 10, 26, 14, 5))
    assert "mail server down" in row.error

    sweep_at(utc(2026, 10, 26, 14, 4))  # still backing off
    row.refresh_from_db()
    assert row.attempts == 1

    monkeypatch.setattr(EmailMultiAlternatives, "send", original)
    sweep_at(utc(2026, 10, 26, 14, 5))
    row.refresh_from_db()
    assert (row.status, row.attempts, row.error) == ("sent", 2, "")
    assert len(mail.outbox) == 1


def test_a_failed_intake_invitation_is_retried_by_the_sweep(new_york):
    from notifications.services import notification_plan

    [case] = store(case_data())
    row = notification_plan(
        case=case,
        kind="intake_invitation",
        recipient="ann@example.org",
        subject="Your intake form",
        body_text="Open the link.",
        planned_at=utc(2026, 10, 1, 12),
    )
    Notification.objects.filter(pk=row.pk).update(
        status="failed", attempts=1, error="SMTP down", next_attempt_at=utc(2026, 10, 1, 12, 5)
    )

    sweep_at(utc(2026, 10, 1, 12, 6))

    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 2)
    assert mail.outbox[0].subject == "Your intake form"


def test_a_reminder_for_an_item_done_before_a_retry_is_dropped(new_york, monkeypatch):
    monkeypatch.setattr(EmailMultiAlternatives, "send", lambda self, fail_silently=False: 1 / 0)
    store(case_data())
    sweep_at(utc(2026, 10, 26, 14, 0))
    store(case_data(**patient_done()))  # the patient finishes everything

    sweep_at(utc(2026, 10, 26, 14, 10))

    [row] = rows()
    assert (row.status, row.error) == ("cancelled", STALE)


def test_the_reminder_time_is_the_clinics_to_change(new_york):
    NotificationSettings.objects.filter(pk=1).update(
        patient_reminder_time=dt.time(18, 30), patient_reminder_days="2"
    )
    store(case_data())

    sweep_at(utc(2026, 10, 26, 14, 5))
    sweep_at(utc(2026, 10, 31, 22, 31))  # Saturday 18:31 EDT

    assert [(row.kind, row.planned_at) for row in rows()] == [("reminder_2d", utc(2026, 10, 31, 22, 30))]


# --- Digests --------------------------------------------------------------------------------------


def digest_cases() -> None:
    done = patient_done()
    store(
        # Tomorrow 09:00: the patient owes the intake and a driver, both overdue; labs missing.
        case_data("SOON", start=utc(2026, 11, 3, 14), email=None, phone="+15557654321"),
        # Wednesday: only the coordinator (labs, driver confirmation) and a clinician (blood thinner plan).
        case_data("WED", start=utc(2026, 11, 4, 14), medications=(cd.MedicationData("Eliquis 5mg"),), **done),
        # Next week: outside the coordinator's 3 days, inside the clinician's 14.
        case_data("LATER", start=utc(2026, 11, 12, 14), medications=(cd.MedicationData("Plavix"),), **done),
    )


def test_the_coordinator_digest_groups_not_ready_cases_by_owner_and_marks_what_is_overdue(
    new_york, django_user_model
):
    staff(django_user_model, "coord.a", "coordinator")
    staff(django_user_model, "dr.iris", "clinician")
    digest_cases()

    sweep_at(utc(2026, 11, 2, 12, 2))  # Monday 07:02 EST

    [digest] = [m for m in mail.outbox if m.to == ["coord.a@clinic.example"] and "digest" in m.subject]
    body = digest.body
    assert digest.subject == "PrepDesk digest: 2 cases not ready by Thu 5 Nov 2026"
    patient, coordinator, clinician = (
        body.split("== Patient")[1].split("== Coordinator")[0],
        body.split("== Coordinator")[1].split("== Clinician")[0],
        body.split("== Clinician")[1],
    )
    assert "SOON" in patient and "WED" not in patient
    assert "no email or texts: call the patient on (555) 765-4321" in patient
    assert "OVERDUE blocker: The patient has not submitted the intake form." in patient
    assert "SOON" in coordinator and "WED" in coordinator and "No valid INR result" in coordinator
    assert "WED" in clinician and "Eliquis 5mg (apixaban)" in clinician
    assert "LATER" not in body
    assert '<h2 style="font-size: 20px;">Patient:' in digest.alternatives[0].content
    assert (
        Notification.objects.get(recipient="coord.a@clinic.example", kind="digest_coordinator").case is None
    )


def test_the_clinician_digest_lists_only_the_flags_a_clinician_clears(new_york, django_user_model):
    staff(django_user_model, "dr.iris", "clinician")
    digest_cases()

    sweep_at(utc(2026, 11, 2, 12, 2))
    sweep_at(utc(2026, 11, 2, 12, 7))

    [digest] = mail.outbox
    assert digest.to == ["dr.iris@clinic.example"]
    assert digest.subject == "PrepDesk: 2 items for a clinician, 1 overdue"  # the Eliquis plan
    assert "WED" in digest.body and "LATER" in digest.body and "Plavix (clopidogrel)" in digest.body
    assert "SOON" not in digest.body  # no clinician flag
    assert "INR" not in digest.body  # a coordinator's item


def test_no_digest_is_sent_when_there_is_nothing_to_report(new_york, django_user_model):
    staff(django_user_model, "coord.a", "coordinator")
    staff(django_user_model, "dr.iris", "clinician")

    sweep_at(utc(2026, 11, 2, 12, 2))

    assert mail.outbox == []


def test_yesterdays_digest_is_not_sent_in_the_evening(new_york, django_user_model):
    staff(django_user_model, "coord.a", "coordinator")
    digest_cases()

    sweep_at(utc(2026, 11, 3, 0, 30))  # Monday 19:30 EST: 12.5 h after 07:00

    assert mail.outbox == []


@pytest.mark.parametrize("count", [1, 30])
def test_a_digest_takes_the_same_number_of_queries_for_one_or_many_cases(
    new_york, django_assert_num_queries, count
):
    done = patient_done()
    store(
        *(
            case_data(f"Q-{i:03d}", start=utc(2026, 11, 3, 13) + dt.timedelta(hours=2 * i), **done)
            for i in range(count)
        )
    )
    settings_ = ReminderSettings.defaults()

    # The cases with their patient, appointment, room, intake and driver; medicines, allergies,
    # labs and sign-offs: five queries however many cases; how each patient can be reached (one
    # query); and the messages that may not have been sent (one query).
    with django_assert_num_queries(7):
        rendered = digest_render(
            "digest_coordinator", now=utc(2026, 11, 2, 12), config=new_york, settings=settings_
        )

    assert rendered is not None and rendered.text.count("  Q-0") == count  # one heading line per case


# Nothing new due: the clinic's rule data (4), the reminder times, the coordinators, the sends left
# "sending" too long (one UPDATE), the cases with what the engine reads (5), what is already
# stored, the drivers recorded lately (their own link), the queued rows to judge, and the sendable
# rows (a SELECT ... FOR UPDATE between a savepoint and its release) — whatever the number of cases.
IDLE_SWEEP_QUERIES = 18


@pytest.mark.parametrize("count", [1, 25])
def test_a_sweep_with_nothing_new_takes_the_same_number_of_queries_for_one_or_many_cases(
    new_york, django_user_model, django_assert_num_queries, count
):
    staff(django_user_model, "coord.a", "coordinator")
    done = patient_done()
    store(*(case_data(f"Q-{i:03d}", start=START + dt.timedelta(hours=2 * i), **done) for i in range(count)))

    with time_machine.travel(utc(2026, 10, 28, 0, 30), tick=False):  # Tuesday 20:30 EDT: nothing is due
        with django_assert_num_queries(IDLE_SWEEP_QUERIES):
            report = notifications_sweep()

    assert report.planned == report.enqueued == 0


def test_the_admin_edits_the_single_settings_row_and_cannot_add_another(notification_defaults, admin_client):
    page = admin_client.get("/admin/notifications/notificationsettings/1/change/")

    assert page.status_code == 200
    assert "A message not sent within this many hours of its planned time is dropped" in page.content.decode()
    assert admin_client.get("/admin/notifications/notificationsettings/add/").status_code == 403


def test_one_broken_case_does_not_hold_up_the_others_and_the_command_fails_loudly(new_york, monkeypatch):
    from django.core.management.base import CommandError

    from notifications import messages

    render = messages.render

    def broken_for_r1(template, language, context, tz):
        if context["case"].reference == "R-1":
            raise ValueError("template bug")
        return render(template, language, context, tz)

    monkeypatch.setattr(messages, "render", broken_for_r1)
    store(case_data(), case_data("R-2", start=START + dt.timedelta(hours=2), email="bo@example.org"))

    with time_machine.travel(utc(2026, 10, 26, 14, 3), tick=False), pytest.raises(CommandError):
        call_command("send_due_notifications")

    assert [m.to for m in mail.outbox] == [["bo@example.org"]]


def test_the_day_before_message_gives_premedication_times_only_once_prescribed(new_york):
    allergic = {"allergies": (cd.AllergyData("iodinated_contrast", "iohexol", "hives"),)}
    prescribed = cd.SignOffData("contrast_premedication_prescribed", "dr.iris", utc(2026, 10, 20))
    store(
        dataclasses.replace(case_data("R-1", **patient_done()), **allergic),
        dataclasses.replace(
            case_data("R-2", start=START + dt.timedelta(hours=2), email="bo@example.org", **patient_done()),
            signoffs=(prescribed,),
            **allergic,
        ),
    )

    sweep_at(utc(2026, 11, 1, 20, 1))

    bodies = {m.to[0]: m.body for m in mail.outbox}
    assert "Allergy medicine" not in bodies["ann@example.org"]
    # Start 11:00 EST: prednisone 13 h before is 22:00 the evening before, with a sip of water.
    assert (
        "Allergy medicine: prednisone 50 mg by mouth at 22:00 on Sunday 1 November, with a sip of water "
        "even after you have stopped drinking." in bodies["bo@example.org"]
    )


def test_the_outbox_names_each_kind_of_message_in_staff_words():
    assert (
        reminder_plan.kind_label(reminder_plan.reminder_kind(7)) == "Reminder: what is missing, 7 days before"
    )
    assert (
        reminder_plan.kind_label(reminder_plan.reminder_kind(1)) == "Reminder: what is missing, 1 day before"
    )
    assert reminder_plan.kind_label(reminder_plan.last_dose_kind("apixaban")) == "Last dose day: apixaban"
    assert reminder_plan.kind_label(reminder_plan.DAY_BEFORE) == "Day-before instructions"
