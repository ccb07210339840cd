"""`{{ number|phone }}`: a stored E.164 number as people read it in the clinic's country."""

from __future__ import annotations

from django import template
from django.conf import settings

from checklists.phones import phone_display

register = template.Library()


@register.filter
def phone(value: str | None) -> str:
    return phone_display(value or "", settings.CLINIC_PHONE_REGION)
