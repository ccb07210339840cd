"""The notifications app's panels on staff pages: the texts a patient sent, on the case page
(settings.CASE_PAGE_PANELS), and the patients who asked to talk, on the dashboard
(settings.DASHBOARD_PANELS).

Both pages belong to checklists, which imports nothing from notifications: each renders whatever
panels the settings name, `(request, case) -> HTML` and `(request) -> HTML`.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from checklists.models import Case
from notifications.models import InboundSms
from notifications.selectors import ACTIVE_STATUSES
from notifications.services import driver_ready_problem

# The dashboard lists at most this many waiting texts, newest first.
ASKED_TO_TALK_LIMIT = 50


def sms_replies_panel(request: HttpRequest, case: Case) -> SafeString:
    """The case's texts from the patient, newest first, with "Called back" on those asking to
    talk (one query)."""
    replies = (
        InboundSms.objects.filter(case=case).select_related("handled_by").order_by("-received_at", "-id")
    )
    context = {"case": case, "replies": list(replies), "talk": InboundSms.Meaning.TALK}
    return render_to_string("notifications/staff/sms_replies_panel.html", context, request=request)


def asked_to_talk_panel(request: HttpRequest) -> SafeString:
    """Texts of active cases asking to talk that nobody has called back yet (one query); nothing
    at all when there are none."""
    waiting = list(
        InboundSms.objects.filter(
            meaning=InboundSms.Meaning.TALK, handled_at__isnull=True, case__status__in=ACTIVE_STATUSES
        )
        .select_related("case__patient")
        .order_by("-received_at", "-id")[:ASKED_TO_TALK_LIMIT]
    )
    if not waiting:
        return mark_safe("")
    context = {"waiting": waiting, "limit": ASKED_TO_TALK_LIMIT}
    return render_to_string("notifications/staff/asked_to_talk_panel.html", context, request=request)


def driver_ready_panel(request: HttpRequest, case: Case) -> SafeString:
    """On the procedure day, a button to text the confirmed driver "ready in about 30 minutes"
    (no query: the case page has the driver and the slot)."""
    if driver_ready_problem(
        case=case, now=timezone.now(), tz=ZoneInfo(settings.CLINIC_TIME_ZONE)
    ):  # as load_rule_config's
        return mark_safe("")
    return render_to_string("notifications/staff/driver_ready_panel.html", {"case": case}, request=request)
