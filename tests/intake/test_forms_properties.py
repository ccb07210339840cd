"""Property tests: every intake step form, given any values a browser (or a script) could post,
answers with cleaned data or with errors next to fields: never an exception, never a hidden
character or an over-long text let through (hypothesis, fixed seed)."""

from __future__ import annotations

import pytest
from django import forms
from hypothesis import given
from hypothesis import strategies as st

from checklists.casedata import hidden_character
from intake import forms as intake_forms

FORMS = {
    "date of birth": lambda data: intake_forms.DateOfBirthForm(data),
    "about you": lambda data: intake_forms.DetailsForm(data),
    "a medicine line": lambda data: intake_forms.MedicationForm(data, ask_last_dose=True),
    "the medicines step": lambda data: intake_forms.MedicationsStepForm(data, go="next"),
    "an allergy line": lambda data: intake_forms.AllergyForm(data),
    "the allergies step": lambda data: intake_forms.AllergiesStepForm(data, go="next"),
    "health, pregnancy asked": lambda data: intake_forms.HealthForm(data, ask_pregnancy=True),
    "health, pregnancy not asked": lambda data: intake_forms.HealthForm(data, ask_pregnancy=False),
    "driver": lambda data: intake_forms.DriverForm(data),
    "instructions": lambda data: intake_forms.AcknowledgeForm(data),
    "review": lambda data: intake_forms.SubmitForm(data),
}
# What a post may carry: any text, numbers as text, the field's own choices, on/off.
posted = st.one_of(
    st.text(max_size=300),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["", "on", "yes", "no", "unsure", "0", "31", "2", "1948", "9999", "-1", "0001"]),
)


def field_values(form: forms.Form) -> st.SearchStrategy[dict[str, str]]:
    fields = {}
    for name, field in form.fields.items():
        choices = [str(value) for value, _ in getattr(field, "choices", [])]
        fields[name] = st.sampled_from(choices) | posted if choices else posted
    return st.fixed_dictionaries({}, optional=fields)


@pytest.mark.parametrize("name", FORMS)
@given(data=st.data())
def test_an_intake_form_cleans_any_post_or_says_what_is_wrong(name, data):
    values = data.draw(field_values(FORMS[name](None)))
    form = FORMS[name](values)

    if form.is_valid():
        for field_name, value in form.cleaned_data.items():
            if isinstance(value, str):
                assert not hidden_character(value), (field_name, value)
                max_length = getattr(form.fields[field_name], "max_length", None)
                assert max_length is None or len(value) <= max_length
    else:
        assert form.errors and all(messages for messages in form.errors.values())
