"""The provider's side of the outbox, and the staff's one action on what patients text us.

Twilio reports each SMS's delivery here (its status callback) and forwards each text a patient
sends (its incoming-message webhook). Neither is a staff page: no sign-in, no CSRF token (Twilio
has neither); Twilio's signature over the URL and the fields is what lets a request in. The answer
is empty whatever happened to the row, so a report about a message we do not know is accepted and
dropped, not retried by Twilio for ever.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from checklists.models import Case
from checklists.selectors.catalogue import load_rule_config
from checklists.views.common import staff_required
from notifications.inbound import reply_handled, sms_receive
from notifications.models import InboundSms
from notifications.services import driver_ready_send, notification_sms_report
from notifications.sms.webhooks import signature_valid

# TwiML that sends no reply. Twilio answers STOP, START (and HELP) on its numbers itself: a
# confirmation of ours would reach the patient twice.
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


@csrf_exempt
@require_POST
def sms_status(request: HttpRequest) -> HttpResponse:
    """Twilio's status callback (MessageSid, MessageStatus, ErrorCode): 403 unless signed by it."""
    if not signature_valid(request):
        return HttpResponseForbidden()
    notification_sms_report(
        provider_id=request.POST.get("MessageSid", ""),
        status=request.POST.get("MessageStatus", ""),
        error_code=request.POST.get("ErrorCode", ""),
    )
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def sms_inbound(request: HttpRequest) -> HttpResponse:
    """Twilio's incoming-message webhook (MessageSid, From, Body): 403 unless signed by it; the text
    is stored once and matched to its case, and nothing is texted back."""
    if not signature_valid(request):
        return HttpResponseForbidden()
    provider_id, from_phone = request.POST.get("MessageSid", ""), request.POST.get("From", "")
    if not provider_id or not from_phone:
        return HttpResponseBadRequest()
    sms_receive(
        provider_id=provider_id[:64],
        from_phone=from_phone,
        body=request.POST.get("Body", ""),
        now=timezone.now(),
    )
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


@require_POST
@staff_required
def reply_handled_view(request: HttpRequest, case_uuid: UUID, reply_id: int) -> HttpResponse:
    """Mark a patient's text asking to talk as called back (by this user, now): it leaves the dashboard."""
    case = get_object_or_404(Case, uuid=case_uuid)
    reply = InboundSms.objects.filter(pk=reply_id, case=case).first()
    if reply is None:
        messages.error(request, "That text could not be found on this case: nothing was changed.")
    else:
        try:
            reply = reply_handled(reply=reply, user=request.user, now=timezone.now())
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Marked as called back: the text is off the dashboard.")
    return redirect(reverse("checklists:case_detail", args=[case.uuid]) + "#sms-replies")


@require_POST
@staff_required
def driver_ready_view(request: HttpRequest, case_uuid: UUID) -> HttpResponse:
    """Text the driver that the patient will be ready to be collected in about 30 minutes."""
    case = get_object_or_404(
        Case.objects.select_related("patient", "driver", "appointment__room"), uuid=case_uuid
    )
    try:
        sent = driver_ready_send(case=case, now=timezone.now(), config=load_rule_config())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if sent.status == sent.Status.SENT:
            messages.success(
                request, f"Texted {case.driver.name}: ready to be collected in about 30 minutes."
            )
        else:
            messages.error(
                request,
                f"The text was not sent ({sent.error or sent.get_status_display()}): phone the driver.",
            )
    return redirect(reverse("checklists:case_detail", args=[case.uuid]) + "#driver")
