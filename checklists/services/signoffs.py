"""Clinical and coordinator sign-offs of flags: record one, withdraw one."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from checklists import casedata as cd
from checklists import permissions
from checklists.catalog import RuleConfig
from checklists.models import (
    Appointment,
    Case,
    Medication,
    SignOff,
)
from checklists.wording import stamp_text

_ACRONYMS = {"nsaid": "NSAID", "glp1": "GLP-1", "sglt2": "SGLT2"}


def item_label(item: str) -> str:
    """'contrast_premedication_prescribed' -> 'Contrast premedication prescribed'; 'nsaid_plan_given' ->
    'NSAID plan given'."""
    words = item.split("_")
    return " ".join(
        [_ACRONYMS.get(words[0], words[0].capitalize()), *(_ACRONYMS.get(w, w) for w in words[1:])]
    )


def _require_signoff_permission(user: AbstractBaseUser, item: str) -> None:
    if item not in cd.SIGNOFF_ITEMS:
        raise ValidationError({"item": f"Unknown sign-off item {item!r}."})
    if not permissions.can_record_signoff(user, item):
        raise PermissionDenied(f"Only a {permissions.signoff_owner(item)} can sign off {item_label(item)}.")


def _already_signed(existing: SignOff, config: RuleConfig) -> ValidationError:
    line = f" for {existing.medication_name}" if existing.medication_name else ""
    return ValidationError(
        {
            "item": f"{item_label(existing.item)}{line} is already signed off by {existing.by} at "
            f"{stamp_text(existing.at, config.time_zone)}. Withdraw it first to record it again."
        }
    )


def _active_signoff(case: Case, item: str, medication: Medication | None):
    found = SignOff.objects.filter(case=case, item=item, withdrawn_at__isnull=True)
    if medication is None:
        return found.filter(medication_name="")
    return found.filter(medication=medication, medication_name=medication.name)


def _check_plan(
    case: Case,
    item: str,
    medication: Medication | None,
    last_dose_on: dt.date | None,
    keep_taking: bool,
    config: RuleConfig,
) -> dt.datetime | None:
    """Validate what a sign-off names; for a plan, the appointment start it is approved for."""
    if item in cd.PER_MEDICATION_ITEMS:
        if medication is None or medication.case_id != case.pk:
            raise ValidationError(
                {"medication": f"Choose which medicine {item_label(item).lower()} is about."}
            )
    elif medication is not None:
        raise ValidationError(
            {"medication": f"{item_label(item)} is about the whole case, not one medicine."}
        )
    if item not in cd.PLAN_ITEMS:
        if last_dose_on is not None or keep_taking:
            raise ValidationError({"last_dose_on": f"{item_label(item)} records no last dose."})
        return None
    appointment = Appointment.objects.filter(case=case, is_active=True).first()
    if keep_taking:
        if last_dose_on is not None:
            raise ValidationError({"last_dose_on": "Give a last dose day, or keep taking it — not both."})
        return appointment.start if appointment else None
    if appointment is None:
        raise ValidationError(
            {"last_dose_on": "Schedule the case first: the last dose day follows from the appointment."}
        )
    procedure_day = appointment.start.astimezone(config.time_zone).date()
    if last_dose_on is not None and last_dose_on >= procedure_day:
        raise ValidationError({"last_dose_on": "The last dose must be before the procedure day."})
    return appointment.start


def signoff_record(
    *,
    case: Case,
    item: str,
    note: str,
    user: AbstractBaseUser,
    at: dt.datetime,
    config: RuleConfig,
    medication: Medication | None = None,
    last_dose_on: dt.date | None = None,
    keep_taking: bool = False,
) -> SignOff:
    """Record that `user` did `item` (clears its flags); one active sign-off per item and line.

    Per-medicine items name their `medication` line; a plan also records the last dose day
    (None: the computed one) or `keep_taking`, and the appointment start it is approved for.
    """
    _require_signoff_permission(user, item)
    for_start = _check_plan(case, item, medication, last_dose_on, keep_taking, config)
    existing = _active_signoff(case, item, medication).first()
    if existing is not None:
        raise _already_signed(existing, config)
    signoff = SignOff(
        case=case,
        item=item,
        by=user.get_username(),
        by_user=user,
        at=at,
        note=note.strip(),
        medication=medication,
        medication_name=medication.name if medication else "",
        last_dose_on=last_dose_on,
        keep_taking=keep_taking,
        for_start=for_start,
    )
    signoff.full_clean(validate_constraints=False)  # the constraint is checked above, and below on a race
    try:
        with transaction.atomic():
            signoff.save()
    except IntegrityError as exc:  # recorded by someone else between our check and our insert
        existing = _active_signoff(case, item, medication).first()
        if existing is None:
            raise
        raise _already_signed(existing, config) from exc
    return signoff


@transaction.atomic
def signoff_withdraw(
    *, case: Case, item: str, user: AbstractBaseUser, at: dt.datetime, signoff_id: int | None = None
) -> SignOff:
    """Withdraw the active sign-off of `item` (per medicine: `signoff_id`); its flags come back."""
    _require_signoff_permission(user, item)
    found = SignOff.objects.select_for_update().filter(case=case, item=item, withdrawn_at__isnull=True)
    signoff = (
        found.filter(pk=signoff_id).first()
        if signoff_id is not None
        else found.filter(medication_name="").first()
    )
    if signoff is None:
        raise ValidationError({"item": f"{item_label(item)} has no active sign-off to withdraw."})
    signoff.withdrawn_at, signoff.withdrawn_by = at, user
    signoff.full_clean(validate_constraints=False)
    signoff.save()
    return signoff
