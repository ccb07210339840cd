"""Forms for creating and scheduling cases. They validate and lay out; services do the writing."""

from __future__ import annotations

import datetime as dt

from crispy_forms.bootstrap import InlineCheckboxes
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row, Submit
from django import forms
from django.utils import timezone

from checklists import casedata as cd
from checklists import rules
from checklists.catalog import RuleConfig
from checklists.forms.days import validate_clinic_day
from checklists.forms.text import PlainTextForm
from checklists.models import REFERENCE_VALIDATOR, Case, Patient, Room
from checklists.phones import phone_e164

LEVEL_CHOICES = [(level, level) for level in cd.LEVELS]


class CaseForm(PlainTextForm):
    """Patient, procedure and slot in one form; `version` guards an edit against lost updates."""

    first_name = forms.CharField(max_length=cd.NAME_MAX)
    last_name = forms.CharField(max_length=cd.NAME_MAX)
    date_of_birth = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    sex = forms.ChoiceField(choices=Patient._meta.get_field("sex").choices, initial="unknown")
    email = forms.EmailField(required=False)
    phone = forms.CharField(
        max_length=cd.PHONE_INPUT_MAX, required=False, help_text="With country code if not local."
    )
    language = forms.ChoiceField(choices=Patient._meta.get_field("language").choices, initial="en")
    message_channel = forms.ChoiceField(
        label="Messages by",
        required=False,  # left out (a script's post): the patient's choice stays as it is
        choices=Patient.MessageChannel.choices,
        initial=Patient.MessageChannel.EMAIL,
        help_text="Reminders and instructions: with neither, the dashboard says to phone the patient.",
    )
    sms_confirmed = forms.BooleanField(
        required=False,
        label="The patient agreed to text messages at this phone number",
        help_text="Ask them first; they can reply STOP at any time.",
    )

    reference = forms.CharField(
        max_length=cd.REFERENCE_MAX,
        required=False,
        validators=[REFERENCE_VALIDATOR],
        help_text="Leave empty to number it.",
    )
    kind = forms.ChoiceField(choices=Case._meta.get_field("kind").choices, initial="vertebroplasty")
    levels = forms.MultipleChoiceField(
        choices=LEVEL_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text="In spinal order; about an hour each.",
    )
    anesthesia = forms.ChoiceField(
        label="Anaesthesia", choices=Case._meta.get_field("anesthesia").choices, initial="local_sedation"
    )
    contrast_planned = forms.BooleanField(required=False, initial=True, label="Contrast planned")

    room = forms.ModelChoiceField(queryset=Room.objects.filter(is_active=True), required=False)
    start = forms.DateTimeField(
        required=False,
        label="Start time",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Clinic time.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, config: RuleConfig, case: Case | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.case = case
        self.config = config
        if case is not None:
            self.fields["reference"].disabled = True
        self.helper = FormHelper()
        self.helper.form_tag = False  # the template's <form id="case-form"> (the times preview reads it)
        self.helper.layout = Layout(
            Fieldset(
                "Patient",
                Row(Column("first_name"), Column("last_name")),
                Row(Column("date_of_birth"), Column("sex"), Column("language")),
                Row(Column("email"), Column("phone")),
                Row(Column("message_channel"), Column("sms_confirmed")),
            ),
            Fieldset(
                "Procedure",
                Row(Column("reference"), Column("kind"), Column("anesthesia")),
                InlineCheckboxes("levels"),
                "contrast_planned",
            ),
            Fieldset("Slot", Row(Column("room"), Column("start"))),
            "version",
            Submit("save", "Save case" if case else "Create case", css_class="btn-lg"),
        )

    def clean_start(self) -> dt.datetime | None:
        start = self.cleaned_data.get("start")
        if start is not None:
            validate_clinic_day(timezone.localtime(start).date())
        return start

    def clean_message_channel(self) -> str:
        kept = self.case.patient.message_channel if self.case is not None else Patient.MessageChannel.EMAIL
        return self.cleaned_data["message_channel"] or kept

    def clean_phone(self) -> str:
        value = self.cleaned_data["phone"].strip()
        return phone_e164(value) if value else ""

    def clean_date_of_birth(self) -> dt.date:
        born = self.cleaned_data["date_of_birth"]
        if born >= timezone.localdate():
            raise forms.ValidationError("The date of birth must be in the past.")
        return born

    def clean_levels(self) -> list[str]:
        levels = self.cleaned_data["levels"]
        if len(levels) > cd.LEVELS_MAX:
            raise forms.ValidationError(f"Choose at most {cd.LEVELS_MAX} levels.")
        return list(cd.sort_levels(levels))

    def clean_reference(self) -> str:
        reference = self.cleaned_data.get("reference", "").strip()
        if self.case is None and reference and Case.objects.filter(reference=reference).exists():
            raise forms.ValidationError("Another case already has this reference.")
        return reference

    def clean(self) -> dict:
        data = super().clean()
        room, start = data.get("room"), data.get("start")
        if bool(room) != bool(start):
            self.add_error("start" if room else "room", "Choose both a room and a start time, or neither.")
        elif room and start and data.get("levels"):
            self._check_slot(room, start, len(data["levels"]))
        self._check_channel(data)
        return data

    def _check_channel(self, data: dict) -> None:
        """Texts need a phone the patient agreed to (asked when a way was chosen). Email without an
        address, or nothing usable, is allowed: the dashboard then says to phone the patient."""
        if not self.data.get(self.add_prefix("message_channel")):
            return
        if data.get("message_channel") in (Patient.MessageChannel.SMS, Patient.MessageChannel.BOTH):
            if not data.get("phone") and "phone" not in self.errors:
                self.add_error("phone", "Enter the phone number for text messages, or choose email.")
            elif not data.get("sms_confirmed"):
                self.add_error("sms_confirmed", "Ask the patient and tick this, or choose another way.")

    def _check_slot(self, room: Room, start: dt.datetime, levels: int) -> None:
        unchanged = (
            self.case is not None
            and getattr(self.case, "appointment", None) is not None
            and self.case.appointment.start == start
        )
        if start < timezone.now() and not unchanged:
            self.add_error("start", "Choose a start time in the future.")
            return
        local_start = timezone.localtime(start)
        local_end = timezone.localtime(rules.procedure_times(start, levels, self.config).end)
        if (
            local_start.time() < room.opens_at
            or local_end.date() != local_start.date()
            or (local_end.time() > room.closes_at)
        ):
            self.add_error(
                "start",
                f"{room} is open {room.opens_at:%H:%M}–{room.closes_at:%H:%M}; this case would run "
                f"{local_start:%H:%M}–{local_end:%H:%M}.",
            )

    def patient_fields(self) -> dict:
        keys = (
            "first_name",
            "last_name",
            "date_of_birth",
            "sex",
            "email",
            "phone",
            "language",
            "message_channel",
        )
        fields = {key: self.cleaned_data[key] for key in keys}
        fields["sms_confirmed_phone"] = fields["phone"] if self.cleaned_data["sms_confirmed"] else ""
        return fields

    def procedure_fields(self) -> dict:
        keys = ("kind", "levels", "anesthesia", "contrast_planned")
        return {key: self.cleaned_data[key] for key in keys}

    @classmethod
    def initial_for(cls, case: Case) -> dict:
        patient = case.patient
        appointment = getattr(case, "appointment", None)
        active = appointment is not None and appointment.is_active
        return {
            "first_name": patient.first_name,
            "last_name": patient.last_name,
            "date_of_birth": patient.date_of_birth,
            "sex": patient.sex,
            "email": patient.email,
            "phone": patient.phone,
            "language": patient.language,
            "message_channel": patient.message_channel,
            "sms_confirmed": bool(patient.phone) and patient.sms_confirmed_phone == patient.phone,
            "reference": case.reference,
            "kind": case.kind,
            "levels": case.levels,
            "anesthesia": case.anesthesia,
            "contrast_planned": case.contrast_planned,
            "room": appointment.room_id if active else None,
            "start": timezone.localtime(appointment.start) if active else None,
            "version": case.version,
        }
