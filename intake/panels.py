"""The intake app's panel on the staff case page (listed in settings.CASE_PAGE_PANELS).

The case page belongs to checklists, which imports nothing from intake: it renders whatever panels
the settings name, each a function `(request, case) -> HTML`.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from intake import selectors, services
from notifications.reminder_plan import INVITATION, kind_label


def intake_link_panel(request: HttpRequest, case) -> SafeString:
    """The case's intake link: its state, the actions on it, and the outbox of patient messages."""
    link = selectors.latest_link(case)
    # Progress exists only once a link was opened, so it comes with the link's query.
    progress = getattr(link.case, "intake_progress", None) if link else None
    outbox = list(selectors.case_outbox(case))
    # The link and its email are written at the same moment (intake:link_send).
    invitation = next(
        (
            m
            for m in outbox
            if link
            and m.kind == INVITATION
            and m.channel == m.Channel.EMAIL
            and m.planned_at == link.created_at
        ),
        None,
    )
    context = {
        "case": case,
        "link": link,
        "state": selectors.link_state(link, timezone.now()) if link else None,
        "max_attempts": settings.INTAKE_LINK_MAX_ATTEMPTS,
        "progress": progress,
        "outbox": [
            (message, kind_label(message.kind), channel_label(message), _resend_token(message))
            for message in outbox
        ],
        "invitation": invitation,
        "has_email": bool(case.patient.email),
        "sent_recently": services.sent_recently(link=link, now=timezone.now()),
    }
    return render_to_string("intake/staff/link_panel.html", context, request=request)


def channel_label(message) -> str:
    """How a message went: "Email", "SMS, 2 parts", or "Email (in place of a failed SMS)"."""
    if message.channel == message.Channel.SMS:
        return f"SMS, {message.segments} part{'s' if message.segments != 1 else ''}"
    if message.fallback_for_id is not None:
        return f"{message.get_channel_display()} (in place of a failed SMS)"
    return message.get_channel_display()


def _resend_token(message) -> str:
    """For a message that may not have been sent: the signed id its "Send again" button posts."""
    if message.status != message.Status.UNKNOWN:
        return ""
    return signing.dumps(message.pk, salt=selectors.RESEND_SALT)
