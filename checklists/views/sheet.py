"""The one-page printable case sheet and the appointment's calendar file."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Alarm, Calendar, Event

from checklists import rules, services
from checklists.casedata import ALLERGY_CATEGORY_LABELS
from checklists.catalog import load_rule_config
from checklists.selectors import case_to_data
from checklists.views.common import case_or_404, staff_required


def _sheet_context(case) -> dict:
    """Everything the sheet prints, computed once by the readiness engine."""
    config = load_rule_config()
    data = case_to_data(case)
    ctx = rules.build_context(data, config, timezone.now())
    flags = rules.flags_for(ctx)
    premedication = [dose for dose in rules.premedication_for(ctx) if dose.at is not None]
    return {
        "case": case,
        "data": data,
        "timeline": ctx.timeline,
        "stops": rules.medicine_stops(ctx),
        "allergies": [(a, ALLERGY_CATEGORY_LABELS[a.category]) for a in data.allergies],
        "premedication": premedication,
        "premedication_prescribed": "contrast_premedication_prescribed" in ctx.signoffs,
        "flags": flags,
        "room": getattr(case, "appointment", None) and case.appointment.room,
        "clinic_name": settings.CLINIC_NAME,
        "printed_at": ctx.as_of,
    }


@staff_required
def case_sheet(request, case_uuid):
    case = case_or_404(case_uuid)
    services.access_log_record(request=request, action="case.sheet", case=case)
    return render(request, "checklists/sheet/sheet.html", _sheet_context(case))


@staff_required
def case_ics(request, case_uuid):
    case = case_or_404(case_uuid)
    ctx = rules.build_context(case_to_data(case), load_rule_config(), timezone.now())
    if ctx.timeline is None:
        raise Http404("This case is not scheduled yet.")
    services.access_log_record(request=request, action="case.ics", case=case)
    return _ics_response(case, ctx)


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
    event.add("summary", f"{case.get_kind_display()} at {settings.CLINIC_NAME}")
    event.add("dtstart", timeline.arrival_at)
    event.add("dtend", timeline.pickup_at)
    event.add(
        "location", ", ".join(part for part in (room.name, room.location, settings.CLINIC_NAME) if part)
    )
    local = timezone.localtime
    event.add(
        "description",
        f"Arrive by {local(timeline.arrival_at):%H:%M}. "
        f"No food, milk or juice after {local(timeline.food_stop_at):%a %d %b %H:%M}. "
        "Clear liquids and usual medicines with sips of water until "
        f"{local(timeline.clear_liquids_stop_at):%H:%M}. "
        f"Your driver should collect you at about {local(timeline.pickup_at):%H:%M}.",
    )
    event.add_component(
        _alarm(
            dt.timedelta(days=-1), "Tomorrow: your spine procedure. Check your fasting and medicine times."
        )
    )
    event.add_component(
        _alarm(timeline.food_stop_at - timeline.arrival_at, "Stop eating now (clear liquids are still fine).")
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
            text = _("Allergy medicine now: %(drug)s, with a sip of water.") % {"drug": dose.drug}
            event.add_component(_alarm(dose.at.astimezone(dt.UTC), text))
    calendar = Calendar()
    calendar.add("prodid", "-//PrepDesk//Case appointment//EN")
    calendar.add("version", "2.0")
    calendar.add_component(event)
    return calendar.to_ical()


def _ics_response(case, ctx: rules.Context) -> HttpResponse:
    response = HttpResponse(appointment_calendar(case, ctx), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="appointment-{case.reference}.ics"'
    return response


urlpatterns = [
    path("cases/<uuid:case_uuid>/sheet/", case_sheet, name="case_sheet"),
    path("cases/<uuid:case_uuid>/appointment.ics", case_ics, name="case_ics"),
]
