"""Forms of the case page. They validate and lay out (crispy, Bootstrap 5); services write.

Every edit form carries the version it was read at, so a save based on an out-of-date page is
refused instead of overwriting someone else's change.
"""

from __future__ import annotations

import datetime as dt

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Field, Fieldset, Layout, Row
from crispy_forms.layout import Submit as _CrispySubmit
from django import forms
from django.utils import timezone

from checklists.models import Allergy, Intake, LabResult
from checklists.services_casework import NKA_WITH_ALLERGIES, item_label, phone_e164

_HX_FLAGS = {"hx-target": "#case-flags", "hx-swap": "outerHTML"}
YES_NO_UNSURE = [("yes", "Yes"), ("no", "No"), ("unsure", "Unsure")]
_ANSWER_TO_BOOL = {"yes": True, "no": False, "unsure": None}


class Submit(_CrispySubmit):
    """A submit button whose colour is only what `css_class` says (crispy adds btn-primary)."""

    field_classes = "btn"


def answer_for(value: bool | None) -> str:
    """The radio value for a yes / no / unsure answer stored as True / False / None."""
    return {True: "yes", False: "no", None: "unsure"}[value]


def _helper(action: str, *layout, htmx: bool = False, **attrs: str) -> FormHelper:
    helper = FormHelper()
    helper.form_action = action
    helper.attrs = {"novalidate": "", **attrs}
    if htmx:
        helper.attrs |= {"hx-post": action, **_HX_FLAGS}
    helper.layout = Layout(*layout)
    return helper


class VersionForm(forms.Form):
    """Only the version read; for buttons (confirm the driver) and around formsets."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, action: str = "", button: str = "", css_class: str = "btn-primary", **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            action, "version", *([Submit("go", button, css_class=css_class)] if button else [])
        )
        if not button:
            self.helper.form_tag = False


class SignOffForm(forms.Form):
    """Record a sign-off; `items` are the ones this user may record."""

    item = forms.ChoiceField(label="Sign-off", choices=())
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What was done or decided, e.g. the plan given.",
    )

    def __init__(self, *args, items: list[str], action: str, hidden_item: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [(item, item_label(item)) for item in items]
        if hidden_item:
            self.fields["item"].widget = forms.HiddenInput()
            self.fields["note"].widget.attrs["rows"] = 1
            self.fields["note"].help_text = ""
        button = f"Record: {item_label(items[0])}" if hidden_item and items else "Record sign-off"
        self.helper = _helper(
            action, "item", "note", Submit("record", button, css_class="btn-success"), htmx=True
        )


class WithdrawSignOffForm(forms.Form):
    """A withdraw button (the item is in the URL)."""

    def __init__(self, *args, action: str, item: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            action,
            Submit("withdraw", f"Withdraw: {item_label(item)}", css_class="btn-outline-danger"),
            htmx=True,
        )


class DriverForm(forms.Form):
    name = forms.CharField(label="Driver's name", max_length=100)
    relationship = forms.CharField(max_length=100, required=False, help_text="e.g. daughter, friend")
    phone = forms.CharField(
        label="Driver's phone", max_length=30, help_text="With the country code if not a local number."
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, action: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            action,
            Row(Column("name"), Column("relationship"), Column("phone")),
            "version",
            Submit("save", "Save driver", css_class="btn-primary btn-lg"),
        )

    def clean_phone(self) -> str:
        return phone_e164(self.cleaned_data["phone"].strip())


class LabResultForm(forms.Form):
    test = forms.ChoiceField(choices=LabResult._meta.get_field("test").choices)
    value = forms.FloatField(min_value=0, help_text="INR as a ratio; platelets ×10⁹/L; eGFR mL/min/1.73 m².")
    taken_on = forms.DateField(label="Taken on", widget=forms.DateInput(attrs={"type": "date"}))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, action: str, **kwargs):
        super().__init__(*args, **kwargs)
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


class MedicationForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label="Medicine", max_length=200, help_text="As the patient says it.")
    dose = forms.CharField(max_length=200, required=False)
    frequency = forms.CharField(max_length=200, required=False)
    last_dose_planned = forms.DateField(
        label="Last dose planned", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class AllergyForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # An empty first choice, so the blank line for a new allergy stays blank unless filled in.
    category = forms.ChoiceField(choices=[("", "Choose…"), *Allergy._meta.get_field("category").choices])
    substance = forms.CharField(max_length=200, required=False)
    reaction = forms.CharField(max_length=200, required=False)
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


class IntakeForm(forms.Form):
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
        coerce=_ANSWER_TO_BOOL.__getitem__,
        widget=forms.RadioSelect,
    )
    infection_symptoms = forms.BooleanField(
        required=False, label="The patient has a fever or an infection being treated now"
    )
    pregnant = forms.TypedChoiceField(
        label="Could the patient be pregnant?",
        choices=YES_NO_UNSURE,
        coerce=_ANSWER_TO_BOOL.__getitem__,
        widget=forms.RadioSelect,
        help_text="Asked of women under 55; the answer is kept whoever gives it.",
    )
    diabetes = forms.ChoiceField(
        label="Diabetes", choices=Intake._meta.get_field("diabetes").choices, widget=forms.RadioSelect
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, action: str, allergies_listed: bool, submitted: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.allergies_listed = allergies_listed
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
