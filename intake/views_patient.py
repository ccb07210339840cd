"""The patient's side: open the link, confirm the date of birth, seven steps, then confirmation.

The case always comes from the session's verified link, never from the URL, so a patient can
reach only their own case. The link's token is in exactly one URL (`/i/<token>/`), which moves
it into the session and redirects to `/intake/`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import BaseFormSet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from icalendar import Alarm, Calendar, vText

from checklists import rules
from checklists.catalog import RuleConfig
from checklists.ics import appointment_calendar
from checklists.models import Case
from checklists.selectors.cases import case_to_data
from checklists.selectors.catalogue import load_rule_config
from checklists.services.access_log import access_log_record
from checklists.services.case_page import AllergyRow, MedicationRow
from checklists.services.edits import StaleEdit
from intake import forms, selectors, services
from intake.instructions import (
    format_day,
    format_moment,
    format_time,
    instructions_for,
    medicine_words,
    needs_last_dose,
)
from intake.models import IntakeLink

SESSION_LINK = "intake_link"
SESSION_VERIFIED = "intake_verified"
SESSION_LANGUAGE = "intake_language"
STEP_URLS = {
    1: "intake:about",
    2: "intake:medicines",
    3: "intake:allergies",
    4: "intake:health",
    5: "intake:driver",
    6: "intake:instructions",
    7: "intake:review",
}


def conflict_message() -> str:
    return _("Someone at the clinic updated your details just now. Please check this page and save again.")


def _language(request: HttpRequest, patient=None) -> str:
    chosen = request.session.get(SESSION_LANGUAGE)
    if chosen in forms.LANGUAGE_NAMES:
        return chosen
    if patient is not None:
        return patient.language
    return translation.get_language_from_request(request) or settings.LANGUAGE_CODE


def _activate(request: HttpRequest, language: str) -> None:
    translation.activate(language)
    request.LANGUAGE_CODE = language


def _session_link(request: HttpRequest) -> IntakeLink | None:
    return selectors.link_by_id(request.session.get(SESSION_LINK))


def _forget(request: HttpRequest) -> None:
    for key in (SESSION_LINK, SESSION_VERIFIED):
        request.session.pop(key, None)


def _not_working(request: HttpRequest) -> HttpResponse:
    """One page for an unknown, expired, revoked or closed link: it says nothing about the case."""
    _forget(request)
    _activate(request, _language(request))
    return render(request, "intake/link_not_working.html", {"clinic_phone": settings.CLINIC_PHONE})


def _locked(request: HttpRequest, link: IntakeLink) -> HttpResponse:
    _activate(request, _language(request, link.case.patient))
    return render(request, "intake/locked.html", {"clinic_phone": settings.CLINIC_PHONE})


# --- Opening the link and the date of birth ------------------------------------------------------


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
        _forget(request)
    return redirect("intake:start")


@never_cache
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """The date-of-birth check, or straight on to where the patient left off."""
    link = _session_link(request)
    now = timezone.now()
    state = selectors.link_state(link, now) if link is not None else None
    if state not in (selectors.ACTIVE, selectors.LOCKED):
        return _not_working(request)
    patient = link.case.patient
    if state == selectors.LOCKED:
        return _locked(request, link)
    _activate(request, _language(request, patient))
    if request.session.get(SESSION_VERIFIED) == link.pk:
        return redirect(_resume_url(link.case))
    form = forms.DateOfBirthForm(request.POST or None)
    attempts_left = None
    if request.method == "POST" and form.is_valid():
        result = services.date_of_birth_check(
            link=link, date_of_birth=form.cleaned_data["date_of_birth"], now=now
        )
        if result.ok:
            request.session.cycle_key()
            request.session[SESSION_LINK] = link.pk
            request.session[SESSION_VERIFIED] = link.pk
            request.session.set_expiry(settings.INTAKE_SESSION_IDLE_MINUTES * 60)
            return redirect(_resume_url(link.case))
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


def _resume_url(case: Case) -> str:
    intake = getattr(case, "intake", None)
    if intake is not None and intake.submitted_at is not None:
        return reverse("intake:done")
    progress = getattr(case, "intake_progress", None)
    return reverse(STEP_URLS[progress.step if progress else 1])


@require_POST
def language(request: HttpRequest) -> HttpResponse:
    """Switch the patient pages between English and Spanish (remembered in the session)."""
    chosen = request.POST.get("language")
    if chosen in forms.LANGUAGE_NAMES:
        request.session[SESSION_LANGUAGE] = chosen
    target = request.POST.get("next", "")
    if not (target.startswith("/intake/") and url_has_allowed_host_and_scheme(target, allowed_hosts=None)):
        target = reverse("intake:start")
    return redirect(target)


# --- The verified patient ------------------------------------------------------------------------


@dataclass
class Patient:
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
    """Only with a verified, working link; the case is the link's. Logged as a view of the case."""

    @never_cache
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        link = _session_link(request)
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
        _activate(request, _language(request, case.patient))
        services.link_touch(link=link, now=now)
        access_log_record(request=request, action=f"intake.{view.__name__}", case=case)
        return view(
            request, Patient(link=link, case=case, now=now, config=load_rule_config()), *args, **kwargs
        )

    return wrapped


def _page(request: HttpRequest, p: Patient, template: str, step: int | None, **context) -> HttpResponse:
    return render(
        request,
        template,
        {
            "case": p.case,
            "patient": p.case.patient,
            "step": step,
            "step_count": services.STEP_COUNT,
            "step_title": forms.STEP_TITLES.get(step),
            "submitted": p.submitted,
            "clinic_name": settings.CLINIC_NAME,
            "clinic_phone": settings.CLINIC_PHONE,
            "back_url": reverse(STEP_URLS[step - 1]) if step and step > 1 else None,
            **context,
        },
    )


def _closed(request: HttpRequest) -> HttpResponse:
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


def _go(request: HttpRequest, p: Patient, step: int, changed: bool) -> HttpResponse:
    """After a save: remember where the patient is and continue there."""
    services.progress_record(case=p.case, step=step)
    if changed and p.submitted:
        messages.info(request, _("Your change is saved. Please send your answers again on the last step."))
    return redirect(STEP_URLS[step])


def _target(request: HttpRequest, step: int) -> int:
    return step - 1 if request.POST.get("go") == "back" else step + 1


def _stale(request: HttpRequest) -> None:
    """The clinic saved meanwhile: the page is shown again with what is stored now, and why."""
    messages.error(request, conflict_message())


def step_view(step: int):
    """Closed steps after the edit window go to the confirmation page."""

    def decorate(view: Callable) -> Callable:
        @patient_view
        @wraps(view)
        def wrapped(request: HttpRequest, p: Patient) -> HttpResponse:
            if services.edits_closed(case=p.case, now=p.now):
                return _closed(request)
            return view(request, p)

        return wrapped

    return decorate


# --- Step 1: about you ---------------------------------------------------------------------------


def _details_initial(p: Patient) -> dict:
    patient = p.case.patient
    return {
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "phone": patient.phone,
        "email": patient.email,
        # The language the pages are in now (the header button may have changed it): kept on saving.
        "language": translation.get_language(),
        **p.versions,
    }


@step_view(1)
def about(request: HttpRequest, p: Patient) -> HttpResponse:
    form = forms.DetailsForm(request.POST or None, initial=_details_initial(p))
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            details = {k: data[k] for k in ("first_name", "last_name", "phone", "email", "language")}
            try:
                changed = services.patient_details_save(
                    case=p.case, version=data["version"], details=details, config=p.config
                )
            except StaleEdit:
                p.reload()
                form = forms.DetailsForm(initial=_details_initial(p))
                _stale(request)
            else:
                request.session[SESSION_LANGUAGE] = data["language"]
                return _go(request, p, 2, changed)
    return _page(request, p, "intake/step_about.html", 1, form=form)


# --- Step 2: medicines ---------------------------------------------------------------------------

MEDICATION_FIELDS = ("id", "name", "dose", "frequency", "last_dose_planned")


def _medication_forms(p: Patient, data=None, note_new: bool = False):
    meds = list(p.case.medications.all())
    matched = [p.config.match(m.name) for m in meds]
    formset = forms.MedicationFormSet(
        data,
        prefix="medications",
        initial=[{f: getattr(m, f) for f in MEDICATION_FIELDS} for m in meds],
        ask_last_dose=[needs_last_dose(drugs) for drugs in matched],
    )
    step_form = forms.MedicationsStepForm(
        data,
        initial={"medications_complete": p.intake.medications_complete if p.intake else False, **p.versions},
    )
    words = [medicine_words(p.config.read(m.name)) for m in meds]
    rows = [(form, words[i] if i < len(words) else []) for i, form in enumerate(formset.forms)]
    return formset, step_form, rows


def _rows(formset: BaseFormSet, row_class: type, fields: tuple[str, ...]) -> list:
    """The formset's lines as service rows (untouched blank lines left out)."""
    rows = []
    for form in formset.forms:
        data = form.cleaned_data
        if not data or (not form.has_changed() and not data.get("id")):
            continue
        if data.get("DELETE"):
            if data.get("id"):
                rows.append(row_class(id=data["id"], delete=True))
            continue
        values = {f: data.get(f) for f in fields}
        # Text left empty is "", a date left empty stays None.
        values = {f: "" if v is None and f != "last_dose_planned" else v for f, v in values.items()}
        rows.append(row_class(id=data.get("id"), **values))
    return rows


@step_view(2)
def medicines(request: HttpRequest, p: Patient) -> HttpResponse:
    formset, step_form, rows = _medication_forms(p, request.POST or None)
    if request.method == "POST":
        going_back = request.POST.get("go") == "back"
        if going_back and not formset.has_changed() and not step_form.has_changed():
            return _go(request, p, 1, False)
        if formset.is_valid() and step_form.is_valid():
            med_rows = _rows(formset, MedicationRow, ("name", "dose", "frequency", "last_dose_planned"))
            complete = step_form.cleaned_data["medications_complete"]
            adding = request.POST.get("go") == "add"
            if not complete and not adding and not going_back:
                step_form.add_error(
                    "medications_complete",
                    _("Please tick this box when the list has everything you take (or if you take nothing)."),
                )
            else:
                try:
                    changed = services.patient_medications_save(
                        case=p.case,
                        version=step_form.cleaned_data["version"],
                        intake_version=step_form.cleaned_data["intake_version"],
                        rows=med_rows,
                        complete=complete,
                        now=p.now,
                        config=p.config,
                    )
                except StaleEdit:
                    p.reload()
                    formset, step_form, rows = _medication_forms(p)
                    _stale(request)
                except ValidationError:
                    p.reload()
                    formset, step_form, rows = _medication_forms(p)
                    messages.error(
                        request, _("Something on this page did not match your answers. Please check it.")
                    )
                else:
                    new_holds = [
                        r.name
                        for r in med_rows
                        if r.id is None and not r.delete and needs_last_dose(p.config.match(r.name))
                    ]
                    if adding or (new_holds and not going_back):
                        # Stay: the medicine is named back, and a stop date is asked where one is needed.
                        services.progress_record(case=p.case, step=2)
                        if new_holds:
                            messages.info(
                                request,
                                _(
                                    "Saved. Some of your medicines must be stopped before the procedure. "
                                    "Please tell us when you plan to take the last dose (or leave it empty "
                                    "if you do not know), then press “Save and continue”."
                                ),
                            )
                        else:
                            messages.success(request, _("Saved. You can add another medicine below."))
                        return redirect("intake:medicines")
                    return _go(request, p, _target(request, 2), changed)
    return _page(request, p, "intake/step_medicines.html", 2, formset=formset, step_form=step_form, rows=rows)


@patient_view
@require_GET
def medicine_hint(request: HttpRequest, p: Patient) -> HttpResponse:
    """As the patient types a medicine's name: what it is, in plain words (htmx fragment)."""
    name = next((v for k, v in request.GET.items() if k.endswith("name")), "")[:200]
    words = medicine_words(p.config.read(name)) if name.strip() else []
    return render(request, "intake/partials/medicine_hint.html", {"words": words})


# --- Step 3: allergies ---------------------------------------------------------------------------

ALLERGY_FIELDS = ("id", "category", "substance", "reaction", "severity")


def _allergy_forms(p: Patient, data=None):
    allergies = list(p.case.allergies.all())
    formset = forms.AllergyFormSet(
        data, prefix="allergies", initial=[{f: getattr(a, f) for f in ALLERGY_FIELDS} for a in allergies]
    )
    step_form = forms.AllergiesStepForm(
        data, initial={"no_allergies": p.intake.no_known_allergies if p.intake else False, **p.versions}
    )
    return formset, step_form


@step_view(3)
def allergies(request: HttpRequest, p: Patient) -> HttpResponse:
    formset, step_form = _allergy_forms(p, request.POST or None)
    if request.method == "POST":
        going_back = request.POST.get("go") == "back"
        if going_back and not formset.has_changed() and not step_form.has_changed():
            return _go(request, p, 2, False)
        if formset.is_valid() and step_form.is_valid():
            rows = _rows(formset, AllergyRow, ("category", "substance", "reaction", "severity"))
            kept = [r for r in rows if not r.delete]
            none = step_form.cleaned_data["no_allergies"]
            adding = request.POST.get("go") == "add"
            if none and kept:
                step_form.add_error(
                    "no_allergies",
                    _("You have listed an allergy. Remove it, or untick “I have no allergies”."),
                )
            elif not none and not kept and not adding and not going_back:
                step_form.add_error(
                    "no_allergies",
                    _("Please tell us about your allergy above, or tick “I have no allergies”."),
                )
            else:
                try:
                    changed = services.patient_allergies_save(
                        case=p.case,
                        version=step_form.cleaned_data["version"],
                        intake_version=step_form.cleaned_data["intake_version"],
                        rows=rows,
                        no_allergies=none,
                        now=p.now,
                        config=p.config,
                    )
                except StaleEdit:
                    p.reload()
                    formset, step_form = _allergy_forms(p)
                    _stale(request)
                except ValidationError:
                    p.reload()
                    formset, step_form = _allergy_forms(p)
                    messages.error(
                        request, _("Something on this page did not match your answers. Please check it.")
                    )
                else:
                    if adding:
                        services.progress_record(case=p.case, step=3)
                        messages.success(request, _("Saved. You can add another allergy below."))
                        return redirect("intake:allergies")
                    return _go(request, p, _target(request, 3), changed)
    return _page(request, p, "intake/step_allergies.html", 3, formset=formset, step_form=step_form)


# --- Step 4: health questions --------------------------------------------------------------------


def ask_pregnancy(p: Patient) -> bool:
    """Only where the readiness rules ask it: not male, and under the clinic's age limit."""
    return rules.pregnancy_question_applies(rules.build_context(case_to_data(p.case), p.config, p.now))


def _health_form(p: Patient, data=None) -> forms.HealthForm:
    initial = dict(p.versions)
    intake = p.intake
    # Pre-filled only once answered (the stored defaults are not the patient's answers).
    if intake is not None and (p.furthest_step > 4 or p.submitted):
        initial |= {
            "can_lie_prone": forms.answer_for(intake.can_lie_prone),
            "infection_symptoms": "yes" if intake.infection_symptoms else "no",
            "diabetes": intake.diabetes,
            "pregnant": forms.answer_for(intake.pregnant),
        }
    return forms.HealthForm(data, initial=initial, ask_pregnancy=ask_pregnancy(p))


@step_view(4)
def health(request: HttpRequest, p: Patient) -> HttpResponse:
    form = _health_form(p, request.POST or None)
    if request.method == "POST":
        if request.POST.get("go") == "back" and not form.has_changed():
            return _go(request, p, 3, False)
        if form.is_valid():
            data = form.cleaned_data
            changes = {
                "can_lie_prone": forms.ANSWER_TO_BOOL[data["can_lie_prone"]],
                "infection_symptoms": data["infection_symptoms"] == "yes",
                "diabetes": data["diabetes"],
            }
            if "pregnant" in data:
                changes["pregnant"] = forms.ANSWER_TO_BOOL[data["pregnant"]]
            try:
                changed = services.patient_answers_save(
                    case=p.case,
                    intake_version=data["intake_version"],
                    changes=changes,
                    now=p.now,
                    config=p.config,
                )
            except StaleEdit:
                p.reload()
                form = _health_form(p)
                _stale(request)
            else:
                return _go(request, p, _target(request, 4), changed)
    return _page(request, p, "intake/step_form.html", 4, form=form)


# --- Step 5: driver ------------------------------------------------------------------------------


def _driver_form(p: Patient, data=None) -> forms.DriverForm:
    driver = getattr(p.case, "driver", None)
    initial = dict(p.versions)
    if driver is not None:
        initial |= {"name": driver.name, "relationship": driver.relationship, "phone": driver.phone}
    return forms.DriverForm(data, initial=initial)


@step_view(5)
def driver(request: HttpRequest, p: Patient) -> HttpResponse:
    form = _driver_form(p, request.POST or None)
    if request.method == "POST":
        if request.POST.get("go") == "back" and not form.has_changed():
            return _go(request, p, 4, False)
        if form.is_valid():
            data = form.cleaned_data
            changed = False
            if not data["skip"]:
                try:
                    changed = services.patient_driver_save(
                        case=p.case,
                        version=data["version"],
                        name=data["name"],
                        relationship=data["relationship"],
                        phone=data["phone"],
                        config=p.config,
                    )
                except StaleEdit:
                    p.reload()
                    form = _driver_form(p)
                    _stale(request)
                    return _page(request, p, "intake/step_driver.html", 5, form=form)
            return _go(request, p, _target(request, 5), changed)
    return _page(request, p, "intake/step_driver.html", 5, form=form)


# --- Step 6: instructions ------------------------------------------------------------------------


def _instructions_context(p: Patient) -> dict:
    appointment = getattr(p.case, "appointment", None)
    room = appointment.room if appointment is not None and appointment.is_active else None
    return {
        "instructions": instructions_for(case_to_data(p.case), p.config, p.now),
        "room": room,
    }


@step_view(6)
def instructions(request: HttpRequest, p: Patient) -> HttpResponse:
    initial = {"fasting_acknowledged": p.intake.fasting_acknowledged if p.intake else False, **p.versions}
    form = forms.AcknowledgeForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if request.POST.get("go") == "back" and not form.has_changed():
            return _go(request, p, 5, False)
        if form.is_valid():
            try:
                changed = services.patient_answers_save(
                    case=p.case,
                    intake_version=form.cleaned_data["intake_version"],
                    changes={"fasting_acknowledged": True},
                    now=p.now,
                    config=p.config,
                )
            except StaleEdit:
                p.reload()
                form = forms.AcknowledgeForm(
                    initial={
                        "fasting_acknowledged": p.intake.fasting_acknowledged if p.intake else False,
                        **p.versions,
                    }
                )
                _stale(request)
            else:
                return _go(request, p, _target(request, 6), changed)
    return _page(request, p, "intake/step_instructions.html", 6, form=form, **_instructions_context(p))


# --- Step 7: review and submit -------------------------------------------------------------------


def _review_context(p: Patient) -> dict:
    meds = list(p.case.medications.all())
    return {
        "medications": [(m, medicine_words(p.config.read(m.name))) for m in meds],
        "allergies": list(p.case.allergies.all()),
        "intake": p.intake,
        "driver": getattr(p.case, "driver", None),
        "ask_pregnancy": ask_pregnancy(p),
        "missing": [
            (step, forms.STEP_TITLES[step], reverse(STEP_URLS[step]))
            for step in services.intake_missing(case=p.case, furthest_step=p.furthest_step)
        ],
        "step_urls": {step: reverse(name) for step, name in STEP_URLS.items()},
        "language_name": forms.LANGUAGE_NAMES.get(p.case.patient.language, ""),
        "categories": dict(forms.ALLERGY_CATEGORIES),
        "severities": dict(forms.SEVERITIES),
        "diabetes": dict(forms.HealthForm.base_fields["diabetes"].choices),
        **_instructions_context(p),
    }


@step_view(7)
def review(request: HttpRequest, p: Patient) -> HttpResponse:
    form = forms.SubmitForm(request.POST or None, initial=p.versions)
    if request.method == "POST":
        if request.POST.get("go") == "back":
            return _go(request, p, 6, False)
        if form.is_valid():
            try:
                services.patient_intake_submit(
                    case=p.case,
                    version=form.cleaned_data["version"],
                    intake_version=form.cleaned_data["intake_version"],
                    furthest_step=p.furthest_step,
                    now=p.now,
                    config=p.config,
                )
            except StaleEdit:
                p.reload()
                form = forms.SubmitForm(initial=p.versions)
                _stale(request)
            except services.IntakeIncomplete:
                form.add_error(None, _("Some questions are not answered yet. Please answer them first."))
            else:
                services.progress_record(case=p.case, step=7)
                return redirect("intake:done")
    return _page(request, p, "intake/step_review.html", 7, form=form, **_review_context(p))


# --- After submitting ----------------------------------------------------------------------------


@patient_view
@require_GET
def done(request: HttpRequest, p: Patient) -> HttpResponse:
    if not p.submitted:
        return redirect(_resume_url(p.case))
    closed = services.edits_closed(case=p.case, now=p.now)
    appointment = getattr(p.case, "appointment", None)
    return _page(
        request,
        p,
        "intake/done.html",
        None,
        closed=closed,
        edit_until=(
            format_moment(
                appointment.start - dt.timedelta(hours=settings.INTAKE_EDIT_CLOSES_HOURS), p.config.time_zone
            )
            if appointment is not None and appointment.is_active
            else ""
        ),
        **_instructions_context(p),
    )


@patient_view
@require_GET
def instructions_print(request: HttpRequest, p: Patient) -> HttpResponse:
    return _page(
        request,
        p,
        "intake/instructions_print.html",
        None,
        driver=getattr(p.case, "driver", None),
        printed_on=format_day(p.now.astimezone(p.config.time_zone).date()),
        **_instructions_context(p),
    )


@patient_view
@require_GET
def calendar(request: HttpRequest, p: Patient) -> HttpResponse:
    """The appointment for the patient's calendar, worded in their language."""
    ctx = rules.build_context(case_to_data(p.case), p.config, p.now)
    timeline = ctx.timeline
    if timeline is None:
        raise Http404("Not scheduled.")
    ical = Calendar.from_ical(appointment_calendar(p.case, ctx))
    tz = p.config.time_zone
    for event in ical.walk("VEVENT"):
        event["summary"] = vText(_("Spine procedure at %(clinic)s") % {"clinic": settings.CLINIC_NAME})
        event["description"] = vText(
            _(
                "Arrive by %(arrival)s. Stop eating (no food, milk or juice) at %(food)s. Clear liquids and "
                "your usual medicines with sips of water until %(liquids)s. Your driver should collect you "
                "at about %(pickup)s."
            )
            % {
                "arrival": format_time(timeline.arrival_at, tz),
                "food": format_moment(timeline.food_stop_at, tz),
                "liquids": format_moment(timeline.clear_liquids_stop_at, tz),
                "pickup": format_time(timeline.pickup_at, tz),
            }
        )
        texts = [
            _("Tomorrow: your spine procedure. Check your food and medicine times."),
            _("Stop eating now. Clear liquids are still fine for a few hours."),
        ]
        for alarm, text in zip(event.walk("VALARM"), texts, strict=False):
            if isinstance(alarm, Alarm):
                alarm["description"] = vText(text)
    response = HttpResponse(ical.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="appointment.ics"'
    return response
