"""The dashboard's filters and the day view's date picker (GET forms: they only read)."""

from __future__ import annotations

import datetime as dt

from crispy_forms.bootstrap import StrictButton
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import get_language

from checklists.forms.days import validate_clinic_day
from checklists.forms.text import PlainTextForm
from checklists.models import Room
from checklists.selectors.dashboard import OWNERS, DashboardFilters

# How far ahead the dashboard looks by default, and the longest range it evaluates at once
# (every case in the range is judged on each request). Screen settings, not clinical numbers.
DEFAULT_DAYS_AHEAD = 14
MAX_RANGE_DAYS = 92


def _date_input() -> forms.DateInput:
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class DashboardFilterForm(PlainTextForm):
    from_date = forms.DateField(
        label="From", required=False, widget=_date_input(), validators=[validate_clinic_day]
    )
    to_date = forms.DateField(
        label="To", required=False, widget=_date_input(), validators=[validate_clinic_day]
    )
    q = forms.CharField(label="Patient or reference", required=False, max_length=100)
    room = forms.ChoiceField(label="Room", required=False)  # the rooms' names, read once (__init__)
    owner = forms.ChoiceField(
        label="Open flag for",
        required=False,
        choices=[("", "Anyone"), *((owner, owner.capitalize()) for owner in OWNERS)],
    )
    not_ready = forms.BooleanField(label="Not ready only", required=False)

    def __init__(self, data: QueryDict, *, today: dt.date, default_owner: str = "") -> None:
        # Fill the dates the user left out, so the inputs show the range actually listed.
        data = data.copy()
        if "owner" not in data:  # first landing: the user's own items ("Anyone" is sent as owner=)
            data["owner"] = default_owner
        if not data.get("from_date"):
            data["from_date"] = today.isoformat()
        if not data.get("to_date"):
            try:
                to_date = dt.date.fromisoformat(data["from_date"]) + dt.timedelta(days=DEFAULT_DAYS_AHEAD)
            except (ValueError, OverflowError):  # unreadable, or at the end of the calendar
                to_date = today + dt.timedelta(days=DEFAULT_DAYS_AHEAD)
            data["to_date"] = to_date.isoformat()
        super().__init__(data)
        self.today = today
        self.rooms = {room.name: room for room in Room.objects.order_by("name")}
        rooms = [(name, str(room)) for name, room in self.rooms.items()]
        self.fields["room"].choices = [("", "Any room"), *rooms]
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_action = reverse("checklists:dashboard")
        self.helper.attrs = {"aria-label": "Filter cases"}
        self.helper.layout = Layout(
            Row(
                Column("from_date", css_class="col-6 col-md-3 col-xl-2"),
                Column("to_date", css_class="col-6 col-md-3 col-xl-2"),
                Column("q", css_class="col-12 col-md-6 col-xl-3"),
                Column("room", css_class="col-6 col-md-4 col-xl-2"),
                Column("owner", css_class="col-6 col-md-4 col-xl-2"),
                Column("not_ready", css_class="col-12 col-md-4 col-xl-1 d-flex align-items-center"),
            ),
            StrictButton("Show cases", type="submit", css_class="btn-primary"),
        )

    def clean_room(self) -> Room | None:
        return self.rooms.get(self.cleaned_data["room"])

    @property
    def fragment_key(self) -> str:
        """Everything the form's HTML is made of (what was asked, its errors, the rooms to choose
        from, the language), so the page may keep it rendered (`{% cache %}`) and never stale."""
        self.is_valid()
        asked = (sorted(self.data.lists()), self.errors.get_json_data())
        return repr((asked, self.fields["room"].choices, get_language()))

    def clean(self) -> dict:
        cleaned = super().clean()
        first, last = cleaned.get("from_date"), cleaned.get("to_date")
        if first and last and last < first:
            self.add_error("to_date", "Choose a date on or after the From date.")
        elif first and last and (last - first).days >= MAX_RANGE_DAYS:
            self.add_error("to_date", f"Choose at most {MAX_RANGE_DAYS} days at a time.")
        return cleaned

    def filters(self) -> DashboardFilters:
        """The valid filters; a field with an error falls back to its default."""
        self.is_valid()
        data = self.cleaned_data
        first = data.get("from_date") or self.today
        return DashboardFilters(
            from_date=first,
            to_date=data.get("to_date") or first + dt.timedelta(days=DEFAULT_DAYS_AHEAD),
            not_ready=bool(data.get("not_ready")),
            owner=data.get("owner") or "",
            room=data.get("room"),
            search=(data.get("q") or "").strip(),
        )


class DayViewDateForm(PlainTextForm):
    date = forms.DateField(
        label="Day", required=False, widget=_date_input(), validators=[validate_clinic_day]
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_action = reverse("checklists:schedule")
        self.helper.form_class = "d-flex align-items-end gap-2"
        self.helper.attrs = {"aria-label": "Choose a day"}
        self.helper.layout = Layout(
            "date", StrictButton("Show day", type="submit", css_class="btn-primary mb-3")
        )

    def day(self, today: dt.date) -> dt.date:
        """The requested day, or `today` when none (or an unreadable one) was given."""
        return (self.cleaned_data.get("date") if self.is_valid() else None) or today
