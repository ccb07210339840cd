"""Yes / no / not sure questions, as radio values in forms and True / False / None when stored.

Shared by the case page's phone intake and the patient's own intake steps.
"""

from __future__ import annotations

from typing import Any

from checklists.casedata import INTAKE_ANSWERS

ANSWER_TO_BOOL: dict[str, bool | None] = {"yes": True, "no": False, "unsure": None}


def answer_for(value: bool | None) -> str:
    """The radio value for a yes / no / unsure answer stored as True / False / None."""
    return {True: "yes", False: "no", None: "unsure"}[value]


def bool_for(answer: str) -> bool | None:
    """The stored value of a radio answer (a TypedChoiceField's `coerce`)."""
    return ANSWER_TO_BOOL[answer]


def intake_initial(intake: Any, tri_state: tuple[str, ...]) -> dict[str, Any]:
    """A form's initial values from stored intake answers; `tri_state` fields become radio values."""
    return {
        name: answer_for(getattr(intake, name)) if name in tri_state else getattr(intake, name)
        for name in INTAKE_ANSWERS
    }
