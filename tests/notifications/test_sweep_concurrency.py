"""At most once under concurrency, and the database task backend end to end.

These tests commit for real (`transaction=True`), so two sweeps in two threads, each with its
own database connection, really race. They run on SQLite (IMMEDIATE transactions, one writer at a
time) and, when DATABASE_URL points at PostgreSQL (CI does), on PostgreSQL, where the outbox's
unique constraints and SELECT ... FOR UPDATE SKIP LOCKED are what keep each message single.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from checklists import casedata as cd
from notifications.models import Notification
from notifications.sweep import notifications_sweep
from tests.notifications.test_reminders import (  # noqa: F401 - fixtures
    START,
    case_data,
    new_york,
    notification_defaults,
    patient_done,
    staff,
    store,
    sweep_at,
    utc,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("new_york")]
DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def race(moment: dt.datetime, sweeps: int = 2) -> list[BaseException]:
    """Run `sweeps` sweeps at the same instant, each in its own thread and database connection."""
    barrier = threading.Barrier(sweeps)
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            barrier.wait(timeout=10)
            notifications_sweep()
        except BaseException as exc:  # reported to the test below
            errors.append(exc)
        finally:
            connection.close()

    with time_machine.travel(moment, tick=False):
        threads = [threading.Thread(target=sweep) for _ in range(sweeps)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    return errors


def test_two_sweeps_at_once_send_each_message_once(django_user_model):
    staff(django_user_model, "coord.a", "coordinator")
    staff(django_user_model, "dr.iris", "clinician")
    store(
        *(
            case_data(f"R-{i}", start=START + dt.timedelta(hours=2 * i), email=f"p{i}@example.org")
            for i in range(4)
        ),
        case_data(
            "MEDS",
            start=START + dt.timedelta(hours=9),
            # Eliquis's plan is approved (its last-dose message goes out); Ozempic awaits a clinician.
            medications=(cd.MedicationData("Eliquis"), cd.MedicationData("Ozempic")),
            signoffs=(
                cd.SignOffData(
                    "anticoagulant_plan_approved",
                    "dr.iris",
                    utc(2026, 10, 1),
                    medication="Eliquis",
                    for_start=START + dt.timedelta(hours=9),
                ),
            ),
        ),
    )

    moments = (
        utc(2026, 10, 26, 14, 1),  # 7-day reminders
        utc(2026, 10, 29, 12, 1),  # Eliquis: last dose today
        utc(2026, 11, 1, 12, 1),  # the digests (07:01 EST)
        utc(2026, 11, 1, 20, 1),  # day-before messages (and the 1-day reminders, still in their window)
    )
    for moment in moments:
        assert race(moment) == []

    # Every email comes from one outbox row, and a row can be sent only once: as many emails as rows.
    assert len(mail.outbox) == Notification.objects.filter(status="sent").count()
    kinds = Counter(Notification.objects.values_list("kind", flat=True))
    assert kinds["reminder_7d"] == kinds["reminder_1d"] == kinds["day_before"] == 5
    assert kinds["last_dose:apixaban"] == 1
    # The clinician's digest looks 14 days ahead (one on each of the three mornings swept), the
    # coordinator's 3 days (only on 1 November).
    assert (kinds["digest_clinician"], kinds["digest_coordinator"]) == (3, 1)
    assert len(mail.outbox) == sum(kinds.values()) == 20
    assert not Notification.objects.exclude(status="sent").exists()


def test_two_sweeps_at_once_text_each_patient_and_driver_once(django_user_model, sms_outbox):
    """Texts keep the outbox's promise too: patients who chose texts and email get each message once
    by each way, and a newly recorded driver gets their link once."""
    from checklists.models import Patient

    recorded = utc(2026, 10, 26, 13, 30)
    with time_machine.travel(recorded, tick=False):
        store(
            *(
                case_data(
                    f"T-{i}",
                    start=START + dt.timedelta(hours=2 * i),
                    driver=cd.DriverData(f"Driver {i}", f"+1212555{i:04d}"),
                )
                for i in range(3)
            )
        )
    for i, patient in enumerate(Patient.objects.order_by("last_name")):
        phone = f"+1646555{i:04d}"
        Patient.objects.filter(pk=patient.pk).update(
            phone=phone, message_channel="both", sms_confirmed_phone=phone
        )

    assert race(utc(2026, 10, 26, 14, 1), sweeps=3) == []  # 7-day reminders; the drivers' links

    texts = Counter(text.to for text in sms_outbox)
    assert len(texts) == 6 and set(texts.values()) == {1}  # three patients, three drivers, once each
    assert len(mail.outbox) == 3  # the reminders by email too
    kinds = Counter(Notification.objects.filter(channel="sms").values_list("kind", flat=True))
    assert kinds == {"reminder_7d": 3, "driver_link": 3}


def test_the_database_backend_queues_the_sends_and_a_worker_delivers_each_once(settings):
    settings.TASKS = DATABASE_BACKEND
    store(
        case_data(),
        case_data("R-2", start=START + dt.timedelta(hours=2), email="bo@example.org", **patient_done()),
    )

    first = sweep_at(utc(2026, 11, 1, 20, 1))
    again = sweep_at(utc(2026, 11, 1, 20, 2))  # a task is queued: not queued again within the lease

    assert (first.planned, first.enqueued, again.enqueued) == (3, 3, 0)  # 1-day reminder + 2 day-before
    assert DBTaskResult.objects.count() == 3 and mail.outbox == []
    with time_machine.travel(utc(2026, 11, 1, 20, 3), tick=False):
        run_worker()
        run_worker()  # nothing left to do

    assert len(mail.outbox) == 3
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}
    [day_before] = [
        m for m in mail.outbox if m.to == ["ann@example.org"] and m.subject.startswith("Tomorrow")
    ]
    assert day_before.attachments[0][0] == "appointment.ics"


def test_a_lost_task_is_queued_again_after_the_lease(settings):
    settings.TASKS = DATABASE_BACKEND
    store(case_data())
    sweep_at(utc(2026, 10, 26, 14, 1))
    DBTaskResult.objects.all().delete()  # the queue lost it (or a worker died holding it)

    assert sweep_at(utc(2026, 10, 26, 14, 6)).enqueued == 0
    assert sweep_at(utc(2026, 10, 26, 14, 11)).enqueued == 1
    with time_machine.travel(utc(2026, 10, 26, 14, 12), tick=False):
        run_worker()

    assert len(mail.outbox) == 1


def run_worker() -> None:
    """What `manage.py db_worker --batch` does, without installing its signal handlers in pytest."""
    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    ).run()


def test_two_workers_sending_the_same_row_at_once_send_it_once():
    from notifications.services import notification_plan, notification_send

    row = notification_plan(
        case=None,
        kind="digest_coordinator",
        recipient="coord@clinic.example",
        subject="Digest",
        body_text="Two cases need you.",
        planned_at=utc(2026, 11, 2, 12),
    )
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def send() -> None:
        try:
            barrier.wait(timeout=10)
            notification_send(notification_id=row.pk)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 1)
