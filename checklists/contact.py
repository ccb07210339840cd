"""Where a patient's own messages may go, from what they chose (`Patient.message_channel`) and the
number they agreed to texts at (`Patient.sms_confirmed_phone`): the one rule the reminders and the
dashboard's "call patient" share.
"""

from __future__ import annotations

from typing import NamedTuple


class Routes(NamedTuple):
    email: str | None  # an address to email, or None
    sms: str | None  # a number to text (the very one agreed to), or None
    fallback_email: str | None  # where an undeliverable text goes instead, once


def message_routes(*, email: str, phone: str, channel: str, sms_confirmed_phone: str) -> Routes:
    """Texts only to the number agreed to; a patient who chose texts but agreed to no number still
    gets email if they have an address; "none" (or nothing usable) means phone them."""
    texts = channel in ("sms", "both") and bool(phone) and sms_confirmed_phone == phone
    wants_email = channel in ("email", "both") or (channel == "sms" and not texts)
    return Routes(
        email=(email or None) if wants_email else None,
        sms=phone if texts else None,
        fallback_email=(email or None) if texts and not wants_email else None,
    )
