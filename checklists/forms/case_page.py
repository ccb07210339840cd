"""Forms of the case page. They validate and lay out (crispy, Bootstrap 5); services write.

Every edit form carries the version it was read at, so a save based on an out-of-date page is
refused instead of overwriting someone else's change.
"""

from __future__ import annotations

import datetime as dt
import itertools

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Field, Fieldset, Layout, Row
from crispy_forms.layout import Submit as _CrispySubmit
from django import forms
from django.utils import timezone

from checklists import casedata as cd
from checklists.forms.answers import bool_for
from checklists.forms.text import PlainTextForm
from checklists.models import Allergy, Intake, LabResult
from checklists.phones import phone_e164
from checklists.services.case_page import NKA_WITH_ALLERGIES
from checklists.services.signoffs import item_label

_HX_FLAGS = {"data-hx-target": "#case-flags", "data-hx-swap": "outerHTML"}
YES_NO_UNSURE = [("yes", "Yes"), ("no", "No"), ("unsure", "Unsure")]


_button_ids = itertools.count(1)


class Submit(_CrispySubmit):
    """A submit button whose colour is only what `css_class` says (crispy adds btn-primary), with
    an id of its own: the case page holds many forms whose buttons share a name."""

    field_classes = "btn"

    def __init__(self, name: str, value: str, **kwargs) -> None:
        kwargs.setdefault("css_id", f"submit-{name}-{next(_button_ids)}")
        super().__init__(name, value, **kwargs)


def _own_version_id(form: forms.Form, name: str) -> None:
    """The hidden `version` field gets an id naming its form (several forms share one page)."""
    form.fields["version"].widget.attrs["id"] = f"id_{name}_version"


def _helper(action: str, *layout, htmx: bool = False, **attrs: str) -> FormHelper:
    helper = FormHelper()
    helper.form_action = action
    helper.attrs = {"novalidate": "", **attrs}
    if htmx:
        helper.attrs |= {"data-hx-post": action, **_HX_FLAGS}
    helper.layout = Layout(*layout)
    return helper


class VersionForm(PlainTextForm):
    """Only the version read; for buttons (confirm the driver) and around formsets."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, action: str = "", button: str = "", css_class: str = "btn-primary", **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            action, "version", *([Submit("go", button, css_class=css_class)] if button else [])
        )
        if not button:
            self.helper.form_tag = False


class SignOffForm(PlainTextForm):
    """Record a sign-off; `items` are the ones this user may record.

    From a medicine's flag the form names the line (`medication`), and a plan asks for the last
    dose day (prefilled with the computed one) or "keep taking it".
    """

    PLAN_CHOICES = [("stop", "Stop: last dose on the day below"), ("continue", "Keep taking it (no stop)")]

    item = forms.ChoiceField(label="Sign-off", choices=())
    medication = forms.IntegerField(widget=forms.HiddenInput, required=False)
    plan = forms.ChoiceField(label="Plan", choices=PLAN_CHOICES, widget=forms.RadioSelect, required=False)
    last_dose_on = forms.DateField(
        label="Last dose day",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Prefilled with the computed day; choose another if the plan differs.",
    )
    computed_last_dose_on = forms.DateField(widget=forms.HiddenInput, required=False)
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=cd.NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What was done or decided, e.g. the plan given.",
    )

    def __init__(
        self,
        *args,
        items: list[str],
        action: str,
        hidden_item: bool = False,
        medication_id: int | None = None,
        medication_name: str = "",
        plan: bool = False,
        computed_last_dose_on: dt.date | None = None,
        **kwargs,
    ):
        initial = kwargs.pop("initial", {}) or {}
        if medication_id is not None:
            initial["medication"] = medication_id
        if plan:
            initial |= {
                "plan": "stop" if computed_last_dose_on else "continue",
                "last_dose_on": computed_last_dose_on,
                "computed_last_dose_on": computed_last_dose_on,
            }
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["item"].choices = [(item, item_label(item)) for item in items]
        if hidden_item:
            self.fields["item"].widget = forms.HiddenInput()
            self.fields["note"].widget.attrs["rows"] = 1
            self.fields["note"].help_text = ""
        fields = ["item", "medication"]
        if plan:
            fields += ["plan", "last_dose_on", "computed_last_dose_on"]
        else:
            for name in ("plan", "last_dose_on", "computed_last_dose_on"):
                del self.fields[name]
        label = item_label(items[0]) if hidden_item and items else ""
        if label and medication_name:
            label = f"{label} for {medication_name}"
        button = f"Record: {label}" if label else "Record sign-off"
        self.helper = _helper(
            action, *fields, "note", Submit("record", button, css_class="btn-success"), htmx=True
        )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("plan") == "stop" and not data.get("last_dose_on") and "last_dose_on" in self.fields:
            self.add_error("last_dose_on", "Give the last dose day, or choose “Keep taking it”.")
        return data

    def plan_values(self) -> tuple[dt.date | None, bool]:
        """(last_dose_on, keep_taking) for the service: None when the computed day was kept."""
        data = self.cleaned_data
        if "plan" not in self.fields:
            return None, False
        if data.get("plan") == "continue":
            return None, True
        day = data.get("last_dose_on")
        return (None if day == data.get("computed_last_dose_on") else day), False


class ResolveMedicationForm(PlainTextForm):
    """ "This is <drug>": the typed words become a name of that drug for the whole clinic."""

    line = forms.IntegerField(widget=forms.HiddenInput)
    drug = forms.ChoiceField(label="This medicine is", choices=())
    confirm = forms.BooleanField(label="", required=True)

    def __init__(
        self,
        *args,
        action: str,
        drugs: list[tuple[str, str]],
        suggestion,
        typed: str,
        line_id: int | None = None,
        **kwargs,
    ):
        initial = {"line": line_id, **({"drug": suggestion.drug.name} if suggestion is not None else {})}
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["drug"].choices = [("", "Choose the drug…"), *drugs]
        self.fields[
            "confirm"
        ].label = f"Add “{typed}” as a name of this drug for the whole clinic (every case, from now on)"
        self.fields["confirm"].error_messages["required"] = "Tick the box to confirm the new name."
        self.helper = _helper(
            action,
            "line",
            Row(Column("drug", css_class="col-md-5"), Column("confirm", css_class="col-md-7")),
            Submit("resolve", "Add the name", css_class="btn-primary"),
            htmx=True,
        )


class WithdrawSignOffForm(PlainTextForm):
    """A withdraw button (the item is in the URL; a per-medicine sign-off also posts its id)."""

    signoff = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, action: str, item: str, signoff_id: int | None = None, **kwargs):
        super().__init__(*args, initial={"signoff": signoff_id}, **kwargs)
        self.helper = _helper(
            action,
            "signoff",
            # Short on screen (the row names the item); the full name for screen readers.
            Submit(
                "withdraw",
                "Withdraw",
                css_class="btn-outline-danger btn-sm",
                aria_label=f"Withdraw: {item_label(item)}",
            ),
            htmx=True,
        )


class DriverForm(PlainTextForm):
    name = forms.CharField(label="Driver's name", max_length=cd.NAME_MAX)
    relationship = forms.CharField(
        max_length=cd.RELATIONSHIP_MAX, required=False, help_text="e.g. daughter, friend"
    )
    phone = forms.CharField(
        label="Driver's phone",
        max_length=cd.PHONE_INPUT_MAX,
        help_text="With the country code if not a local number.",
    )
    email = forms.EmailField(
        label="Driver's email",
        required=False,
        help_text="Optional: their link goes here if the phone takes no texts.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, action: str, **kwargs):
        super().__init__(*args, **kwargs)
        _own_version_id(self, "driver")
        self.helper = _helper(
            action,
            Row(Column("name"), Column("relationship"), Column("phone"), Column("email")),
            "version",
            Submit("save", "Save driver", css_class="btn-primary btn-lg"),
        )

    def clean_phone(self) -> str:
        return phone_e164(self.cleaned_data["phone"].strip())


class LabResultForm(PlainTextForm):
    test = forms.ChoiceField(choices=LabResult._meta.get_field("test").choices)
    value = forms.FloatField(min_value=0, help_text="INR as a ratio; platelets ×10⁹/L; eGFR mL/min/1.73 m².")
    taken_on = forms.DateField(label="Taken on", widget=forms.DateInput(attrs={"type": "date"}))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, action: str, **kwargs):
        super().__init__(*args, **kwargs)
        _own_version_id(self, "lab")
        self.helper = _helper(
            action,
            Row(Column("test"), Column("value"), Column("taken_on")),
            "version",
            Submit("add", "Add lab result", css_class="btn-primary btn-lg"),
        )

    def clean_taken_on(self) -> dt.date:
        taken_on = self.cleaned_data["taken_on"]
        if taken_on > timezone.localdate():
            raise forms.ValidationError("The date a sample was taken cannot be in the future.")
        return taken_on


class MedicationForm(PlainTextForm):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label="Medicine", max_length=cd.TEXT_MAX, help_text="As the patient says it.")
    dose = forms.CharField(max_length=cd.TEXT_MAX, required=False)
    frequency = forms.CharField(max_length=cd.TEXT_MAX, required=False)
    last_dose_planned = forms.DateField(
        label="Last dose planned", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class AllergyForm(PlainTextForm):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # An empty first choice, so the blank line for a new allergy stays blank unless filled in.
    category = forms.ChoiceField(choices=[("", "Choose…"), *Allergy._meta.get_field("category").choices])
    substance = forms.CharField(max_length=cd.TEXT_MAX, required=False)
    reaction = forms.CharField(max_length=cd.TEXT_MAX, required=False)
    severity = forms.ChoiceField(choices=Allergy._meta.get_field("severity").choices, initial="unknown")


class _LinesFormSet(forms.BaseFormSet):
    """A list editor: one fieldset per line, a 'Remove' box on each, one empty line to add."""

    legend = "Line"
    fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Fieldset(
                f"{self.legend} {{{{ forloop.counter }}}}",
                "id",
                Row(*(Column(name) for name in self.fields)),
                Field("DELETE"),
                css_class="border rounded p-2 mb-2",
            )
        )

    def add_fields(self, form, index) -> None:
        super().add_fields(form, index)
        form.fields["DELETE"].label = f"Remove this {self.legend.lower()}"


class _MedicationFormSet(_LinesFormSet):
    legend = "Medicine"
    fields = ("name", "dose", "frequency", "last_dose_planned")


class _AllergyFormSet(_LinesFormSet):
    legend = "Allergy"
    fields = ("category", "substance", "reaction", "severity")


MedicationFormSet = forms.formset_factory(
    MedicationForm, formset=_MedicationFormSet, extra=1, can_delete=True
)
AllergyFormSet = forms.formset_factory(AllergyForm, formset=_AllergyFormSet, extra=1, can_delete=True)


class IntakeForm(PlainTextForm):
    """The intake questions, asked by phone and entered for the patient."""

    medications_complete = forms.BooleanField(
        required=False, label="The patient confirms the medicine list (including supplements) is complete"
    )
    no_known_allergies = forms.BooleanField(required=False, label="The patient has no known allergies")
    fasting_acknowledged = forms.BooleanField(
        required=False, label="The patient has heard and understood the fasting and medicine instructions"
    )
    can_lie_prone = forms.TypedChoiceField(
        label="Can the patient lie face down for about an hour?",
        choices=YES_NO_UNSURE,
        coerce=bool_for,
        widget=forms.RadioSelect,
    )
    infection_symptoms = forms.BooleanField(
        required=False, label="The patient has a fever or an infection being treated now"
    )
    pregnant = forms.TypedChoiceField(
        label="Could the patient be pregnant?",
        choices=YES_NO_UNSURE,
        coerce=bool_for,
        widget=forms.RadioSelect,
    )
    diabetes = forms.ChoiceField(
        label="Diabetes", choices=Intake._meta.get_field("diabetes").choices, widget=forms.RadioSelect
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    TRI_STATE = ("can_lie_prone", "pregnant")

    def __init__(
        self, *args, action: str, allergies_listed: bool, submitted: bool, pregnancy_age_below: int, **kwargs
    ):
        super().__init__(*args, **kwargs)
        _own_version_id(self, "intake")
        self.allergies_listed = allergies_listed
        self.fields["pregnant"].help_text = (
            f"Asked of patients not recorded as male under {pregnancy_age_below} (the clinic's setting); "
            "the answer is kept whoever gives it."
        )
        buttons = [Submit("save", "Save answers", css_class="btn-primary btn-lg me-2")]
        if not submitted:
            buttons.append(Submit("submit", "Save and mark intake submitted", css_class="btn-success btn-lg"))
        self.helper = _helper(
            action,
            "medications_complete",
            "no_known_allergies",
            "fasting_acknowledged",
            Row(Column("can_lie_prone"), Column("pregnant"), Column("diabetes")),
            "infection_symptoms",
            "version",
            *buttons,
        )

    def clean_no_known_allergies(self) -> bool:
        value = self.cleaned_data["no_known_allergies"]
        if value and self.allergies_listed:
            raise forms.ValidationError(NKA_WITH_ALLERGIES)
        return value
