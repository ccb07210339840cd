"""Phone numbers: the one rule turning what people type into E.164, for the case file, staff pages
and the intake.

A number must reach the person directly: it needs an area code (a local-only "555-1234" cannot
become E.164) and may not carry an extension (E.164 has none, and dropping it silently would lose
part of the number). "Possible" rather than "valid": metadata is stricter than reality, and demo
and test data use +1 555 numbers.
"""

from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError

UNREADABLE = "unreadable"
WRONG_LENGTH = "wrong_length"
EXTENSION = "extension"

# The staff workspace's words for each refusal (the case file and the intake word their own).
STAFF_MESSAGES = {
    UNREADABLE: "Enter a phone number, e.g. +1 555 123 4567.",
    WRONG_LENGTH: "This phone number has too few or too many digits.",
    EXTENSION: "Extensions cannot be kept: give a number that reaches the person directly.",
}


class PhoneError(ValueError):
    """What people typed is not a direct phone number; `reason` is one of the constants above."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def to_e164(text: str, region: str) -> str:
    """'(617) 555-0142' -> '+16175550142'; a number without +country is read in `region`."""
    try:
        number = phonenumbers.parse(text.strip(), region)
    except phonenumbers.NumberParseException as exc:
        raise PhoneError(UNREADABLE) from exc
    if phonenumbers.is_possible_number_with_reason(number) != phonenumbers.ValidationResult.IS_POSSIBLE:
        raise PhoneError(WRONG_LENGTH)
    if number.extension:
        raise PhoneError(EXTENSION)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_e164(value: str) -> str:
    """`to_e164` in the clinic's region (CLINIC_PHONE_REGION), refusing with the staff's words."""
    try:
        return to_e164(value, settings.CLINIC_PHONE_REGION)
    except PhoneError as exc:
        raise ValidationError(STAFF_MESSAGES[exc.reason], code=exc.reason) from exc


def phone_display(e164: str, region: str) -> str:
    """How a stored number is shown: in national format for the clinic's country ('(617) 555-0142'),
    international otherwise ('+44 20 7946 0958'); anything unreadable as it was stored."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, region)
    except phonenumbers.NumberParseException:
        return e164
    local = phonenumbers.region_code_for_number(number) == region or number.country_code == (
        phonenumbers.country_code_for_region(region)
    )
    style = phonenumbers.PhoneNumberFormat.NATIONAL if local else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, style)


# Number types that certainly cannot receive a text message (a US number is "fixed line or mobile").
_NO_TEXTS = frozenset(
    {
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.TOLL_FREE,
        phonenumbers.PhoneNumberType.PREMIUM_RATE,
        phonenumbers.PhoneNumberType.SHARED_COST,
    }
)


def may_take_texts(e164: str) -> bool:
    """False for a number its numbering plan says is a landline (or toll-free, premium): a text to
    it is never delivered; True otherwise (mobile, or fixed-or-mobile as in North America)."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(number) not in _NO_TEXTS
