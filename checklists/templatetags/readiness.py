"""Template filters for readiness flags on staff pages."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone

from checklists import wording
from checklists.casedata import FLAG_TITLES

register = template.Library()


@register.filter
def due_text(due: dt.datetime | None) -> str:
    """'Mon 30 Nov 2026 09:00', or for a midnight deadline 'before Mon 30 Nov 2026 begins' (never 00:00)."""
    if due is None:
        return ""
    return wording.due_text(due, timezone.get_current_timezone())


@register.filter
def flag_title(code: str) -> str:
    """'LAB_MISSING' -> 'Lab result missing' (an unknown code as plain words)."""
    return FLAG_TITLES.get(code) or code.replace("_", " ").capitalize()
