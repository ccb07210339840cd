"""System checks: settings a clinic must give before PrepDesk runs for real (DEBUG off)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register


@register()
def clinic_time_zone_check(app_configs, **kwargs) -> list[Error]:
    """Every "day before", last dose day and deadline is taken in the clinic's zone: never guess it."""
    if settings.DEBUG or getattr(settings, "CLINIC_TIME_ZONE_SET", True):
        return []
    return [
        Error(
            "CLINIC_TIME_ZONE is not set.",
            hint="Set it to the clinic's IANA time zone, e.g. CLINIC_TIME_ZONE=America/New_York "
            "(UTC is only a development default).",
            id="checklists.E001",
        )
    ]


@register()
def site_url_check(app_configs, **kwargs) -> list[Error]:
    """Reminders and digests are written without a request: they can only link where they are told."""
    if settings.DEBUG or settings.SITE_URL:
        return []
    return [
        Error(
            "SITE_URL is not set.",
            hint="Set it to the address patients and staff open PrepDesk at, e.g. "
            "SITE_URL=https://prep.example-clinic.org (emails link there).",
            id="checklists.E002",
        )
    ]
