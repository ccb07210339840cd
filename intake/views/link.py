"""Opening the link and the date-of-birth check, and the language switch.

The link's token is in exactly one URL (`/i/<token>/`), which moves it into the session and
redirects to `/intake/` (a URL without the token, so it never leaks through the Referer header).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from checklists.site import site_url
from intake import forms, selectors, services
from intake.models import IntakeLink
from intake.selectors import SESSION_LANGUAGE, SESSION_LINK, SESSION_VERIFIED
from intake.views.session import (
    activate,
    forget,
    language_for,
    resume_url,
    session_link,
)


def _not_working(request: HttpRequest) -> HttpResponse:
    """One page for an unknown, expired, revoked or closed link: it says nothing about the case."""
    forget(request)
    activate(request, language_for(request))
    return render(request, "intake/link_not_working.html", {"clinic_phone": settings.CLINIC_PHONE})


def _locked(request: HttpRequest, link: IntakeLink) -> HttpResponse:
    activate(request, language_for(request, link.case.patient))
    return render(request, "intake/locked.html", {"clinic_phone": settings.CLINIC_PHONE})


@never_cache
@require_GET
def open_link(request: HttpRequest, token: str) -> HttpResponse:
    """Move the token into the session, then continue at a URL without it."""
    link = selectors.link_by_token_hash(services.token_hash(token))
    # A new session key: whatever this browser held before, this link starts afresh.
    request.session.cycle_key()
    now = timezone.now()
    if link is not None and selectors.link_state(link, now) in (selectors.ACTIVE, selectors.LOCKED):
        if request.session.get(SESSION_LINK) != link.pk:
            request.session.pop(SESSION_VERIFIED, None)
        request.session[SESSION_LINK] = link.pk
    else:
        forget(request)
    return redirect("intake:start")


@never_cache
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """The date-of-birth check, or straight on to where the patient left off."""
    link = session_link(request)
    now = timezone.now()
    state = selectors.link_state(link, now) if link is not None else None
    if state not in (selectors.ACTIVE, selectors.LOCKED):
        return _not_working(request)
    patient = link.case.patient
    if state == selectors.LOCKED:
        return _locked(request, link)
    activate(request, language_for(request, patient))
    if request.session.get(SESSION_VERIFIED) == link.pk:
        return redirect(resume_url(link.case))
    form = forms.DateOfBirthForm(request.POST or None)
    attempts_left = None
    if request.method == "POST" and form.is_valid():
        result = services.date_of_birth_check(
            link=link, date_of_birth=form.cleaned_data["date_of_birth"], now=now, site=site_url(request)
        )
        if result.ok:
            request.session.cycle_key()
            request.session[SESSION_LINK] = link.pk
            request.session[SESSION_VERIFIED] = link.pk
            request.session.set_expiry(settings.INTAKE_SESSION_IDLE_MINUTES * 60)
            return redirect(resume_url(link.case))
        if result.locked:
            services.notifications_send_now(result.notices)
            return _locked(request, link)
        attempts_left = result.attempts_left
        form.add_error(
            None,
            translation.ngettext(
                "That date of birth does not match our records. Please check it. You have %(n)s more try.",
                "That date of birth does not match our records. Please check it. You have %(n)s more tries.",
                attempts_left,
            )
            % {"n": attempts_left},
        )
    return render(
        request,
        "intake/date_of_birth.html",
        {"form": form, "attempts_left": attempts_left, "clinic_name": settings.CLINIC_NAME},
    )


@require_POST
def language(request: HttpRequest) -> HttpResponse:
    """Switch the patient pages between English and Spanish (remembered in the session)."""
    chosen = request.POST.get("language")
    if chosen in forms.LANGUAGE_NAMES:
        request.session[SESSION_LANGUAGE] = chosen
    target = request.POST.get("next", "")
    if not (
        target.startswith(("/intake/", "/d/")) and url_has_allowed_host_and_scheme(target, allowed_hosts=None)
    ):
        target = reverse("intake:start")
    return redirect(target)
