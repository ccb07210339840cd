"""Every write of the patient intake: issuing and revoking links, the date-of-birth check, and
the patient's answers step by step.

Answers go through `checklists.services.case_page` and `edits` (which claims `Case.version` or
`Intake.version`), so a coordinator's save made meanwhile turns the patient's save into a
`StaleEdit` instead of an overwrite. A step whose answers are unchanged writes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from checklists.casedata import INTAKE_ANSWERS, IntakeAnswers
from checklists.catalog import RuleConfig
from checklists.contact import message_routes
from checklists.models import Allergy, Case, Driver, Intake, Medication, Patient
from checklists.permissions import COORDINATOR
from checklists.services.case_page import (
    AllergyRow,
    MedicationRow,
    allergies_save,
    driver_save,
    intake_record_for_patient,
    medications_save,
)
from checklists.services.edits import StaleEdit, case_claim
from checklists.site import site_url
from checklists.wording.patient import moment_words
from intake.models import IntakeLink, IntakeProgress
from notifications.messages import render_sms
from notifications.models import Notification
from notifications.reminder_plan import INVITATION, LINK_LOCKED, kind_label
from notifications.selectors import staff_recipients
from notifications.services import notification_plan, notification_send

REDACTED = "[link removed from the outbox once sent]"


def token_hash(token: str) -> str:
    """The only form in which a token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


# --- Links ---------------------------------------------------------------------------------------


def link_expiry(*, case: Case, now: dt.datetime, config: RuleConfig) -> dt.datetime:
    """The end of the procedure day (clinic time), or INTAKE_LINK_UNSCHEDULED_DAYS from now."""
    appointment = getattr(case, "appointment", None)
    if appointment is not None and appointment.is_active:
        day = appointment.start.astimezone(config.time_zone).date()
        end = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=config.time_zone)
        return end.astimezone(dt.UTC)
    return now + dt.timedelta(days=settings.INTAKE_LINK_UNSCHEDULED_DAYS)


@transaction.atomic
def intake_link_issue(
    *, case: Case, user: AbstractBaseUser | None, now: dt.datetime, config: RuleConfig
) -> tuple[IntakeLink, str]:
    """A new link for the case (the previous one stops working); returns it with its token.

    The token (256 random bits) is returned once, to be emailed and shown; only its hash is kept.
    """
    if case.status in (Case.Status.CANCELLED, Case.Status.COMPLETED):
        raise ValidationError(
            f"This case is {case.get_status_display().lower()}: no intake link can be sent."
        )
    # Lock the case row so two coordinators issuing at once cannot both leave a working link.
    Case.objects.select_for_update().filter(pk=case.pk).first()
    intake_link_revoke(case=case, now=now)
    token = secrets.token_urlsafe(32)
    link = IntakeLink(
        case=case,
        token_hash=token_hash(token),
        created_at=now,
        created_by=user,
        expires_at=link_expiry(case=case, now=now, config=config),
    )
    link.full_clean(validate_constraints=False)  # the one-link constraint: revoked just above
    link.save()
    return link, token


# A second send within this time asks first (a double click would kill the link just emailed).
RESEND_ASKS_WITHIN = dt.timedelta(minutes=5)


def sent_recently(*, link: IntakeLink | None, now: dt.datetime) -> bool:
    """Whether `link` (the case's latest) is still working and a person sent it only moments ago
    (a link a command printed, as the demo's, reached no patient)."""
    if link is None or link.revoked_at is not None or link.created_by_id is None:
        return False
    if now - link.created_at >= RESEND_ASKS_WITHIN:
        return False
    return link.case.status not in (Case.Status.CANCELLED, Case.Status.COMPLETED)


def intake_link_revoke(*, case: Case, now: dt.datetime) -> IntakeLink | None:
    """Stop the case's working link, if any (history records who and when)."""
    link = IntakeLink.objects.filter(case=case, revoked_at__isnull=True).first()
    if link is not None:
        link.revoked_at = now
        link.save(update_fields=["revoked_at"])
    return link


def link_touch(*, link: IntakeLink, now: dt.datetime) -> None:
    """Remember when the link was last used (not worth a history row per click)."""
    if link.last_used_at is None or now - link.last_used_at > dt.timedelta(minutes=1):
        IntakeLink.objects.filter(pk=link.pk).update(last_used_at=now)


@dataclass(frozen=True)
class DobResult:
    ok: bool
    locked: bool = False
    attempts_left: int = 0
    notices: tuple[int, ...] = ()  # outbox rows planned for the coordinators, to send now


def date_of_birth_check(
    *, link: IntakeLink, date_of_birth: dt.date, now: dt.datetime, site: str = ""
) -> DobResult:
    """Compare with the patient's date of birth; the INTAKE_LINK_MAX_ATTEMPTS-th wrong answer locks.

    `site` starts the case link in the coordinators' notice (checklists.site.site_url).
    """
    limit = settings.INTAKE_LINK_MAX_ATTEMPTS
    with transaction.atomic():
        link = IntakeLink.objects.select_for_update().select_related("case__patient").get(pk=link.pk)
        if link.locked_at is not None:
            return DobResult(ok=False, locked=True)
        if secrets.compare_digest(date_of_birth.isoformat(), link.case.patient.date_of_birth.isoformat()):
            link.verified_at, link.failed_attempts = now, 0
            link.save(update_fields=["verified_at", "failed_attempts"])
            return DobResult(ok=True)
        link.failed_attempts += 1
        if link.failed_attempts < limit:
            link.save(update_fields=["failed_attempts"])
            return DobResult(ok=False, attempts_left=limit - link.failed_attempts)
        link.locked_at = now
        link.save(update_fields=["failed_attempts", "locked_at"])
        notices = _plan_lock_notices(link, now, site or site_url())
    return DobResult(ok=False, locked=True, notices=notices)


def _plan_lock_notices(link: IntakeLink, now: dt.datetime, site: str) -> tuple[int, ...]:
    """One email per coordinator with an address (the outbox keeps one row per recipient)."""
    case = link.case
    context = {
        "case": case,
        "attempts": link.failed_attempts,
        "clinic_name": settings.CLINIC_NAME,
        "case_url": f"{site}{reverse('checklists:case_detail', args=[case.uuid])}",
    }
    with translation.override("en"):  # staff pages and emails are in English
        subject = f"Intake link locked: case {case.reference}"
        body = render_to_string("intake/email/link_locked.txt", context)
    return coordinators_notice_plan(case=case, kind=LINK_LOCKED, subject=subject, body=body, now=now)


def coordinators_notice_plan(
    *, case: Case, kind: str, subject: str, body: str, now: dt.datetime
) -> tuple[int, ...]:
    """One email per coordinator with an address, planned at `now` (the outbox keeps one row per
    recipient); the ids of the rows planned, for `notifications_send_now`."""
    ids = []
    for coordinator in staff_recipients(COORDINATOR):
        notification = notification_plan(
            case=case, kind=kind, recipient=coordinator.email, subject=subject, body_text=body, planned_at=now
        )
        if notification is not None:
            ids.append(notification.pk)
    return tuple(ids)


def notifications_send_now(ids: Sequence[int]) -> list[Notification]:
    """Send planned messages at once (the outbox keeps failures for a retry)."""
    return [notification_send(notification_id=pk) for pk in ids]


@dataclass(frozen=True)
class InvitationResult:
    notification: Notification | None  # the email; None: no address the patient wants email at
    sent: bool
    text: Notification | None = None  # the text message, to a number the patient agreed to
    texted: bool = False


def invitation_send(
    *, case: Case, link: IntakeLink, url: str, token: str, now: dt.datetime, config: RuleConfig
) -> InvitationResult:
    """Email and/or text the link in the patient's language (where they want messages) and record
    each in the outbox.

    Once sent, the link is removed from the outbox copy (the token is stored nowhere); a failed
    send is cancelled rather than retried (nor a text put into an email), as staff then read the
    link out or send a new one.
    """
    patient = case.patient
    routes = message_routes(
        email=patient.email,
        phone=patient.phone,
        channel=patient.message_channel,
        sms_confirmed_phone=patient.sms_confirmed_phone,
    )
    context = {
        "patient": patient,
        "url": url,
        "expires_at": link.expires_at.astimezone(config.time_zone),
        "clinic_name": settings.CLINIC_NAME,
        "clinic_phone": settings.CLINIC_PHONE,
        "language": patient.language,  # the email's <html lang>
    }
    email = text = None
    if routes.email:
        with translation.override(patient.language):
            context["expires_text"] = moment_words(link.expires_at, config.time_zone)
            subject = translation.gettext("Your questions before your spine procedure at %(clinic)s") % {
                "clinic": settings.CLINIC_NAME
            }
            body_text = render_to_string("intake/email/invitation.txt", context)
            body_html = render_to_string("intake/email/invitation.html", context)
        email = _invitation_deliver(
            case, routes.email, Notification.Channel.EMAIL, subject, body_text, body_html, now, url, token
        )
    if routes.sms:
        body = render_sms("invitation", patient.language, context, config.time_zone)
        label = kind_label(INVITATION)
        text = _invitation_deliver(
            case, routes.sms, Notification.Channel.SMS, label, body, "", now, url, token
        )
    return InvitationResult(notification=email, sent=_went(email), text=text, texted=_went(text))


def _went(notification: Notification | None) -> bool:
    # SENDING: a worker took it first and is sending it now.
    return notification is not None and notification.status in (
        Notification.Status.SENT,
        Notification.Status.SENDING,
    )


def _invitation_deliver(
    case: Case,
    recipient: str,
    channel: str,
    subject: str,
    body_text: str,
    body_html: str,
    now: dt.datetime,
    url: str,
    token: str,
) -> Notification | None:
    """Queue, send at once, then strip the link from the outbox copy."""
    notification = notification_plan(
        case=case,
        kind=INVITATION,
        recipient=recipient,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        planned_at=now,
        language=case.patient.language,
        channel=channel,
    )
    if notification is None:  # the same case and moment already queued: nothing more to do
        return None
    notification = notification_send(notification_id=notification.pk)
    updates = {
        "body_text": notification.body_text.replace(url, REDACTED).replace(token, REDACTED),
        "body_html": notification.body_html.replace(url, REDACTED).replace(token, REDACTED),
    }
    if notification.status == Notification.Status.FAILED:
        updates["status"] = Notification.Status.CANCELLED  # a retry would now send a link-less message
    Notification.objects.filter(pk=notification.pk).update(**updates)
    notification.refresh_from_db()
    return notification


# --- Progress ------------------------------------------------------------------------------------


def progress_record(*, case: Case, step: int) -> IntakeProgress:
    """The step to reopen at; `furthest_step` only grows."""
    progress, _ = IntakeProgress.objects.get_or_create(case=case)
    if progress.step != step or progress.furthest_step < step:
        progress.step = step
        progress.furthest_step = max(progress.furthest_step, step)
        progress.full_clean()
        progress.save()
    return progress


# --- The patient's answers -----------------------------------------------------------------------


def edits_closed(*, case: Case, now: dt.datetime) -> bool:
    """After submitting, answers can change until INTAKE_EDIT_CLOSES_HOURS before the start."""
    intake = getattr(case, "intake", None)
    appointment = getattr(case, "appointment", None)
    if intake is None or intake.submitted_at is None or appointment is None or not appointment.is_active:
        return False
    return now >= appointment.start - dt.timedelta(hours=settings.INTAKE_EDIT_CLOSES_HOURS)


def _current_answers(case: Case) -> tuple[Intake | None, IntakeAnswers]:
    intake = Intake.objects.filter(case=case).first()
    if intake is None:
        return None, IntakeAnswers()
    return intake, IntakeAnswers(**{name: getattr(intake, name) for name in INTAKE_ANSWERS})


def _answers_save(
    *, case: Case, intake_version: int, changes: dict, now: dt.datetime, config: RuleConfig, force: bool
) -> bool:
    """Change some intake answers (claiming `Intake.version`); re-opens review if submitted.

    `force`: another part of the same step changed, so the review re-opens even if these didn't.
    """
    intake, current = _current_answers(case)
    answers = replace(current, **changes)
    reopen = force and intake is not None and intake.submitted_at is not None
    if answers == current and not reopen:
        return False
    intake = intake_record_for_patient(
        case=case, version=intake_version, answers=answers, submit=False, at=now, config=config
    )
    if intake.submitted_at is not None:
        intake.submitted_at = None  # a change re-opens the review: the patient submits again
        intake.save(update_fields=["submitted_at", "updated_at"])
    return True


def _reopen_review(case: Case) -> None:
    """A change outside the intake answers (details, driver) also re-opens a submitted intake."""
    intake = Intake.objects.select_for_update().filter(case=case, submitted_at__isnull=False).first()
    if intake is not None:
        intake.submitted_at = None
        intake.version += 1  # the row is locked: an open intake form elsewhere is now out of date
        intake.save(update_fields=["submitted_at", "version", "updated_at"])


@transaction.atomic
def patient_details_save(*, case: Case, version: int, details: dict, config: RuleConfig) -> bool:
    """Name, phone, email and language as the patient confirms them; True if anything changed."""
    patient = Patient.objects.get(pk=case.patient_id)
    if all(getattr(patient, name) == value for name, value in details.items()):
        return False
    case_claim(case, version, config)  # the same version claim as every case-page edit
    for name, value in details.items():
        setattr(patient, name, value)
    patient.full_clean()
    patient.save()
    _reopen_review(case)
    return True


def _rows_changed(model, case: Case, rows: Sequence, fields: tuple[str, ...]) -> bool:
    existing = {obj.pk: obj for obj in model.objects.filter(case=case)}
    for row in rows:
        if row.delete or row.id is None or row.id not in existing:
            return True
        obj = existing[row.id]
        if any(
            getattr(obj, f) != (v.strip() if isinstance(v, str) else v) for f, v in _row_values(row, fields)
        ):
            return True
    return False


def _row_values(row, fields: tuple[str, ...]):
    return ((f, getattr(row, f)) for f in fields)


MEDICATION_FIELDS = ("name", "dose", "frequency", "last_dose_planned")
ALLERGY_FIELDS = ("category", "substance", "reaction", "severity")


@transaction.atomic
def patient_medications_save(
    *,
    case: Case,
    version: int,
    intake_version: int,
    rows: Sequence[MedicationRow],
    complete: bool,
    now: dt.datetime,
    config: RuleConfig,
) -> bool:
    """The medicine list and the 'this is everything I take' box; True if anything changed."""
    rows_changed = _rows_changed(Medication, case, rows, MEDICATION_FIELDS)
    if rows_changed:
        medications_save(case=case, version=version, rows=rows, config=config)
    answers_changed = _answers_save(
        case=case,
        intake_version=intake_version,
        changes={"medications_complete": complete},
        now=now,
        config=config,
        force=rows_changed,
    )
    return rows_changed or answers_changed


@transaction.atomic
def patient_allergies_save(
    *,
    case: Case,
    version: int,
    intake_version: int,
    rows: Sequence[AllergyRow],
    no_allergies: bool,
    now: dt.datetime,
    config: RuleConfig,
) -> bool:
    """Allergies with reaction and severity, or 'I have no allergies'; True if anything changed."""
    rows_changed = _rows_changed(Allergy, case, rows, ALLERGY_FIELDS)
    if rows_changed:
        allergies_save(case=case, version=version, rows=rows, config=config)
    answers_changed = _answers_save(
        case=case,
        intake_version=intake_version,
        changes={"no_known_allergies": no_allergies},
        now=now,
        config=config,
        force=rows_changed,
    )
    return rows_changed or answers_changed


@transaction.atomic
def patient_answers_save(
    *, case: Case, intake_version: int, changes: dict, now: dt.datetime, config: RuleConfig
) -> bool:
    """Health questions or the instructions acknowledgement; True if anything changed."""
    return _answers_save(
        case=case, intake_version=intake_version, changes=changes, now=now, config=config, force=False
    )


@transaction.atomic
def patient_driver_save(
    *, case: Case, version: int, name: str, relationship: str, phone: str, config: RuleConfig, email: str = ""
) -> bool:
    """Record or change the driver (phone already E.164); True if anything changed."""
    driver = Driver.objects.filter(case=case).first()
    if driver is not None and (driver.name, driver.relationship, driver.phone, driver.email) == (
        name.strip(),
        relationship.strip(),
        phone,
        email.strip(),
    ):
        return False
    driver_save(
        case=case,
        version=version,
        name=name,
        relationship=relationship,
        phone=phone,
        email=email,
        config=config,
    )
    _reopen_review(case)
    return True


def intake_missing(*, case: Case, health_reached: bool) -> list[str]:
    """The parts still to answer before the intake can be submitted, by their step's URL name
    (the driver may follow later; the health answers count once their step was passed)."""
    intake = Intake.objects.filter(case=case).first()
    missing = []
    if intake is None or not intake.medications_complete:
        missing.append("medicines")
    if intake is None or not (intake.no_known_allergies or Allergy.objects.filter(case=case).exists()):
        missing.append("allergies")
    if not health_reached and (intake is None or intake.submitted_at is None):
        missing.append("health")
    if intake is None or not intake.fasting_acknowledged:
        missing.append("instructions")
    return missing


class IntakeIncomplete(Exception):
    """Some steps are not answered yet; `steps` says which."""

    def __init__(self, steps: list[str]) -> None:
        super().__init__(f"Steps not answered: {steps}")
        self.steps = steps


@transaction.atomic
def patient_intake_submit(
    *,
    case: Case,
    version: int,
    intake_version: int,
    health_reached: bool,
    now: dt.datetime,
    config: RuleConfig,
) -> Intake:
    """Submit what the patient reviewed; refused if the case or answers changed since."""
    # Lock and check (not claim) the case: submitting changes no case data, but what the patient
    # reviewed must still be what is stored.
    if not Case.objects.select_for_update().filter(pk=case.pk, version=version).exists():
        raise StaleEdit("The case changed after the review page was loaded.")
    missing = intake_missing(case=case, health_reached=health_reached)
    if missing:
        raise IntakeIncomplete(missing)
    _, answers = _current_answers(case)
    return intake_record_for_patient(
        case=case, version=intake_version, answers=answers, submit=True, at=now, config=config
    )
