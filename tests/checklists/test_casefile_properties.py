"""Property tests: whatever JSON a case file holds, the parser answers with cases or with one
`CaseFileError` line naming a field, never another exception (hypothesis, fixed seed)."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from checklists.casefile import CaseFileError, parse_case_document
from tests.conftest import minimal_case

AS_OF = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
# Keys the format knows, so examples reach deep into a case rather than stopping at the first key.
known_keys = st.sampled_from(
    ["reference", "patient", "procedure", "appointment", "medications", "allergies", "intake",
     "driver", "labs", "verifications", "first_name", "date_of_birth", "start", "room", "name"]
)  # fmt: skip


def parse(doc) -> None:
    """Cases, or a CaseFileError with a single printable line; anything else fails the test."""
    try:
        parse_case_document(doc, as_of=AS_OF)
    except CaseFileError as exc:
        message = str(exc)
        hidden = [char for char in message if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp")]
        assert message and not hidden, repr(message)


@given(json_values)
def test_any_json_document_is_cases_or_a_one_line_error(doc):
    parse(doc)


@given(st.dictionaries(known_keys | st.text(max_size=8), json_values, max_size=6))
def test_a_case_with_any_fields_is_a_case_or_a_one_line_error(fields):
    parse({"cases": [minimal_case() | fields]})


@given(st.sampled_from(["patient", "procedure", "appointment"]), st.dictionaries(known_keys, json_values))
def test_any_values_inside_a_known_object_are_a_case_or_a_one_line_error(key, inner):
    parse(minimal_case() | {key: inner})


@given(st.text())
def test_any_text_as_a_whole_file_is_cases_or_a_one_line_error(text):
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        return  # read_case_file turns these into its own one-line errors (tested elsewhere)
    parse(doc)
