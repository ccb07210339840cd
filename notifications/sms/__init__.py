"""Text messages, shaped like Django's email API: `send_sms()` hands a message to the backend
named by `settings.SMS_BACKEND` (a dotted path, like EMAIL_BACKEND).

Backends: `console` (the default: prints each message), `locmem` (keeps them in
`notifications.sms.outbox`, for tests) and `twilio` (sends through Twilio).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.module_loading import import_string

from notifications.sms import segments as _segments

if TYPE_CHECKING:
    from notifications.sms.backends.base import BaseSmsBackend

__all__ = ["SentSms", "SmsError", "SmsMessage", "get_connection", "send_sms"]


class SmsError(Exception):
    """A message was not accepted for sending; `code` is the provider's error code, when it gave one."""

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class SmsMessage:
    """One text to one phone number (E.164); `status_callback` is where the provider reports
    delivery, blank for none."""

    to: str
    body: str
    status_callback: str = ""

    @property
    def encoding(self) -> _segments.Encoding:
        return _segments.encoding(self.body)

    @property
    def segments(self) -> int:
        return _segments.segments(self.body)


@dataclass(frozen=True)
class SentSms:
    """What the backend answered: its id for the message, its status ("queued", "sent"...) and
    how many parts the message costs."""

    provider_id: str
    status: str
    segments: int


def get_connection(backend: str | None = None, **kwargs: Any) -> BaseSmsBackend:
    """A backend instance: `backend` (a dotted path) or else `settings.SMS_BACKEND`, built with
    `kwargs`, as `django.core.mail.get_connection` does."""
    return import_string(backend or settings.SMS_BACKEND)(**kwargs)


def send_sms(
    to: str, body: str, *, status_callback: str = "", connection: BaseSmsBackend | None = None
) -> SentSms:
    """Send one text; raises SmsError when the backend refuses it."""
    backend = connection or get_connection()
    return backend.send(SmsMessage(to=to, body=body, status_callback=status_callback))


def __getattr__(name: str) -> Any:
    """`notifications.sms.outbox` is the locmem backend's list, as `django.core.mail.outbox` is
    Django's; looked up on use so this package imports no backend (the backends import it)."""
    if name == "outbox":
        from notifications.sms.backends import locmem

        return locmem.outbox
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
