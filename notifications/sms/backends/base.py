"""The backend interface every SMS backend implements."""

from __future__ import annotations

from typing import Any

from notifications.sms import SentSms, SmsMessage


class BaseSmsBackend:
    """Sends one message at a time; raises `notifications.sms.SmsError` when it cannot.

    The constructor takes keyword options (from `get_connection(**kwargs)`) and ignores those it
    does not know, as Django's email backends do, so callers can pass options for any backend.
    """

    def __init__(self, **kwargs: Any) -> None:
        pass

    def send(self, message: SmsMessage) -> SentSms:
        raise NotImplementedError("subclasses of BaseSmsBackend must provide a send() method")
