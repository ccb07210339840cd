"""The export's JSON text (`casefile._dumps`) is exactly what `json.dumps(indent=2,
ensure_ascii=False)` writes, for any JSON value (hypothesis, fixed seed)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checklists.casefile import _dumps

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=30,
)


def standard(value, margin: str = "") -> str:
    return json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n" + margin)


@given(json_values)
def test_the_export_writes_any_json_value_as_the_standard_library_does(value):
    assert _dumps(value) == standard(value)


@given(json_values, st.sampled_from(["", "  ", "    "]))
def test_a_margin_indents_every_line_after_the_first(value, margin):
    assert _dumps(value, margin=margin) == standard(value, margin)


@pytest.mark.parametrize("value", [{}, [], {"a": []}, [{}], "", 0.1, -0.0, 1e300, float("nan")])
def test_empty_containers_and_odd_numbers_are_written_as_the_standard_library_does(value):
    assert _dumps(value) == standard(value)


def test_what_json_cannot_write_is_refused_as_json_refuses_it():
    with pytest.raises(TypeError):
        _dumps({"when": object()})
