"""Sends through Twilio with its own library (twilio-python), configured by the TWILIO_* settings.

`TWILIO_API_BASE_URL` (blank in production) sends the library's requests to another host, a local
stub in tests, through a custom HTTP client: the way twilio-python documents for changing how it
talks HTTP. The library still builds each request and parses each answer itself.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import SplitResult, urlsplit, urlunsplit

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from notifications.sms import SentSms, SmsError, SmsMessage
from notifications.sms.backends.base import BaseSmsBackend

# Seconds to wait for Twilio: the library's default is to wait for ever, which would hold a task
# worker on a network stall.
DEFAULT_TIMEOUT = 15.0


class SmsBackend(BaseSmsBackend):
    """Each keyword overrides its setting (account_sid, auth_token, from_number, api_base_url)."""

    def __init__(
        self,
        *,
        account_sid: str | None = None,
        auth_token: str | None = None,
        from_number: str | None = None,
        api_base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        account_sid = account_sid or settings.TWILIO_ACCOUNT_SID
        auth_token = auth_token or settings.TWILIO_AUTH_TOKEN
        self.from_number = from_number or settings.TWILIO_FROM_NUMBER
        missing = [
            name
            for name, value in [
                ("TWILIO_ACCOUNT_SID", account_sid),
                ("TWILIO_AUTH_TOKEN", auth_token),
                ("TWILIO_FROM_NUMBER", self.from_number),
            ]
            if not value
        ]
        if missing:
            raise ImproperlyConfigured(f"The Twilio SMS backend needs {', '.join(missing)}.")
        base_url = settings.TWILIO_API_BASE_URL if api_base_url is None else api_base_url
        http_client = (
            RebasedHttpClient(base_url, timeout=timeout) if base_url else TwilioHttpClient(timeout=timeout)
        )
        self.client = Client(account_sid, auth_token, http_client=http_client)

    def send(self, message: SmsMessage) -> SentSms:
        options = {"status_callback": message.status_callback} if message.status_callback else {}
        try:
            created = self.client.messages.create(
                to=message.to, from_=self.from_number, body=message.body, **options
            )
        except TwilioRestException as exc:
            raise SmsError(f"Twilio refused the message: {exc.msg}", code=exc.code) from exc
        except TwilioServiceException as exc:
            raise SmsError(f"Twilio refused the message: {exc.detail or exc.title}", code=exc.code) from exc
        except requests.RequestException as exc:
            raise SmsError(f"Twilio could not be reached: {exc}") from exc
        return SentSms(
            provider_id=created.sid or "",
            status=str(created.status or ""),
            segments=int(created.num_segments or 0),
        )


class RebasedHttpClient(TwilioHttpClient):
    """Sends every request to `base_url`'s scheme and host (and path prefix) instead of Twilio's."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base = _checked_base_url(base_url)

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        parts = urlsplit(url)
        rebased = parts._replace(
            scheme=self.base.scheme, netloc=self.base.netloc, path=self.base.path.rstrip("/") + parts.path
        )
        return super().request(method, urlunsplit(rebased), *args, **kwargs)


def _checked_base_url(base_url: str) -> SplitResult:
    """The parsed base URL; plain http only to this machine, since the account's credentials
    travel in every request's Authorization header."""
    parts = urlsplit(base_url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ImproperlyConfigured(f"TWILIO_API_BASE_URL: {base_url!r} is not an http(s) URL")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ImproperlyConfigured(f"TWILIO_API_BASE_URL: {base_url!r} must use https off this machine")
    return parts


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
