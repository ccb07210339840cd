"""Template filters for the patient pages."""

from __future__ import annotations

import datetime as dt

from django import template

from checklists.wording.patient import day_words

register = template.Library()


@register.filter
def patient_day(value: dt.date | None) -> str:
    """'Tuesday 24 November' / 'martes 24 de noviembre'."""
    return day_words(value) if value else ""
