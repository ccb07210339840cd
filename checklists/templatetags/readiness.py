"""Template filters for readiness flags on staff pages."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone

from checklists import wording

register = template.Library()


@register.filter
def due_text(due: dt.datetime | None) -> str:
    """'Mon 30 Nov 09:00', or for a midnight deadline 'before Mon 30 Nov begins' (never a bare 00:00)."""
    if due is None:
        return ""
    return wording.due_text(due, timezone.get_current_timezone(), year=False)
