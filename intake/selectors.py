"""Reads of the intake: a link by its token or by the session, its state, and a case's outbox."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from checklists import rules
from checklists.catalog import RuleConfig
from checklists.models import Case
from checklists.selectors.cases import case_queryset, case_to_data
from intake.models import IntakeLink
from notifications.models import Notification

ACTIVE, LOCKED, REVOKED, EXPIRED, CLOSED = "active", "locked", "revoked", "expired", "closed"
# The patient's session: which link it opened, whether its date of birth was confirmed, the language.
SESSION_LINK = "intake_link"
SESSION_VERIFIED = "intake_verified"
SESSION_LANGUAGE = "intake_language"
# An outbox row is named by a signed id in the case page's form, never by a bare integer in a URL.
RESEND_SALT = "intake.outbox_resend"


def link_by_token_hash(token_hash: str) -> IntakeLink | None:
    return IntakeLink.objects.select_related("case").filter(token_hash=token_hash).first()


def link_by_id(link_id: object) -> IntakeLink | None:
    if not isinstance(link_id, int):
        return None
    return IntakeLink.objects.select_related("case").filter(pk=link_id).first()


def link_state(link: IntakeLink, now: dt.datetime) -> str:
    """revoked, closed (case cancelled or done), expired, locked, or active."""
    if link.revoked_at is not None:
        return REVOKED
    if link.case.status in (Case.Status.CANCELLED, Case.Status.COMPLETED):
        return CLOSED
    if link.expires_at <= now:
        return EXPIRED
    if link.locked_at is not None:
        return LOCKED
    return ACTIVE


def latest_link(case: Case) -> IntakeLink | None:
    """The case's newest link, with who sent it and the patient's progress (one query)."""
    return IntakeLink.objects.select_related("case__intake_progress", "created_by").filter(case=case).first()


def patient_case(case_id: int) -> Case:
    """The case with everything the engine reads, plus where the patient is in the steps."""
    return case_queryset().select_related("intake_progress").get(pk=case_id)


def case_outbox(case: Case) -> QuerySet[Notification]:
    """Every message of the case, email and SMS alike, newest first (one query)."""
    return Notification.objects.filter(case=case).order_by("-planned_at", "-id")


def asks_pregnancy(case: Case, config: RuleConfig, now: dt.datetime) -> bool:
    """Whether the intake asks about pregnancy: where the readiness rules ask it (not recorded as
    male, and under the clinic's own age limit, `pregnancy_age_below`)."""
    return rules.pregnancy_question_applies(rules.build_context(case_to_data(case), config, now))
