"""What every patient view shares: the verified link in the session, the patient's language, the
verified-patient decorator and the page frame (step number, title, back link).

The case always comes from the session's verified link, never from the URL, so a patient can
reach only their own case.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from checklists.catalog import RuleConfig
from checklists.models import Case
from checklists.selectors.catalogue import load_rule_config
from checklists.services.access_log import access_log_record
from intake import forms, selectors, services, steps
from intake.models import IntakeLink
from intake.selectors import SESSION_LANGUAGE, SESSION_LINK, SESSION_VERIFIED


def language_for(request: HttpRequest, patient=None) -> str:
    """The language chosen on these pages, else the patient's, else the browser's."""
    chosen = request.session.get(SESSION_LANGUAGE)
    if chosen in forms.LANGUAGE_NAMES:
        return chosen
    if patient is not None:
        return patient.language
    return translation.get_language_from_request(request) or settings.LANGUAGE_CODE


def activate(request: HttpRequest, language: str) -> None:
    translation.activate(language)
    request.LANGUAGE_CODE = language


def session_link(request: HttpRequest) -> IntakeLink | None:
    return selectors.link_by_id(request.session.get(SESSION_LINK))


def forget(request: HttpRequest) -> None:
    for key in (SESSION_LINK, SESSION_VERIFIED):
        request.session.pop(key, None)


def resume_url(case: Case) -> str:
    """Where a returning patient continues: the confirmation once submitted, else their step."""
    intake = getattr(case, "intake", None)
    if intake is not None and intake.submitted_at is not None:
        return reverse("intake:done")
    progress = getattr(case, "intake_progress", None)
    return steps.url(progress.step if progress else 1)


@dataclass
class PatientSession:
    """What every verified patient view receives: the link, its case, the moment, the rules."""

    link: IntakeLink
    case: Case
    now: dt.datetime
    config: RuleConfig

    @property
    def intake(self):
        return getattr(self.case, "intake", None)

    @property
    def progress(self):
        return getattr(self.case, "intake_progress", None)

    @property
    def furthest_step(self) -> int:
        return self.progress.furthest_step if self.progress else 1

    @property
    def submitted(self) -> bool:
        return self.intake is not None and self.intake.submitted_at is not None

    @property
    def versions(self) -> dict:
        return {"version": self.case.version, "intake_version": self.intake.version if self.intake else 0}

    def reload(self) -> None:
        self.case = selectors.patient_case(self.case.pk)


def patient_view(view: Callable) -> Callable:
    """Only with a verified, working link; the case is the link's. Logged as a view of the case
    (`intake.<name>`, the step's URL name for a step)."""

    @never_cache
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        link = session_link(request)
        now = timezone.now()
        if (
            link is None
            or request.session.get(SESSION_VERIFIED) != link.pk
            or selectors.link_state(link, now) != selectors.ACTIVE
        ):
            if request.htmx:
                response = HttpResponse(status=204)
                response["HX-Redirect"] = reverse("intake:start")
                return response
            return redirect("intake:start")
        case = selectors.patient_case(link.case_id)
        activate(request, language_for(request, case.patient))
        services.link_touch(link=link, now=now)
        name = steps.step(kwargs["number"]).url_name if "number" in kwargs else view.__name__
        access_log_record(request=request, action=f"intake.{name}", case=case)
        patient = PatientSession(link=link, case=case, now=now, config=load_rule_config())
        return view(request, patient, *args, **kwargs)

    return wrapped


def page(
    request: HttpRequest, p: PatientSession, template: str, number: int | None, **context
) -> HttpResponse:
    """A patient page in the intake's frame: step number and title, progress, back link."""
    return render(
        request,
        template,
        {
            "case": p.case,
            "patient": p.case.patient,
            "step": number,
            "step_count": steps.STEP_COUNT,
            "step_title": steps.step(number).title if number else None,
            "submitted": p.submitted,
            "clinic_name": settings.CLINIC_NAME,
            "clinic_phone": settings.CLINIC_PHONE,
            "back_url": steps.url(number - 1) if number and number > 1 else None,
            **context,
        },
    )


def conflict_message() -> str:
    return _("Someone at the clinic updated your details just now. Please check this page and save again.")


def closed(request: HttpRequest) -> HttpResponse:
    """Answers can no longer change here: say why and show the confirmation page."""
    messages.info(
        request,
        _(
            "Your answers are with the clinic and your appointment is less than %(hours)s hours away, "
            "so they can no longer be changed here. If something has changed, please call the clinic "
            "on %(phone)s."
        )
        % {"hours": settings.INTAKE_EDIT_CLOSES_HOURS, "phone": settings.CLINIC_PHONE},
    )
    return redirect("intake:done")


def go(request: HttpRequest, p: PatientSession, number: int, changed: bool) -> HttpResponse:
    """After a save: remember where the patient is and continue there."""
    number = max(1, min(steps.STEP_COUNT, number))
    services.progress_record(case=p.case, step=number)
    if changed and p.submitted:
        messages.info(request, _("Your change is saved. Please send your answers again on the last step."))
    return redirect(steps.url(number))
