"""Twilio's delivery-status callbacks: is a request really from Twilio?

Twilio signs each callback with the account's auth token over the URL it called and the POST
fields (header X-Twilio-Signature); the library's RequestValidator checks it. The URL must be the
one Twilio saw: behind a TLS-ending proxy that needs SECURE_PROXY_SSL_HEADER and the public host.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.http import HttpRequest
from twilio.request_validator import RequestValidator

SIGNATURE_HEADER = "X-Twilio-Signature"


def signature_valid(request: HttpRequest) -> bool:
    """True when the request carries Twilio's valid signature; False when unsigned, forged, or
    when no auth token is configured (nothing can be trusted then).

    Only the auth-token (HMAC-SHA1) signature is accepted: a callback signed with a webhook
    SharedKey (X-Twilio-Webhooks-Signature-Settings) fails, since PrepDesk holds no such key.
    """
    token = settings.TWILIO_AUTH_TOKEN
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not token or not signature:
        return False
    return RequestValidator(token).validate(request.build_absolute_uri(), request.POST, signature)


def sign(url: str, params: Mapping[str, str]) -> str:
    """The signature Twilio would send for a POST of `params` to `url` (for tests and tools)."""
    return RequestValidator(settings.TWILIO_AUTH_TOKEN).compute_signature(url, params)
