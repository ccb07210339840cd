"""The patient's forms: plain labels in their language, one question group per step.

They validate and lay out only; `intake.services` writes. Every step form carries the versions it
was read at (`version` of the case, `intake_version` of the answers), so a save based on a page
the clinic has changed since is refused instead of overwriting the clinic's change.
"""

from __future__ import annotations

import datetime as dt

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Layout
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from checklists import casedata as cd
from checklists import phones
from checklists.forms.rows import formset_rows
from checklists.forms.text import PlainTextForm
from checklists.services.case_page import AllergyRow

YES_NO_UNSURE = [("yes", _("Yes")), ("no", _("No")), ("unsure", _("Not sure"))]
YES_NO = [("yes", _("Yes")), ("no", _("No"))]
MONTHS = [
    ("", _("Choose the month")),
    (1, _("January")),
    (2, _("February")),
    (3, _("March")),
    (4, _("April")),
    (5, _("May")),
    (6, _("June")),
    (7, _("July")),
    (8, _("August")),
    (9, _("September")),
    (10, _("October")),
    (11, _("November")),
    (12, _("December")),
]


def _helper(*fields) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.layout = Layout(*fields)
    return helper


def patient_phone(value: str) -> str:
    """E.164 by the one phone rule (`checklists.phones`), refused in the patient's words."""
    try:
        return phones.to_e164(value, settings.CLINIC_PHONE_REGION)
    except phones.PhoneError as exc:
        if exc.reason == phones.EXTENSION:
            message = _("Please give a phone number without an extension: one that rings straight through.")
        else:
            message = _("Enter a phone number with its area code, for example 555 123 4567.")
        raise ValidationError(message, code="phone") from exc


class VersionsForm(PlainTextForm):
    """The versions the page was read at; every step form includes these."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    intake_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


# --- Date of birth -------------------------------------------------------------------------------


class DateOfBirthForm(PlainTextForm):
    """Day, month (by name) and year: easier than a calendar picker for a date decades ago."""

    day = forms.IntegerField(label=_("Day"), min_value=1, max_value=31)
    month = forms.TypedChoiceField(label=_("Month"), choices=MONTHS, coerce=int)
    year = forms.IntegerField(label=_("Year"), min_value=1900, max_value=2100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any error is shown once, for the whole date, in words a patient can act on.
        for field in self.fields.values():
            field.error_messages = {
                key: _("Enter your date of birth as day, month and year, for example 27 March 1948.")
                for key in ("required", "invalid", "min_value", "max_value", "invalid_choice")
            }

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            data["date_of_birth"] = dt.date(data["year"], data["month"], data["day"])
        except ValueError as exc:
            raise ValidationError(
                _("That date does not exist. Please check the day and the month."), code="invalid_date"
            ) from exc
        return data

    @property
    def date_error(self) -> str:
        """The one message to show for the date, whichever part is wrong."""
        for errors in self.errors.values():
            return errors[0]
        return ""


# --- Step 1: about you ---------------------------------------------------------------------------


class DetailsForm(VersionsForm):
    first_name = forms.CharField(label=_("First name"), max_length=cd.NAME_MAX)
    last_name = forms.CharField(label=_("Last name"), max_length=cd.NAME_MAX)
    phone = forms.CharField(
        label=_("Your phone number"),
        max_length=cd.PHONE_INPUT_MAX,
        help_text=_("The clinic will call you on this number if needed."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    email = forms.EmailField(
        label=_("Your email address (if you have one)"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    language = forms.ChoiceField(
        label=_("Which language should we use?"),
        choices=[("en", "English"), ("es", "Español")],
        widget=forms.RadioSelect,
    )
    message_channel = forms.ChoiceField(
        label=_("How should the clinic send you reminders?"),
        choices=[
            ("sms", _("Text messages to this phone")),
            ("email", _("Email")),
            ("both", _("Both text messages and email")),
            ("none", _("No messages: please phone me")),
        ],
        widget=forms.RadioSelect,
        help_text=_(
            "Choosing text messages means you agree to receive them at this number. Reply STOP to end them."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["first_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["last_name"].widget.attrs["autocomplete"] = "family-name"
        for name in ("first_name", "last_name", "phone"):
            self.fields[name].error_messages["required"] = _("Please fill this in.")
        self.fields["email"].error_messages["invalid"] = _(
            "Enter an email address like name@example.com, or leave this empty."
        )
        self.fields["message_channel"].error_messages["required"] = _("Please choose one.")
        self.helper = _helper(
            "first_name",
            "last_name",
            "phone",
            "email",
            "language",
            "message_channel",
            "version",
            "intake_version",
        )

    def clean_phone(self) -> str:
        return patient_phone(self.cleaned_data["phone"])

    def clean(self):
        data = super().clean()
        if (
            data.get("message_channel") in ("email", "both")
            and not data.get("email")
            and "email" not in self.errors
        ):
            self.add_error(
                "email", _("Please add your email address, or choose text messages or a phone call.")
            )
        return data

    def clean_first_name(self) -> str:
        return self.cleaned_data["first_name"].strip()

    def clean_last_name(self) -> str:
        return self.cleaned_data["last_name"].strip()


# --- Step 2: medicines ---------------------------------------------------------------------------


class MedicationForm(PlainTextForm):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(
        label=_("Medicine name"),
        max_length=cd.TEXT_MAX,
        required=False,
        help_text=_("As it is written on the box, for example Eliquis or fish oil."),
    )
    dose = forms.CharField(
        label=_("How much you take"),
        max_length=cd.TEXT_MAX,
        required=False,
        help_text=_("For example 5 mg or 1 tablet."),
    )
    frequency = forms.CharField(
        label=_("How often"), max_length=cd.TEXT_MAX, required=False, help_text=_("For example twice a day.")
    )
    last_dose_planned = forms.DateField(
        label=_("When will you take your last dose before the procedure?"),
        required=False,
        help_text=_("Leave this empty if you do not know yet."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, ask_last_dose: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.ask_last_dose = ask_last_dose
        if not ask_last_dose:
            # Kept (a date staff recorded stays), but only asked for medicines that must be stopped.
            self.fields["last_dose_planned"].widget = forms.HiddenInput()
        self.fields["last_dose_planned"].error_messages["invalid"] = _(
            "Enter a date, for example 23 November."
        )
        # As the patient types, the name is looked up and named back in plain words (htmx).
        hint = {
            "autocomplete": "off",
            "data-hx-get": reverse("intake:medicine_hint"),
            "data-hx-trigger": "input changed delay:500ms",
            "data-hx-target": f"#hint-{self.prefix}",
        }
        fields = ["id", Field("name", **hint), "dose", "frequency", "last_dose_planned"]
        self.helper = _helper(*fields)

    def clean(self):
        data = super().clean()
        filled = any((data.get(f) or "") != "" for f in ("dose", "frequency")) or data.get(
            "last_dose_planned"
        )
        if not (data.get("name") or "").strip() and (filled or data.get("id")) and not data.get("DELETE"):
            self.add_error("name", _("Write the medicine's name, or tick “Remove this medicine”."))
        return data


class _PatientFormSet(forms.BaseFormSet):
    remove_label = ""

    def add_fields(self, form, index) -> None:
        super().add_fields(form, index)
        form.fields["DELETE"].label = self.remove_label
        if index is not None and index < self.initial_form_count():
            form.helper.layout.append("DELETE")  # only a saved line can be removed


class _MedicationFormSet(_PatientFormSet):
    remove_label = _("Remove this medicine")

    def __init__(self, *args, ask_last_dose: list[bool] | None = None, **kwargs):
        self.ask_last_dose = ask_last_dose or []
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        kwargs["ask_last_dose"] = (
            index is not None and index < len(self.ask_last_dose) and self.ask_last_dose[index]
        )
        return kwargs


MedicationFormSet = forms.formset_factory(
    MedicationForm, formset=_MedicationFormSet, extra=1, can_delete=True, max_num=60
)


class MedicationsStepForm(VersionsForm):
    medications_complete = forms.BooleanField(
        label=_("This list includes every medicine, vitamin and supplement I take."),
        required=False,
        help_text=_(
            "Include tablets, injections, inhalers, creams, vitamins and herbal products. "
            "If you take no medicines at all, tick this box too."
        ),
    )

    def __init__(self, *args, go: str | None = None, formset: forms.BaseFormSet | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.go, self.formset = go, formset
        self.helper = _helper("medications_complete", "version", "intake_version")

    def clean(self):
        data = super().clean()
        if self.formset is None or not self.formset.is_valid():
            return data  # the lines' own errors first
        # Moving on needs the list confirmed; adding a line or going back does not.
        if not data.get("medications_complete") and self.go not in ("add", "back"):
            self.add_error(
                "medications_complete",
                _("Please tick this box when the list has everything you take (or if you take nothing)."),
            )
        return data


# --- Step 3: allergies ---------------------------------------------------------------------------

ALLERGY_CATEGORIES = [
    ("", _("Choose what you are allergic to")),
    ("iodinated_contrast", _("Contrast dye for X-rays or scans (iodine)")),
    ("local_anesthetic", _("Numbing medicine (local anaesthetic, for example lidocaine)")),
    ("general_anesthetic", _("Anaesthesia (medicine to put you to sleep)")),
    ("sedative", _("Sedation (medicine to make you sleepy or calm)")),
    ("latex", _("Latex (rubber gloves, balloons)")),
    ("other", _("Something else (a medicine, food or other)")),
]
SEVERITIES = [
    ("mild", _("Mild (for example a small rash)")),
    ("moderate", _("Moderate (needed treatment)")),
    ("severe", _("Severe (trouble breathing, swelling, or hospital)")),
    ("unknown", _("Not sure")),
]


class AllergyForm(PlainTextForm):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    category = forms.ChoiceField(label=_("Allergic to"), choices=ALLERGY_CATEGORIES, required=False)
    substance = forms.CharField(
        label=_("What exactly, if you know"),
        max_length=cd.TEXT_MAX,
        required=False,
        help_text=_("For example penicillin or lidocaine."),
    )
    reaction = forms.CharField(
        label=_("What happened?"),
        max_length=cd.TEXT_MAX,
        required=False,
        help_text=_("For example hives or swelling."),
    )
    severity = forms.ChoiceField(
        label=_("How bad was it?"), choices=SEVERITIES, initial="unknown", widget=forms.RadioSelect
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["severity"].required = False
        self.helper = _helper("id", "category", "substance", "reaction", "severity")

    def clean(self):
        data = super().clean()
        data["severity"] = data.get("severity") or "unknown"
        filled = (data.get("substance") or "").strip() or (data.get("reaction") or "").strip()
        if not data.get("category") and (filled or data.get("id")) and not data.get("DELETE"):
            self.add_error("category", _("Choose what you are allergic to, or tick “Remove this allergy”."))
        return data

    def has_changed(self) -> bool:
        # The pre-chosen "Not sure" alone does not make a blank line an allergy.
        return any(name != "severity" for name in self.changed_data)


class _AllergyFormSet(_PatientFormSet):
    remove_label = _("Remove this allergy")


AllergyFormSet = forms.formset_factory(
    AllergyForm, formset=_AllergyFormSet, extra=1, can_delete=True, max_num=30
)


class AllergiesStepForm(VersionsForm):
    no_allergies = forms.BooleanField(label=_("I have no allergies"), required=False)

    def __init__(self, *args, go: str | None = None, formset: forms.BaseFormSet | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.go, self.formset = go, formset
        self.helper = _helper("no_allergies", "version", "intake_version")

    def clean(self):
        data = super().clean()
        if self.formset is None or not self.formset.is_valid():
            return data  # the lines' own errors first
        listed = self._listed()
        if data.get("no_allergies") and listed:
            self.add_error(
                "no_allergies", _("You have listed an allergy. Remove it, or untick “I have no allergies”.")
            )
        elif not data.get("no_allergies") and not listed and self.go not in ("add", "back"):
            self.add_error(
                "no_allergies", _("Please tell us about your allergy above, or tick “I have no allergies”.")
            )
        return data

    def _listed(self) -> bool:
        """An allergy kept on the page: a line the service would keep (`formset_rows`), not removed."""
        return any(not row.delete for row in formset_rows(self.formset, AllergyRow))


# --- Step 4: health questions --------------------------------------------------------------------


class HealthForm(VersionsForm):
    can_lie_prone = forms.ChoiceField(
        label=_("Can you lie on your stomach for about an hour?"),
        help_text=_("The procedure is done while you lie face down."),
        choices=YES_NO_UNSURE,
        widget=forms.RadioSelect,
    )
    infection_symptoms = forms.ChoiceField(
        label=_("Do you have a fever or an infection now?"),
        help_text=_("Say yes also if you are taking antibiotics for an infection."),
        choices=YES_NO,
        widget=forms.RadioSelect,
    )
    diabetes = forms.ChoiceField(
        label=_("Do you have diabetes?"),
        choices=[
            ("none", _("No, I do not have diabetes")),
            ("diet", _("Yes, controlled by diet only")),
            ("tablets", _("Yes, I take tablets for it")),
            ("insulin", _("Yes, I use insulin")),
        ],
        widget=forms.RadioSelect,
    )
    pregnant = forms.ChoiceField(
        label=_("Could you be pregnant?"),
        help_text=_("The procedure uses X-rays, which can harm an unborn baby."),
        choices=YES_NO_UNSURE,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, ask_pregnancy: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not ask_pregnancy:
            del self.fields["pregnant"]
        for field in self.fields.values():
            field.error_messages["required"] = _("Please choose an answer.")
        self.helper = _helper(*self.fields)


# --- Step 5: driver ------------------------------------------------------------------------------


class DriverForm(VersionsForm):
    name = forms.CharField(label=_("Your driver's name"), max_length=cd.NAME_MAX, required=False)
    relationship = forms.CharField(
        label=_("How do you know them?"),
        max_length=cd.RELATIONSHIP_MAX,
        required=False,
        help_text=_("For example daughter, husband or neighbour."),
    )
    phone = forms.CharField(
        label=_("Your driver's phone number"),
        max_length=cd.PHONE_INPUT_MAX,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel"}),
        help_text=_("The clinic will text them a link to say whether they can drive you."),
    )
    email = forms.EmailField(
        label=_("Your driver's email address (if you know it)"),
        required=False,
        help_text=_("Used only if their phone cannot receive text messages."),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].error_messages["invalid"] = _(
            "Enter an email address like name@example.com, or leave this empty."
        )
        self.helper = _helper("name", "relationship", "phone", "email", "version", "intake_version")

    def clean(self):
        data = super().clean()
        name, phone = (data.get("name") or "").strip(), (data.get("phone") or "").strip()
        if not (name or phone or (data.get("relationship") or "").strip() or data.get("email")):
            data["skip"] = True  # nobody yet: the patient may add the driver later
            return data
        data["skip"] = False
        if not name:
            self.add_error("name", _("Please write your driver's name."))
        if not phone:
            self.add_error("phone", _("Please write your driver's phone number."))
        elif "phone" not in self.errors:
            try:
                data["phone"] = patient_phone(phone)
            except ValidationError as exc:
                self.add_error("phone", exc)
        return data


# --- Step 6 and 7 --------------------------------------------------------------------------------


class AcknowledgeForm(VersionsForm):
    fasting_acknowledged = forms.BooleanField(
        label=_("I have read and understand these instructions."),
        error_messages={"required": _("Please tick this box to say you have read the instructions.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("fasting_acknowledged", "version", "intake_version")


class SubmitForm(VersionsForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("version", "intake_version")


LANGUAGE_NAMES = {"en": "English", "es": "Español"}
