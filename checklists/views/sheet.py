"""The one-page printable case sheet, the appointment's calendar file and the change history."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from checklists import rules
from checklists.casedata import ALLERGY_CATEGORY_LABELS
from checklists.ics import staff_calendar
from checklists.selectors import history as history_selectors
from checklists.selectors.cases import case_to_data
from checklists.selectors.catalogue import load_rule_config
from checklists.site import site_url
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


@require_GET
@staff_required
def case_sheet(request, case_uuid):
    case = case_or_404(case_uuid)
    return render(request, "checklists/sheet/sheet.html", _sheet_context(case))


@require_GET
@staff_required
def case_ics(request, case_uuid):
    case = case_or_404(case_uuid)
    ctx = rules.build_context(case_to_data(case), load_rule_config(), timezone.now())
    if ctx.timeline is None:
        raise Http404("This case is not scheduled yet.")
    return _ics_response(case, ctx, site_url(request))


def _ics_response(case, ctx: rules.Context, site: str) -> HttpResponse:
    response = HttpResponse(staff_calendar(case, ctx, site), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="appointment-{case.reference}.ics"'
    return response


@require_GET
@staff_required
def case_history(request, case_uuid):
    """Who changed what on the case, when, before → after: for admins only."""
    if not request.user.is_superuser:
        raise PermissionDenied("The change history is for admins.")
    case = case_or_404(case_uuid)
    return render(
        request,
        "checklists/case_detail/history.html",
        {"case": case, "patient": case.patient, "entries": history_selectors.case_history(case)},
    )
