"""Phone numbers: one normalisation to E.164 for the case file, staff pages and the intake."""

from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError


def phone_e164(value: str) -> str:
    """A phone number as E.164 (numbers without +country use CLINIC_PHONE_REGION)."""
    try:
        number = phonenumbers.parse(value, settings.CLINIC_PHONE_REGION)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError("Enter a phone number, e.g. +1 555 123 4567.") from exc
    # "Possible" (right length for the country), not "valid": demo and test data use 555 numbers.
    if not phonenumbers.is_possible_number(number):
        raise ValidationError("This phone number has too few or too many digits.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
