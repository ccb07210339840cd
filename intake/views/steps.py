"""The one view behind every intake step (the steps themselves are the table in `intake/steps.py`)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from checklists.services.edits import StaleEdit
from intake import services, steps
from intake.instructions import medicine_words
from intake.views.session import PatientSession, closed, conflict_message, go, page, patient_view


@patient_view
def step_page(request: HttpRequest, p: PatientSession, number: int) -> HttpResponse:
    """Show a step; on POST validate its forms, save through its writer and move on (or back)."""
    step = steps.step(number)
    if services.edits_closed(case=p.case, now=p.now):
        return closed(request)
    going = request.POST.get("go") if request.method == "POST" else None
    bound = step.forms(p, request.POST or None, going)
    if request.method == "POST":
        unchanged = not any(form.has_changed() for form in bound.values())
        if going == "back" and (unchanged or not step.back_saves):
            return go(request, p, number - 1, changed=False)
        if all(form.is_valid() for form in bound.values()):
            try:
                saved = step.save(request, p, bound, going)
            except StaleEdit:
                # The clinic saved meanwhile: the page is shown again with what is stored now, and why.
                p.reload()
                bound = step.forms(p)
                messages.error(request, conflict_message())
            except ValidationError:
                p.reload()
                bound = step.forms(p)
                messages.error(
                    request, _("Something on this page did not match your answers. Please check it.")
                )
            else:
                if isinstance(saved, HttpResponse):
                    return saved
                if saved is not None:
                    return go(request, p, number - 1 if going == "back" else number + 1, changed=saved)
    return page(request, p, step.template, number, **bound, **step.context(p, bound))


@patient_view
@require_GET
def medicine_hint(request: HttpRequest, p: PatientSession) -> HttpResponse:
    """As the patient types a medicine's name: what it is, in plain words (htmx fragment)."""
    name = next((v for k, v in request.GET.items() if k.endswith("name")), "")[:200]
    words = medicine_words(p.config.read(name)) if name.strip() else []
    return render(request, "intake/partials/medicine_hint.html", {"words": words})
