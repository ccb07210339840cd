"""`{% error_summary form formset ... %}`: the page's errors listed at its top, each linked to its field.

The public-service pattern (GOV.UK's error summary): a refused save reloads at the top of the page,
so the top says what is wrong and where; `static/js/error-summary.js` moves focus to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms, template

register = template.Library()


@dataclass(frozen=True)
class PageError:
    message: str
    target: str  # the id of the field to go to


def _target(field: forms.BoundField) -> str:
    """The id to jump to: the field's own, or its first choice for radio buttons and checkboxes."""
    if isinstance(field.field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        return field.subwidgets[0].id_for_label if field.subwidgets else field.auto_id
    return field.auto_id


def _first_visible(form: forms.BaseForm) -> str:
    field = next((f for f in form.visible_fields()), None)
    return _target(field) if field is not None else ""


def _form_errors(form: forms.BaseForm) -> list[PageError]:
    found = []
    for name, errors in form.errors.items():
        field = form[name] if name in form.fields else None
        target = _target(field) if field is not None and not field.is_hidden else _first_visible(form)
        found.extend(PageError(str(message), target) for message in errors)
    return found


def page_errors(*bound) -> list[PageError]:
    """Every error of the bound forms and formsets given, in page order."""
    found: list[PageError] = []
    for item in bound:
        if item is None or not getattr(item, "is_bound", False):
            continue
        if isinstance(item, forms.BaseFormSet):
            first = _first_visible(item.forms[0]) if item.forms else ""
            found.extend(PageError(str(m), first) for m in item.non_form_errors())
            for form in item.forms:
                found.extend(_form_errors(form))
        else:
            found.extend(_form_errors(item))
    return found


@register.inclusion_tag("partials/error_summary.html", takes_context=True)
def error_summary(context, *bound) -> dict:
    return {"errors": page_errors(*bound), "LANGUAGE_CODE": context.get("LANGUAGE_CODE")}
