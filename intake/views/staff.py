"""Staff actions on a case's intake link: send (or re-send) and revoke.

The full link is shown once, on the page that answers the send, for reading out by phone; it is
never stored (only its hash) and never put in a message cookie or the session.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from checklists.models import Case
from checklists.selectors.catalogue import load_rule_config
from checklists.services.access_log import access_log_record
from checklists.views.common import staff_required
from checklists.wording.patient import moment_words
from intake import services


def _case(case_uuid: UUID) -> Case:
    return get_object_or_404(Case.objects.select_related("patient", "appointment"), uuid=case_uuid)


def _in_english(function, *args):
    """Staff pages are in English, whatever the browser asks for."""
    with translation.override("en"):
        return function(*args)


def _back(case: Case) -> HttpResponse:
    return redirect(reverse("checklists:case_detail", args=[case.uuid]) + "#intake-link")


@never_cache
@require_POST
@staff_required
def link_send(request: HttpRequest, case_uuid: UUID) -> HttpResponse:
    """Issue a new link (the previous one stops working), email it, and show it once."""
    config = load_rule_config()
    case = _case(case_uuid)
    now = timezone.now()
    try:
        link, token = services.intake_link_issue(case=case, user=request.user, now=now, config=config)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back(case)
    url = request.build_absolute_uri(reverse("intake:open", args=[token]))
    result = services.invitation_send(case=case, link=link, url=url, token=token, now=now, config=config)
    access_log_record(request=request, action="intake.link_send", case=case)
    return render(
        request,
        "intake/staff/link_sent.html",
        {
            "case": case,
            "patient": case.patient,
            "url": url,
            "result": result,
            "expires": _in_english(moment_words, link.expires_at, config.time_zone),
        },
    )


@require_POST
@staff_required
def link_revoke(request: HttpRequest, case_uuid: UUID) -> HttpResponse:
    case = _case(case_uuid)
    link = services.intake_link_revoke(case=case, now=timezone.now())
    if link is None:
        messages.info(request, "This case has no working intake link to revoke.")
    else:
        messages.success(request, "Intake link revoked: it no longer opens the intake.")
    return _back(case)
