"""One phone rule for the case file, the staff pages and the intake: E.164, direct numbers only."""

from __future__ import annotations

import pytest

from checklists.phones import EXTENSION, UNREADABLE, WRONG_LENGTH, PhoneError, phone_display, to_e164


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("(617) 555-0142", "+16175550142"),
        ("+44 20 7946 0958", "+442079460958"),
        ("617.555.0142", "+16175550142"),
    ],
)
def test_what_people_type_becomes_e164(typed, e164):
    assert to_e164(typed, "US") == e164


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("call my daughter", UNREADABLE),
        ("555-1234", WRONG_LENGTH),  # no area code: cannot be dialled from elsewhere
        ("+1 617 555 0142 ext. 89", EXTENSION),  # E.164 has no extension: refused, never dropped
    ],
)
def test_a_number_that_does_not_reach_the_person_directly_is_refused_with_its_reason(typed, reason):
    with pytest.raises(PhoneError) as refused:
        to_e164(typed, "US")
    assert refused.value.reason == reason


def test_a_stored_number_is_shown_as_people_read_it_in_the_clinics_country():
    assert phone_display("+16175550142", "US") == "(617) 555-0142"
    assert phone_display("+442079460958", "US") == "+44 20 7946 0958"  # abroad: with its country code
    assert phone_display("", "US") == ""
