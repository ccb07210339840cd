"""The patient intake's steps: ONE table (number, URL name, title, template, forms, writer).

The URLs (`/intake/<url_name>/`), the generic step view, the progress bar, the review page's
"Change" links and what is still missing all read `STEPS`. A step builds its forms (the step's
rules live in the forms' `clean()`), and `save` calls the step's service; the generic view in
`intake/views/steps.py` does the rest (back without changes, stale edits, moving on).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from checklists import rules
from checklists.forms.answers import answer_for, bool_for
from checklists.forms.rows import formset_initial, formset_rows
from checklists.selectors.cases import case_to_data
from checklists.services.case_page import AllergyRow, MedicationRow
from intake import forms, selectors, services
from intake.instructions import instructions_for, medicine_words, needs_last_dose, stop_sentence

if TYPE_CHECKING:
    from intake.views.session import PatientSession

Forms = dict[str, Any]  # the names the step's template uses: "form", or "formset" and "step_form"


class Step:
    """One page of the intake. `save` returns whether anything changed (the view moves on), a
    response of its own (stay on the page, go to the confirmation), or None (errors to show)."""

    number: int
    url_name: str
    title: str
    template: str
    back_saves = True  # "Back" after a change saves it first (the review's Back only goes back)

    def forms(self, p: PatientSession, data=None, go: str | None = None) -> Forms:
        raise NotImplementedError

    def save(self, request: HttpRequest, p: PatientSession, bound: Forms, go: str | None) -> Any:
        raise NotImplementedError

    def context(self, p: PatientSession, bound: Forms) -> dict:
        return {}

    def stay(self, request: HttpRequest, p: PatientSession, level: int, text: str) -> HttpResponse:
        """Saved, but the patient stays on this step (to add a line, or answer what it asks next)."""
        services.progress_record(case=p.case, step=self.number)
        messages.add_message(request, level, text)
        return redirect(url(self.number))


def instructions_context(p: PatientSession) -> dict:
    """The patient's instructions and room, for the instructions, review, done and print pages."""
    appointment = getattr(p.case, "appointment", None)
    room = appointment.room if appointment is not None and appointment.is_active else None
    return {"instructions": instructions_for(case_to_data(p.case), p.config, p.now), "room": room}


class AboutStep(Step):
    number, url_name, title = 1, "about", pgettext_lazy("intake step", "About you")
    template = "intake/step_about.html"
    DETAILS = ("first_name", "last_name", "phone", "email", "language", "message_channel")

    def forms(self, p, data=None, go=None):
        patient = p.case.patient
        initial = {name: getattr(patient, name) for name in self.DETAILS}
        if patient.message_channel in ("sms", "both") and patient.sms_confirmed_phone != patient.phone:
            initial["message_channel"] = None  # texts were never agreed for this number: ask again
        # The language the pages are in now (the header button may have changed it): kept on saving.
        initial["language"] = translation.get_language()
        return {"form": forms.DetailsForm(data, initial={**initial, **p.versions})}

    def save(self, request, p, bound, go):
        data = bound["form"].cleaned_data
        details = {k: data[k] for k in self.DETAILS}
        if data["message_channel"] in ("sms", "both"):
            details["sms_confirmed_phone"] = data["phone"]  # the patient's own agreement, for this number
        changed = services.patient_details_save(
            case=p.case, version=data["version"], details=details, config=p.config
        )
        request.session[selectors.SESSION_LANGUAGE] = data["language"]
        return changed


class MedicinesStep(Step):
    number, url_name, title = 2, "medicines", pgettext_lazy("intake step", "Your medicines")
    template = "intake/step_medicines.html"

    def forms(self, p, data=None, go=None):
        meds = list(p.case.medications.all())
        formset = forms.MedicationFormSet(
            data,
            prefix="medications",
            initial=formset_initial(meds, MedicationRow),
            ask_last_dose=[needs_last_dose(p.config.match(m.name)) for m in meds],
        )
        complete = p.intake.medications_complete if p.intake else False
        step_form = forms.MedicationsStepForm(
            data, initial={"medications_complete": complete, **p.versions}, go=go, formset=formset
        )
        return {"formset": formset, "step_form": step_form}

    def context(self, p, bound):
        words = [medicine_words(p.config.read(m.name)) for m in p.case.medications.all()]
        rows = [(form, words[i] if i < len(words) else []) for i, form in enumerate(bound["formset"].forms)]
        return {"rows": rows}

    def save(self, request, p, bound, go):
        rows = formset_rows(bound["formset"], MedicationRow)
        step_form = bound["step_form"].cleaned_data
        changed = services.patient_medications_save(
            case=p.case,
            version=step_form["version"],
            intake_version=step_form["intake_version"],
            rows=rows,
            complete=step_form["medications_complete"],
            now=p.now,
            config=p.config,
        )
        new_holds = [
            r.name for r in rows if r.id is None and not r.delete and needs_last_dose(p.config.match(r.name))
        ]
        if go == "add" or (new_holds and go != "back"):
            # Stay: the medicine is named back, and a stop date is asked where one is needed.
            if new_holds:
                return self.stay(
                    request,
                    p,
                    messages.INFO,
                    _(
                        "Saved. Some of your medicines must be stopped before the procedure. "
                        "Please tell us when you plan to take the last dose (or leave it empty "
                        "if you do not know), then press “Save and continue”."
                    ),
                )
            return self.stay(request, p, messages.SUCCESS, _("Saved. You can add another medicine below."))
        return changed


class AllergiesStep(Step):
    number, url_name, title = 3, "allergies", pgettext_lazy("intake step", "Allergies")
    template = "intake/step_allergies.html"

    def forms(self, p, data=None, go=None):
        formset = forms.AllergyFormSet(
            data, prefix="allergies", initial=formset_initial(p.case.allergies.all(), AllergyRow)
        )
        none = p.intake.no_known_allergies if p.intake else False
        step_form = forms.AllergiesStepForm(
            data, initial={"no_allergies": none, **p.versions}, go=go, formset=formset
        )
        return {"formset": formset, "step_form": step_form}

    def save(self, request, p, bound, go):
        step_form = bound["step_form"].cleaned_data
        changed = services.patient_allergies_save(
            case=p.case,
            version=step_form["version"],
            intake_version=step_form["intake_version"],
            rows=formset_rows(bound["formset"], AllergyRow),
            no_allergies=step_form["no_allergies"],
            now=p.now,
            config=p.config,
        )
        if go == "add":
            return self.stay(request, p, messages.SUCCESS, _("Saved. You can add another allergy below."))
        return changed


class HealthStep(Step):
    number, url_name, title = 4, "health", pgettext_lazy("intake step", "Health questions")
    template = "intake/step_form.html"
    TRI_STATE = ("can_lie_prone", "pregnant")

    def forms(self, p, data=None, go=None):
        initial = dict(p.versions)
        intake = p.intake
        # Pre-filled only once answered (the stored defaults are not the patient's answers).
        if intake is not None and (p.furthest_step > self.number or p.submitted):
            initial |= {
                "can_lie_prone": answer_for(intake.can_lie_prone),
                "infection_symptoms": "yes" if intake.infection_symptoms else "no",
                "diabetes": intake.diabetes,
                "pregnant": answer_for(intake.pregnant),
            }
        ask = selectors.asks_pregnancy(p.case, p.config, p.now)
        return {"form": forms.HealthForm(data, initial=initial, ask_pregnancy=ask)}

    def save(self, request, p, bound, go):
        data = bound["form"].cleaned_data
        changes = {
            "can_lie_prone": bool_for(data["can_lie_prone"]),
            "infection_symptoms": data["infection_symptoms"] == "yes",
            "diabetes": data["diabetes"],
        }
        if "pregnant" in data:
            changes["pregnant"] = bool_for(data["pregnant"])
        return services.patient_answers_save(
            case=p.case, intake_version=data["intake_version"], changes=changes, now=p.now, config=p.config
        )


class DriverStep(Step):
    number, url_name, title = 5, "driver", pgettext_lazy("intake step", "Your driver")
    template = "intake/step_driver.html"

    def forms(self, p, data=None, go=None):
        driver = getattr(p.case, "driver", None)
        initial = dict(p.versions)
        if driver is not None:
            initial |= {
                "name": driver.name,
                "relationship": driver.relationship,
                "phone": driver.phone,
                "email": driver.email,
            }
        return {"form": forms.DriverForm(data, initial=initial)}

    def save(self, request, p, bound, go):
        data = bound["form"].cleaned_data
        if data["skip"]:
            return False  # nobody yet: the patient may add the driver later
        return services.patient_driver_save(
            case=p.case,
            version=data["version"],
            name=data["name"],
            relationship=data["relationship"],
            phone=data["phone"],
            email=data["email"] or "",
            config=p.config,
        )


class InstructionsStep(Step):
    number, url_name, title = 6, "instructions", pgettext_lazy("intake step", "Your instructions")
    template = "intake/step_instructions.html"

    def forms(self, p, data=None, go=None):
        acknowledged = p.intake.fasting_acknowledged if p.intake else False
        return {
            "form": forms.AcknowledgeForm(data, initial={"fasting_acknowledged": acknowledged, **p.versions})
        }

    def context(self, p, bound):
        return instructions_context(p)

    def save(self, request, p, bound, go):
        return services.patient_answers_save(
            case=p.case,
            intake_version=bound["form"].cleaned_data["intake_version"],
            changes={"fasting_acknowledged": True},
            now=p.now,
            config=p.config,
        )


class ReviewStep(Step):
    number, url_name, title = 7, "review", pgettext_lazy("intake step", "Check and send")
    template = "intake/step_review.html"
    back_saves = False  # "Back" from the review only goes back

    def forms(self, p, data=None, go=None):
        return {"form": forms.SubmitForm(data, initial=p.versions)}

    def context(self, p, bound):
        health_reached = p.furthest_step > HealthStep.number
        ctx = rules.build_context(case_to_data(p.case), p.config, p.now)
        # What the patient is told about each medicine that stops, said where the medicine is listed.
        stops = {
            stop.medication.name: stop_sentence(stop, ctx.tz)
            for stop in rules.medicine_stops(ctx)
            if stop.last_dose_on is not None or stop.last_dose_at is not None or stop.keep_taking
        }
        return {
            "medications": [
                (
                    m,
                    medicine_words(
                        p.config.read(m.name), stop=stops.get(m.name, ""), planned=bool(m.last_dose_planned)
                    ),
                )
                for m in p.case.medications.all()
            ],
            "allergies": list(p.case.allergies.all()),
            "intake": p.intake,
            "driver": getattr(p.case, "driver", None),
            "ask_pregnancy": selectors.asks_pregnancy(p.case, p.config, p.now),
            "missing": [
                (s.number, s.title, url(s.number))
                for s in STEPS
                if s.url_name in services.intake_missing(case=p.case, health_reached=health_reached)
            ],
            "step_urls": {s.number: url(s.number) for s in STEPS},
            "language_name": forms.LANGUAGE_NAMES.get(p.case.patient.language, ""),
            "categories": dict(forms.ALLERGY_CATEGORIES),
            "severities": dict(forms.SEVERITIES),
            "diabetes": dict(forms.HealthForm.base_fields["diabetes"].choices),
            **instructions_context(p),
        }

    def save(self, request, p, bound, go) -> HttpResponse | None:
        form = bound["form"]
        try:
            services.patient_intake_submit(
                case=p.case,
                version=form.cleaned_data["version"],
                intake_version=form.cleaned_data["intake_version"],
                health_reached=p.furthest_step > HealthStep.number,
                now=p.now,
                config=p.config,
            )
        except services.IntakeIncomplete:
            form.add_error(None, _("Some questions are not answered yet. Please answer them first."))
            return None
        services.progress_record(case=p.case, step=self.number)
        return redirect("intake:done")


STEPS: tuple[Step, ...] = (
    AboutStep(),
    MedicinesStep(),
    AllergiesStep(),
    HealthStep(),
    DriverStep(),
    InstructionsStep(),
    ReviewStep(),
)
STEP_COUNT = len(STEPS)


def step(number: int) -> Step:
    return STEPS[number - 1]


def url(number: int) -> str:
    return reverse(f"intake:{step(number).url_name}")
