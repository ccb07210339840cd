"""`{% intake_link_panel case %}`: the case page's intake link state, actions and outbox."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.utils import timezone

from intake import selectors

register = template.Library()


@register.inclusion_tag("intake/staff/link_panel.html", takes_context=True)
def intake_link_panel(context, case) -> dict:
    link = selectors.latest_link(case)
    # Progress exists only once a link was opened, so it comes with the link's query.
    progress = getattr(link.case, "intake_progress", None) if link else None
    return {
        "case": case,
        "link": link,
        "state": selectors.link_state(link, timezone.now()) if link else None,
        "max_attempts": settings.INTAKE_LINK_MAX_ATTEMPTS,
        "progress": progress,
        "outbox": list(selectors.case_outbox(case)),
        "csrf_token": context.get("csrf_token"),
        "has_email": bool(case.patient.email),
    }
