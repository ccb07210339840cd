"""Booking a room for a case: one slot per room at a time."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from checklists import rules
from checklists.casedata import outside_appointment_window
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
    """Book (or move) the case's slot; refuses an overlap in the same room, and a start no clinic
    could mean (casedata.appointment_window)."""
    today = timezone.now().astimezone(config.time_zone).date()
    problem = outside_appointment_window(start.astimezone(config.time_zone).date(), today)
    if problem:
        raise ValidationError({"start": f"The start {problem}."})
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
