"""Booking a room for a case: one slot per room at a time."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction

from checklists import rules
from checklists.catalog import RuleConfig
from checklists.models import (
    Appointment,
    Case,
    Room,
)
from checklists.selectors.cases import appointment_clash
from checklists.wording import slot_text


class SlotTaken(Exception):
    """The room is booked at that time; the message names the other case's time."""


def _clash_message(clash: Appointment, config: RuleConfig) -> str:
    return (
        f"{clash.room} is already booked {slot_text(clash.start, clash.end, config.time_zone)} "
        f"({clash.case.reference})."
    )


def appointment_book(*, case: Case, room: Room, start: dt.datetime, config: RuleConfig) -> Appointment:
    """Book (or move) the case's slot; refuses an overlap in the same room."""
    end = rules.procedure_times(start, len(case.levels), config).end
    with transaction.atomic():
        # Lock the room: a concurrent booking for it waits here until we commit (PostgreSQL);
        # on SQLite the IMMEDIATE transaction already serialises every writer.
        room = Room.objects.select_for_update().get(pk=room.pk)
        clash = appointment_clash(room=room, start=start, end=end, exclude_references=[case.reference])
        if clash is not None:
            raise SlotTaken(_clash_message(clash, config))
        appointment = Appointment.objects.filter(case=case).first() or Appointment(case=case)
        appointment.room, appointment.start, appointment.end, appointment.is_active = room, start, end, True
        appointment.full_clean(validate_unique=False)
        try:
            with transaction.atomic():
                appointment.save()
        except IntegrityError as exc:  # PostgreSQL's exclusion constraint: the last line of defence
            raise SlotTaken(f"{room} is already booked at that time.") from exc
    return appointment
