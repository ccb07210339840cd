"""Medicine and allergy lines edited as formsets (case page and patient intake): one translation
between a formset's forms and the service's row dataclasses."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import MISSING, fields
from typing import Any

from django.forms import BaseFormSet

from checklists.services.case_page import line_fields


def formset_initial(lines: Iterable[Any], row_class: type) -> list[dict[str, Any]]:
    """The stored lines as a formset's `initial`, each with its `id`."""
    names = ("id", *line_fields(row_class))
    return [{name: getattr(line, name) for name in names} for line in lines]


def formset_rows(formset: BaseFormSet, row_class: type) -> list:
    """A valid formset's lines as service rows: untouched blank lines left out, a removed stored
    line as a deletion, and an answer left empty as the row's default ("" for text, None for a date)."""
    defaults = {f.name: f.default for f in fields(row_class) if f.default is not MISSING}
    rows = []
    for form in formset.forms:
        data = form.cleaned_data
        if not data or (not form.has_changed() and not data.get("id")):
            continue
        if data.get("DELETE"):
            if data.get("id"):
                rows.append(row_class(id=data["id"], delete=True))
            continue
        values = {name: data.get(name) for name in line_fields(row_class)}
        values = {name: defaults[name] if value is None else value for name, value in values.items()}
        rows.append(row_class(id=data.get("id"), **values))
    return rows
