"""The provider's side of the outbox: Twilio reports each SMS's delivery here (its status callback).

Not a staff page: no sign-in, no CSRF token (Twilio has neither); Twilio's signature over the URL
and the fields is what lets a report in. The answer is empty whatever happened to the row, so a
report about a message we do not know is accepted and dropped, not retried by Twilio for ever.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from notifications.services import notification_sms_report
from notifications.sms.webhooks import signature_valid


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
