"""Optimistic locking for edits: claim a record's version or refuse with who changed it and when."""

from __future__ import annotations

from django.db.models import F

from checklists.catalog import RuleConfig
from checklists.models import (
    Case,
    Intake,
)
from checklists.wording import stamp_text


class StaleEdit(Exception):
    """Someone else saved the record after it was read; the message says who and when."""


def changed_by_message(record, config: RuleConfig) -> str:
    """Who saved `record` last and when, for a refused stale edit."""
    latest = record.history.order_by("-history_date", "-history_id").select_related("history_user").first()
    who = getattr(latest.history_user, "username", None) if latest else None
    when = stamp_text(latest.history_date, config.time_zone) if latest else "just now"
    what = "The intake answers were" if isinstance(record, Intake) else "This case was"
    return f"{what} changed by {who or 'someone else'} at {when} — reload to see the changes."


def case_version_claim(case: Case, version: int, config: RuleConfig) -> None:
    """Claim the edit: the UPDATE matches only if nobody saved since `version` was read."""
    if not Case.objects.filter(pk=case.pk, version=version).update(version=F("version") + 1):
        raise StaleEdit(changed_by_message(case, config))
    case.version = version + 1


def case_claim(case: Case, version: int, config: RuleConfig) -> None:
    """Claim the case's version, then save the case so its history names who changed it and when."""
    case_version_claim(case, version, config)
    case.full_clean()
    case.save(update_fields=["version", "updated_at"])
