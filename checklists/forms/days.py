"""The days a staff form accepts: those an appointment could fall on (casedata's window)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone

from checklists.casedata import appointment_window
from checklists.wording import day_text

OUT_OF_RANGE = "out_of_range"


def validate_clinic_day(day: dt.date) -> None:
    """Refuse a day far outside any appointment (year 9999, year 1): a typo, or a probe."""
    first, last = appointment_window(timezone.localdate())
    if not first <= day <= last:
        raise ValidationError(
            f"Choose a day between {day_text(first)} and {day_text(last)}.", code=OUT_OF_RANGE
        )


def has_out_of_range(form) -> bool:
    """Whether a date the form was given lies outside the window (the view answers 400)."""
    return any(form.has_error(name, OUT_OF_RANGE) for name in form.fields)
