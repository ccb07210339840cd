"""Message bodies: Django templates per kind and language, text and HTML.

`templates/notifications/<template>.<language>.txt` holds the subject on its first line and the
text body below it; `<template>.<language>.html` the HTML part. Patient messages exist in every
language the patient form offers (en, es); staff messages in English. Dates and times are shown
in the clinic's time zone, with day and month names in the message's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.template.loader import render_to_string, select_template
from django.utils import timezone, translation

from checklists.site import site_url


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def clinic_context() -> dict[str, Any]:
    """What every message may mention about the clinic (CLINIC_PHONE is optional)."""
    return {
        "clinic_name": settings.CLINIC_NAME,
        "clinic_phone": getattr(settings, "CLINIC_PHONE", ""),
        "site_url": site_url(),
    }


def render(template: str, language: str, context: Mapping[str, Any], tz: ZoneInfo) -> Rendered:
    """Render one message; a language without its own template falls back to English."""
    names = [f"notifications/{template}.{language}", f"notifications/{template}.en"]
    context = clinic_context() | dict(context) | {"language": language}
    with translation.override(language), timezone.override(tz):
        text = select_template([f"{name}.txt" for name in names]).render(context)
        html = render_to_string([f"{name}.html" for name in names], context)
    subject, _, body = text.strip().partition("\n")
    return Rendered(
        subject=" ".join(subject.split())[:200], text=body.strip() + "\n", html=html.strip() + "\n"
    )


def render_sms(template: str, language: str, context: Mapping[str, Any], tz: ZoneInfo) -> str:
    """One text message: `notifications/sms/<template>.<language>.txt` (English if missing), its
    lines joined by single spaces, so a template can be written readably and the text stays short."""
    names = [f"notifications/sms/{template}.{language}.txt", f"notifications/sms/{template}.en.txt"]
    context = clinic_context() | dict(context) | {"language": language}
    with translation.override(language), timezone.override(tz):
        text = select_template(names).render(context)
    return " ".join(text.split())
