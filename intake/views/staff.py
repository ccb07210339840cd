"""Staff actions on a case's intake link: send (or re-send) and revoke.

The full link is shown once, for reading out by phone: the send redirects to a page that shows it
and drops it (it waits in the server-side session between the two, never in a cookie); only its
hash is stored.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from checklists.models import Case
from checklists.selectors.catalogue import load_rule_config
from checklists.site import absolute
from checklists.views.common import staff_required
from checklists.wording.patient import moment_words
from intake import selectors, services
from notifications.models import Notification
from notifications.services import notification_resend

SHOWN_LINK = "intake_link_just_sent"


def _case(case_uuid: UUID) -> Case:
    return get_object_or_404(Case.objects.select_related("patient", "appointment"), uuid=case_uuid)


def _in_english(function, *args):
    """Staff pages are in English, whatever the browser asks for."""
    with translation.override("en"):
        return function(*args)


def _back(case: Case) -> HttpResponse:
    return redirect(reverse("checklists:case_detail", args=[case.uuid]) + "#intake-link")


@never_cache
@require_POST
@staff_required
def link_send(request: HttpRequest, case_uuid: UUID) -> HttpResponse:
    """Issue a new link (the previous one stops working), email it, then show it once on a page of
    its own (post/redirect/get: refreshing that page sends nothing). A second send within a few
    minutes asks first: a double click must not kill the link the patient was just sent."""
    config = load_rule_config()
    case = _case(case_uuid)
    now = timezone.now()
    latest = selectors.latest_link(case)
    if services.sent_recently(link=latest, now=now) and request.POST.get("again") != "1":
        minutes = int((now - latest.created_at).total_seconds() // 60)
        ago = "just now" if minutes < 1 else f"{minutes} minute{'s' if minutes != 1 else ''} ago"
        messages.warning(
            request,
            f"The intake link was sent {ago}. A new link stops that one working: if the patient "
            "needs a new one, press “Send again anyway”.",
        )
        return _back(case)
    try:
        link, token = services.intake_link_issue(case=case, user=request.user, now=now, config=config)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back(case)
    url = absolute(reverse("intake:open", args=[token]), request)
    result = services.invitation_send(case=case, link=link, url=url, token=token, now=now, config=config)
    # Held for the one page that shows it, and dropped there (the session is server-side).
    request.session[SHOWN_LINK] = {
        "case": str(case.uuid),
        "url": url,
        "sent": result.sent,
        "notification": result.notification.pk if result.notification else None,
        "texted": result.texted,
        "text": result.text.pk if result.text else None,
        "expires": _in_english(moment_words, link.expires_at, config.time_zone),
    }
    return redirect("intake:link_sent", case_uuid=case.uuid)


@never_cache
@require_GET
@staff_required
def link_sent(request: HttpRequest, case_uuid: UUID) -> HttpResponse:
    """The link just sent, shown this once; a refresh says so instead of sending again."""
    case = _case(case_uuid)
    shown = request.session.pop(SHOWN_LINK, None)
    if shown is not None and shown["case"] != str(case.uuid):
        shown = None
    notification = Notification.objects.filter(pk=shown["notification"]).first() if shown else None
    text = Notification.objects.filter(pk=shown.get("text")).first() if shown and shown.get("text") else None
    return render(
        request,
        "intake/staff/link_sent.html",
        {"case": case, "patient": case.patient, "shown": shown, "notification": notification, "text": text},
    )


@require_POST
@staff_required
def link_revoke(request: HttpRequest, case_uuid: UUID) -> HttpResponse:
    case = _case(case_uuid)
    link = services.intake_link_revoke(case=case, now=timezone.now())
    if link is None:
        messages.info(request, "This case has no working intake link to revoke.")
    else:
        messages.success(request, "Intake link revoked: it no longer opens the intake.")
    return _back(case)


@require_POST
@staff_required
def outbox_resend(request: HttpRequest, case_uuid: UUID) -> HttpResponse:
    """Send once more a message whose outcome is unknown (the worker died mid-send)."""
    case = _case(case_uuid)
    try:
        pk = signing.loads(request.POST.get("message", ""), salt=selectors.RESEND_SALT)
    except signing.BadSignature:
        messages.error(request, "That message could not be found: nothing was sent.")
        return _back(case)
    notification = get_object_or_404(Notification, pk=pk, case=case)
    try:
        notification = notification_resend(notification=notification, now=timezone.now())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back(case)
    if notification.status == Notification.Status.SENT:
        messages.success(request, f"Sent again to {notification.recipient}.")
    else:
        messages.error(request, f"Not sent: {notification.error or notification.get_status_display()}")
    return _back(case)
