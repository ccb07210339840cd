"""Template filters for the patient pages."""

from __future__ import annotations

import datetime as dt

from django import template

from intake.instructions import format_day

register = template.Library()


@register.filter
def patient_day(value: dt.date | None) -> str:
    """'Tuesday 24 November' / 'martes 24 de noviembre'."""
    return format_day(value) if value else ""
