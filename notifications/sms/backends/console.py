"""Writes each message to a stream (stdout by default) instead of sending it, as Django's console
email backend does: the development default, so a laptop never texts a patient."""

from __future__ import annotations

import itertools
import sys
import threading
from typing import Any, TextIO

from notifications.sms import SentSms, SmsMessage
from notifications.sms.backends.base import BaseSmsBackend

# Ids unique within the process, so a console run's messages can be told apart in logs.
_numbers = itertools.count(1)


class SmsBackend(BaseSmsBackend):
    def __init__(self, *, stream: TextIO | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stream = stream or sys.stdout
        # One block at a time: several threads writing to one stream would interleave lines.
        self._lock = threading.RLock()

    def send(self, message: SmsMessage) -> SentSms:
        with self._lock:
            self.stream.write(render(message))
            self.stream.flush()
        return SentSms(provider_id=f"console-{next(_numbers)}", status="sent", segments=message.segments)


def render(message: SmsMessage) -> str:
    """The printed block: headers, a blank line, the body, a dashed line (Django's console style)."""
    lines = [f"To: {message.to}", f"Segments: {message.segments} ({message.encoding})"]
    if message.status_callback:
        lines.append(f"Status-Callback: {message.status_callback}")
    return "\n".join([*lines, "", message.body, "-" * 79, ""])
