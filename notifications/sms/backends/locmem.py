"""Keeps each message in `outbox` instead of sending it, for tests (like Django's locmem email
backend). Tests empty the list with `outbox.clear()`; never rebind it, since
`notifications.sms.outbox` is this same list."""

from __future__ import annotations

import itertools

from notifications.sms import SentSms, SmsMessage
from notifications.sms.backends.base import BaseSmsBackend

outbox: list[SmsMessage] = []
_numbers = itertools.count(1)


class SmsBackend(BaseSmsBackend):
    def send(self, message: SmsMessage) -> SentSms:
        outbox.append(message)
        return SentSms(provider_id=f"locmem-{next(_numbers)}", status="sent", segments=message.segments)
