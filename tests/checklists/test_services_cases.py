"""Booking rooms without double booking, and edits that cannot silently overwrite each other."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import IntegrityError, connection, connections

from checklists.models import Appointment, Case, Room
from checklists.services.booking import SlotTaken, appointment_book
from checklists.services.cases import case_cancel, case_create, case_update
from checklists.services.edits import StaleEdit
from tests.factories import RoomFactory

UTC = dt.UTC
START = dt.datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
PATIENT = {"first_name": "Ann", "last_name": "Lee", "date_of_birth": dt.date(1950, 1, 1)}


def new_case(config, *, levels=("L1",), room=None, start=None, reference="") -> Case:
    return case_create(
        patient=PATIENT,
        procedure={"levels": list(levels), "kind": "vertebroplasty", "anesthesia": "local_sedation"},
        room=room,
        start=start,
        config=config,
        reference=reference,
    )


@pytest.fixture
def room(db) -> Room:
    return RoomFactory()


def test_a_case_with_a_room_and_start_is_scheduled_and_its_end_follows_the_levels(config, room):
    case = new_case(config, levels=("T12", "L1", "L2"), room=room, start=START)

    assert case.status == Case.Status.SCHEDULED
    assert case.appointment.end == START + dt.timedelta(hours=3)
    assert case.reference.startswith("PD-")


@pytest.mark.usefixtures("utc_clinic")
def test_booking_an_overlapping_slot_is_refused_with_the_other_cases_time(config, room):
    new_case(config, levels=("L1", "L2"), room=room, start=START, reference="FIRST")

    with pytest.raises(SlotTaken, match=r"IR Suite 1 is already booked Mon 7 Dec 2026 09:00–11:00 \(FIRST\)"):
        new_case(config, room=room, start=START + dt.timedelta(hours=1))
    assert Case.objects.count() == 1  # the refused case was not half-written


def test_a_case_may_start_when_the_previous_one_ends(config, room):
    new_case(config, room=room, start=START)
    second = new_case(config, room=room, start=START + dt.timedelta(hours=1))

    assert second.status == Case.Status.SCHEDULED


def test_cancelling_a_case_frees_its_slot(config, room):
    first = new_case(config, room=room, start=START)
    case_cancel(case=first, version=first.version, config=config)

    second = new_case(config, room=room, start=START)

    assert second.appointment.is_active
    assert Case.objects.get(pk=first.pk).status == Case.Status.CANCELLED


def test_rescheduling_into_its_own_slot_is_not_an_overlap(config, room):
    case = new_case(config, levels=("L1", "L2"), room=room, start=START)

    case_update(
        case=case,
        version=case.version,
        patient=PATIENT,
        procedure={"levels": ["L1"]},
        room=room,
        start=START + dt.timedelta(minutes=30),
        config=config,
    )

    assert Appointment.objects.get(case=case).end == START + dt.timedelta(minutes=90)


def test_the_second_of_two_edits_from_the_same_version_is_refused_and_not_written(
    config, room, django_user_model
):
    case = new_case(config, room=room, start=START)
    read_version = case.version
    first_view, second_view = Case.objects.get(pk=case.pk), Case.objects.get(pk=case.pk)

    case_update(
        case=first_view, version=read_version, patient={"first_name": "Anne"}, procedure={},
        room=room, start=START, config=config,
    )  # fmt: skip
    with pytest.raises(StaleEdit, match="changed by .* at .* reload"):
        case_update(
            case=second_view, version=read_version, patient={"first_name": "Annie"}, procedure={},
            room=room, start=START, config=config,
        )  # fmt: skip

    assert Case.objects.get(pk=case.pk).patient.first_name == "Anne"


@pytest.mark.django_db(transaction=True)
def test_two_people_booking_the_same_slot_at_once_get_exactly_one_booking(config):
    """Two threads, two connections, one room and time. On PostgreSQL the room row lock (and the
    exclusion constraint) decide; on SQLite the IMMEDIATE transaction serialises the writers."""
    room = RoomFactory(name="IR Suite 9")
    cases = [new_case(config, reference=f"RACE-{i}") for i in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def book(case: Case) -> None:
        try:
            barrier.wait(timeout=10)
            appointment_book(case=case, room=room, start=START, config=config)
            outcomes.append("booked")
        except SlotTaken:
            outcomes.append("refused")
        except Exception as exc:  # anything else is a failure the assertion should show
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=book, args=(case,)) for case in cases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["booked", "refused"]
    assert Appointment.objects.filter(room=room, is_active=True).count() == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="exclusion constraints exist only on PostgreSQL"
)
def test_postgresql_itself_refuses_overlapping_appointments_in_one_room(config, room):
    """Runs when DATABASE_URL points at PostgreSQL (CI does): the database, not only the service,
    refuses an overlap written behind the service's back."""
    first, second = new_case(config, reference="A"), new_case(config, reference="B")
    Appointment.objects.create(case=first, room=room, start=START, end=START + dt.timedelta(hours=2))

    with pytest.raises(IntegrityError):
        Appointment.objects.create(case=second, room=room, start=START + dt.timedelta(hours=1),
                                   end=START + dt.timedelta(hours=2))  # fmt: skip
