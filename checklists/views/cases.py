"""Create, edit, reschedule and cancel cases."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_POST

from checklists import rules
from checklists.casedata import appointment_window
from checklists.forms.cases import CaseForm
from checklists.forms.days import validate_clinic_day
from checklists.models import Case
from checklists.selectors.catalogue import load_rule_config
from checklists.services import booking, cases, edits
from checklists.views.common import case_or_404, staff_required
from checklists.wording import day_text


def _times(start: object, levels: list, config) -> rules.Timeline | None:
    """What the form shows beside the start (arrival, start, end, pickup), from the start and levels
    as they stand in the form: typed, posted (also when refused) or stored."""
    if not isinstance(start, dt.datetime):
        start = _parse_start(start)
    if start is not None and _outside_window(start):
        return None  # the form says so next to the start; there are no times to show
    count = len([level for level in levels if level])
    return rules.procedure_times(start, count, config) if start is not None and count >= 1 else None


def _parse_start(text: object) -> dt.datetime | None:
    """A typed start as an aware datetime (clinic time when no offset), or None if unreadable."""
    try:
        start = parse_datetime(str(text or ""))
    except ValueError:  # well formed, but no such day or hour
        return None
    if start is not None and timezone.is_naive(start):
        start = timezone.make_aware(start)
    return start


def _outside_window(start: dt.datetime) -> bool:
    try:
        validate_clinic_day(timezone.localtime(start).date())
    except ValidationError:
        return True
    return False


def _form_times(form: CaseForm, config) -> rules.Timeline | None:
    if form.is_bound:
        return _times(form.data.get("start"), form.data.getlist("levels"), config)
    return _times(form.initial.get("start"), form.initial.get("levels") or [], config)


def _save(request, form: CaseForm, config, case: Case | None):
    """Run the create/update service; booking or version problems become form errors."""
    data = form.cleaned_data
    try:
        if case is None:
            return cases.case_create(
                patient=form.patient_fields(),
                procedure=form.procedure_fields(),
                room=data["room"],
                start=data["start"],
                config=config,
                reference=data["reference"],
            )
        return cases.case_update(
            case=case,
            version=data["version"] or 0,
            patient=form.patient_fields(),
            procedure=form.procedure_fields(),
            room=data["room"],
            start=data["start"],
            config=config,
        )
    except booking.SlotTaken as exc:
        form.add_error("start", str(exc))
    except ValidationError as exc:  # the services' own checks, behind the form's
        for message in exc.messages:
            form.add_error("start" if "start" in getattr(exc, "error_dict", {}) else None, message)
    except edits.StaleEdit as exc:
        form.add_error(None, str(exc))
    return None


@staff_required
def case_create(request):
    config = load_rule_config()
    form = CaseForm(request.POST or None, config=config)
    if request.method == "POST" and form.is_valid():
        case = _save(request, form, config, None)
        if case is not None:
            messages.success(request, f"Case {case.reference} created.")
            return redirect("checklists:case_detail", case_uuid=case.uuid)
    context = {"form": form, "case": None, "times": _form_times(form, config)}
    return render(request, "checklists/cases/form.html", context)


@staff_required
def case_edit(request, case_uuid):
    case = case_or_404(case_uuid)
    if case.status == Case.Status.CANCELLED:
        messages.error(request, "This case is cancelled and can no longer be edited.")
        return redirect("checklists:case_detail", case_uuid=case.uuid)
    config = load_rule_config()
    form = CaseForm(
        request.POST or None,
        initial=CaseForm.initial_for(case),
        case=case,
        config=config,
    )
    if request.method == "POST" and form.is_valid():
        if _save(request, form, config, case) is not None:
            messages.success(request, f"Case {case.reference} saved.")
            return redirect("checklists:case_detail", case_uuid=case.uuid)
    context = {"form": form, "case": case, "times": _form_times(form, config)}
    return render(request, "checklists/cases/form.html", context)


@staff_required
@require_POST
def case_cancel(request, case_uuid):
    case = case_or_404(case_uuid)
    try:
        version = int(request.POST.get("version", ""))
        cases.case_cancel(case=case, version=version, config=load_rule_config())
    except ValueError:
        messages.error(request, "The cancel request was incomplete; reload the page and try again.")
    except edits.StaleEdit as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Case {case.reference} cancelled; its slot is free again.")
    return redirect("checklists:case_detail", case_uuid=case.uuid)


TIMES = "checklists/cases/partials/times.html"


@require_GET
@staff_required
def case_times_preview(request):
    """htmx: the end, arrival and pickup times for the start and levels being typed."""
    config = load_rule_config()
    start = _parse_start(request.GET.get("start"))
    if start is not None and _outside_window(start):
        first, last = appointment_window(timezone.localdate())
        problem = f"Start: choose a day between {day_text(first)} and {day_text(last)}."
        return render(request, TIMES, {"times": None, "problem": problem}, status=400)
    times = _times(request.GET.get("start"), request.GET.getlist("levels"), config)
    return render(request, TIMES, {"times": times})
