"""After submitting: the confirmation page, the printable instructions and the calendar file."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from checklists import rules
from checklists.ics import appointment_calendar
from checklists.selectors.cases import case_to_data
from checklists.wording.patient import day_words, moment_words
from intake import services
from intake.steps import instructions_context
from intake.views.session import PatientSession, page, patient_view, resume_url


@patient_view
@require_GET
def done(request: HttpRequest, p: PatientSession) -> HttpResponse:
    if not p.submitted:
        return redirect(resume_url(p.case))
    closed = services.edits_closed(case=p.case, now=p.now)
    appointment = getattr(p.case, "appointment", None)
    return page(
        request,
        p,
        "intake/done.html",
        None,
        closed=closed,
        driver=getattr(p.case, "driver", None),
        edit_until=(
            moment_words(
                appointment.start - dt.timedelta(hours=settings.INTAKE_EDIT_CLOSES_HOURS), p.config.time_zone
            )
            if appointment is not None and appointment.is_active
            else ""
        ),
        **instructions_context(p),
    )


@patient_view
@require_GET
def instructions_print(request: HttpRequest, p: PatientSession) -> HttpResponse:
    return page(
        request,
        p,
        "intake/instructions_print.html",
        None,
        driver=getattr(p.case, "driver", None),
        printed_on=day_words(p.now.astimezone(p.config.time_zone).date()),
        **instructions_context(p),
    )


@patient_view
@require_GET
def calendar(request: HttpRequest, p: PatientSession) -> HttpResponse:
    """The appointment for the patient's calendar, worded in their language."""
    ctx = rules.build_context(case_to_data(p.case), p.config, p.now)
    if ctx.timeline is None:
        raise Http404("Not scheduled.")
    response = HttpResponse(appointment_calendar(p.case, ctx), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="appointment.ics"'
    return response
