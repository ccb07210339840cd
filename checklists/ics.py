"""The appointment as an iCalendar file.

`appointment_calendar` is the patient's: from arrival to pickup, with their alarms (the patient's
download, worded in their language by the intake app, and the day-before email's attachment).
`staff_calendar` is the staff's download: the procedure slot, naming the patient and the case,
with its own UID so it never replaces the patient's event in a shared calendar.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from icalendar import Alarm, Calendar, Event

from checklists import rules
from checklists.wording import clock_text
from checklists.wording.patient import moment_words

# Calendar alarms for a last-dose day ring at this local time (hours-based holds: at the time).
LAST_DOSE_ALARM_TIME = dt.time(8, 0)


def _alarm(trigger, text: str) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", text)
    alarm.add("trigger", trigger)
    return alarm


def appointment_calendar(case, ctx: rules.Context) -> bytes:
    """An iCalendar file: the visit from arrival to pickup; alarms the day before, at food stop,
    on each last-dose day the patient has been given, and at each prescribed premedication dose."""
    timeline = ctx.timeline
    room = case.appointment.room
    event = Event()
    event.add("uid", f"{case.uuid}@prepdesk")
    event.add("dtstamp", timezone.now())
    event.add("summary", _("Spine procedure at %(clinic)s") % {"clinic": settings.CLINIC_NAME})
    event.add("dtstart", timeline.arrival_at)
    event.add("dtend", timeline.pickup_at)
    event.add(
        "location", ", ".join(part for part in (room.name, room.location, settings.CLINIC_NAME) if part)
    )
    event.add(
        "description",
        _(
            "Arrive by %(arrival)s. Stop eating (no food, milk or juice) at %(food)s. Clear liquids and "
            "your usual medicines with sips of water until %(liquids)s. Your driver should collect you "
            "at about %(pickup)s."
        )
        % {
            "arrival": clock_text(timeline.arrival_at, ctx.tz),
            "food": moment_words(timeline.food_stop_at, ctx.tz),
            "liquids": moment_words(timeline.clear_liquids_stop_at, ctx.tz),
            "pickup": clock_text(timeline.pickup_at, ctx.tz),
        },
    )
    event.add_component(
        _alarm(
            dt.timedelta(days=-1), _("Tomorrow: your spine procedure. Check your food and medicine times.")
        )
    )
    event.add_component(
        _alarm(
            timeline.food_stop_at - timeline.arrival_at,
            _("Stop eating now. Clear liquids are still fine for a few hours."),
        )
    )
    for stop in rules.medicine_stops(ctx):
        if stop.last_dose_at is not None:
            at = stop.last_dose_at
        elif stop.last_dose_on is not None:
            at = dt.datetime.combine(stop.last_dose_on, LAST_DOSE_ALARM_TIME, tzinfo=ctx.tz)
        else:
            continue
        text = _("Last dose of %(name)s before your procedure: take it today, then stop.") % {
            "name": stop.medication.name
        }
        event.add_component(_alarm(at.astimezone(dt.UTC), text))
    if "contrast_premedication_prescribed" in ctx.signoffs:
        for dose in rules.premedication_for(ctx):
            text = _("Allergy medicine now: %(drug)s, with a sip of water.") % {
                "drug": dose.drug_in(get_language())
            }
            event.add_component(_alarm(dose.at.astimezone(dt.UTC), text))
    calendar = Calendar()
    calendar.add("prodid", "-//PrepDesk//Case appointment//EN")
    calendar.add("version", "2.0")
    calendar.add_component(event)
    return calendar.to_ical()


def staff_calendar(case, ctx: rules.Context, site: str) -> bytes:
    """An iCalendar file for staff: the procedure slot in its room, the patient and case named,
    arrival and pickup in the description; no patient alarms."""
    timeline = ctx.timeline
    room = case.appointment.room
    patient = case.patient
    event = Event()
    event.add("uid", f"{case.uuid}-staff@prepdesk")
    event.add("dtstamp", timezone.now())
    levels = ", ".join(case.levels)
    event.add("summary", f"{case.get_kind_display()} {levels}: {patient.last_name}, {patient.first_name}")
    event.add("dtstart", timeline.start)
    event.add("dtend", timeline.end)
    event.add("location", ", ".join(part for part in (room.name, room.location) if part))
    event.add(
        "description",
        f"Case {case.reference}. Patient arrives {clock_text(timeline.arrival_at, ctx.tz)}; "
        f"procedure {clock_text(timeline.start, ctx.tz)}–{clock_text(timeline.end, ctx.tz)}; "
        f"driver collects about {clock_text(timeline.pickup_at, ctx.tz)}. "
        f"Case page: {site}{reverse('checklists:case_detail', args=[case.uuid])}",
    )
    calendar = Calendar()
    calendar.add("prodid", "-//PrepDesk//Staff case slot//EN")
    calendar.add("version", "2.0")
    calendar.add_component(event)
    return calendar.to_ical()
