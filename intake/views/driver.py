"""The driver's own page, `/d/<token>/`: who named them, the day, where and when to collect the
patient, and two answers ("Yes, I'll drive" / "I can't").

The link opens this one page of one case and shows nothing else of the record. It works while the
case is scheduled, until the end of the procedure day; an answer can be changed until the
coordinator must know (DRIVER_UNCONFIRMED's deadline, start - 24 h by default), then only by
phoning the clinic. "I can't" tells every coordinator at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from checklists import rules
from checklists.catalog import RuleConfig
from checklists.driver_links import token_driver_pk, token_matches
from checklists.models import Case, Driver
from checklists.selectors.catalogue import load_rule_config
from checklists.services.access_log import access_log_record
from checklists.services.case_page import DriverAnswerClosed, driver_answer
from checklists.site import site_url
from intake.services import coordinators_notice_plan, notifications_send_now
from intake.views.session import activate, language_for
from notifications.reminder_plan import DRIVER_DECLINED_NOTICE

YES, NO = "yes", "no"


@dataclass(frozen=True)
class DriverVisit:
    """What the page may say: the driver, who named them, and the appointment's times."""

    driver: Driver
    timeline: rules.Timeline
    change_until: dt.datetime  # an answer may change before this
    tz: dt.tzinfo

    @property
    def patient_name(self) -> str:
        """First name and the initial of the last: enough to find them at the desk, no more."""
        patient = self.driver.case.patient
        return f"{patient.first_name} {patient.last_name[:1]}."

    @property
    def answer(self) -> str:
        if self.driver.confirmed_at is not None:
            return YES
        return NO if self.driver.declined_at is not None else ""


def _visit(token: str, now: dt.datetime, config: RuleConfig) -> DriverVisit | None:
    """The driver a working link names, or None (unknown, changed driver, or expired)."""
    pk = token_driver_pk(token)
    if pk is None:
        return None
    driver = Driver.objects.select_related("case__patient", "case__appointment__room").filter(pk=pk).first()
    if driver is None or not token_matches(token, driver):
        return None
    case = driver.case
    appointment = getattr(case, "appointment", None)
    if case.status != Case.Status.SCHEDULED or appointment is None or not appointment.is_active:
        return None
    timeline = rules.procedure_times(appointment.start, len(case.levels), config)
    tz = config.time_zone
    day_after = dt.datetime.combine(timeline.procedure_day + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    if now >= day_after:
        return None  # expired after the procedure day
    hours = config.deadlines.get("DRIVER_UNCONFIRMED", 24)
    return DriverVisit(driver, timeline, timeline.start - dt.timedelta(hours=hours), tz)


@never_cache
@require_http_methods(["GET", "POST"])
def driver_page(request: HttpRequest, token: str) -> HttpResponse:
    now, config = timezone.now(), load_rule_config()
    activate(request, language_for(request))
    visit = _visit(token, now, config)
    if visit is None:
        return render(
            request,
            "intake/driver/not_working.html",
            {"clinic_name": settings.CLINIC_NAME, "clinic_phone": settings.CLINIC_PHONE},
            status=404,
        )
    # Logged like the patient's own pages, without the token (the log must not hold working links).
    access_log_record(request=request, action="driver.link", case=visit.driver.case, path="/d/…/")
    error = ""
    if request.method == "POST":
        choice = request.POST.get("answer")
        if choice not in (YES, NO):
            raise Http404("No such answer")
        try:
            changed = driver_answer(
                driver=visit.driver,
                will_drive=choice == YES,
                now=now,
                change_until=visit.change_until,
                config=config,
            )
        except DriverAnswerClosed:
            error = "closed"
        else:
            if changed and choice == NO:
                _tell_coordinators(visit, now)
            return redirect(reverse("intake:driver_link", args=[token]) + "?answered=1")
    with timezone.override(visit.tz):  # the clinic's clock, whatever the server's zone
        return _page(request, visit, now, error)


def _page(request: HttpRequest, visit: DriverVisit, now: dt.datetime, error: str) -> HttpResponse:
    return render(
        request,
        "intake/driver/page.html",
        {
            "visit": visit,
            "room": visit.driver.case.appointment.room,
            "can_change": now < visit.change_until,
            "just_answered": request.GET.get("answered") == "1",
            "error": error,
            "clinic_name": settings.CLINIC_NAME,
            "clinic_phone": settings.CLINIC_PHONE,
        },
    )


def _tell_coordinators(visit: DriverVisit, now: dt.datetime) -> None:
    """An email to every coordinator, sent now: the patient needs another driver."""
    case = visit.driver.case
    context = {
        "case": case,
        "driver": visit.driver,
        "start": visit.timeline.start,
        "clinic_name": settings.CLINIC_NAME,
        "case_url": f"{site_url()}{reverse('checklists:case_detail', args=[case.uuid])}",
    }
    with translation.override("en"), timezone.override(visit.tz):  # staff emails are in English
        subject = f"Driver can't drive: case {case.reference}"
        body = render_to_string("intake/email/driver_declined.txt", context)
    ids = coordinators_notice_plan(
        case=case, kind=DRIVER_DECLINED_NOTICE, subject=subject, body=body, now=now
    )
    notifications_send_now(ids)
