"""Writes from the case page: sign-offs, driver, labs, medicines, allergies and a phone intake.

Every function is keyword-only and validates before it saves. Case-level edits claim the case's
`version` first (`services.case_version_claim`), intake answers claim the intake's own `version`, so
an edit based on an out-of-date page raises `services.StaleEdit` and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import phonenumbers
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F

from checklists import casedata as cd
from checklists import permissions
from checklists.catalog import RuleConfig, normalize_name
from checklists.models import (
    Allergy,
    Appointment,
    Case,
    Driver,
    Drug,
    Intake,
    LabResult,
    Medication,
    SignOff,
)
from checklists.services import StaleEdit, case_version_claim, changed_by_message, local_text

NKA_WITH_ALLERGIES = "Allergies are listed for this case: remove them first, or leave this unticked."


_ACRONYMS = {"nsaid": "NSAID", "glp1": "GLP-1", "sglt2": "SGLT2"}


def item_label(item: str) -> str:
    """'contrast_premedication_prescribed' -> 'Contrast premedication prescribed'; 'nsaid_plan_given' ->
    'NSAID plan given'."""
    words = item.split("_")
    return " ".join(
        [_ACRONYMS.get(words[0], words[0].capitalize()), *(_ACRONYMS.get(w, w) for w in words[1:])]
    )


def phone_e164(value: str) -> str:
    """A phone number as E.164 (numbers without +country use CLINIC_PHONE_REGION)."""
    try:
        number = phonenumbers.parse(value, settings.CLINIC_PHONE_REGION)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError("Enter a phone number, e.g. +1 555 123 4567.") from exc
    # "Possible" (right length for the country), not "valid": demo and test data use 555 numbers.
    if not phonenumbers.is_possible_number(number):
        raise ValidationError("This phone number has too few or too many digits.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _claim_case(case: Case, version: int, config: RuleConfig) -> None:
    """Claim the case's version, then save the case so its history names who changed it and when."""
    case_version_claim(case, version, config)
    case.full_clean()
    case.save(update_fields=["version", "updated_at"])


# --- Sign-offs -----------------------------------------------------------------------------------


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
            f"{local_text(existing.at, config)}. Withdraw it first to record it again."
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


# --- The catalogue, taught from a case ----------------------------------------------------------


@transaction.atomic
def drug_name_add(*, drug_name: str, name: str, user: AbstractBaseUser, config: RuleConfig) -> Drug:
    """Teach the catalogue: `name` (as typed by a patient) becomes a name of `drug_name` for the
    whole clinic. Audited (history, with who and why); refused when the words already name a drug."""
    if not (permissions.has_role(user, permissions.CLINICIAN) or user.is_superuser):
        raise PermissionDenied("Only a clinician can add a name to the medication catalogue.")
    drug = Drug.objects.select_for_update().filter(name=drug_name).first()
    if drug is None:
        raise ValidationError({"drug": "Choose a drug from the catalogue."})
    tokens = normalize_name(name)
    if not tokens:
        raise ValidationError({"drug": "These words contain no name to add."})
    taken = next(
        (d for d in config.drugs if any(normalize_name(n) == tokens for n in (d.name, *d.aliases))), None
    )
    if taken is not None:
        raise ValidationError({"drug": f"“{name}” already reads as {taken.name}: nothing to add."})
    drug.aliases = ", ".join(filter(None, [drug.aliases.strip().rstrip(","), name.strip().replace(",", " ")]))
    drug._change_reason = f"Name “{name.strip()}” added by {user.get_username()} from a case"
    drug._history_user = user
    drug.full_clean()
    drug.save()
    return drug


# --- Driver and labs -----------------------------------------------------------------------------


@transaction.atomic
def driver_save(
    *, case: Case, version: int, name: str, relationship: str, phone: str, config: RuleConfig
) -> Driver:
    """Record or change the driver; a changed name or phone needs confirming again."""
    _claim_case(case, version, config)
    try:
        phone = phone_e164(phone)
    except ValidationError as exc:
        raise ValidationError({"phone": exc.messages}) from exc
    driver = Driver.objects.filter(case=case).first() or Driver(case=case)
    if driver.pk and (driver.name, driver.phone) != (name.strip(), phone):
        driver.confirmed_at, driver.confirmed_by = None, None
    driver.name, driver.relationship, driver.phone = name.strip(), relationship.strip(), phone
    driver.full_clean()
    driver.save()
    return driver


@transaction.atomic
def driver_remove(*, case: Case, version: int, config: RuleConfig) -> None:
    """Remove the driver (history keeps the row)."""
    _claim_case(case, version, config)
    driver = Driver.objects.filter(case=case).first()
    if driver is not None:
        driver.delete()


@transaction.atomic
def driver_confirm(
    *, case: Case, version: int, user: AbstractBaseUser, at: dt.datetime, config: RuleConfig
) -> Driver:
    """The driver was reached by phone and will take the patient home."""
    _claim_case(case, version, config)
    driver = Driver.objects.filter(case=case).first()
    if driver is None:
        raise ValidationError("No driver is recorded for this case; record one first.")
    driver.confirmed_at, driver.confirmed_by = at, user
    driver.full_clean()
    driver.save()
    return driver


@transaction.atomic
def lab_result_add(
    *,
    case: Case,
    version: int,
    test: str,
    value: float,
    taken_on: dt.date,
    today: dt.date,
    config: RuleConfig,
) -> LabResult:
    """Add a lab result; `today` is the clinic's date (a result cannot be taken in the future)."""
    _claim_case(case, version, config)
    if taken_on > today:
        raise ValidationError({"taken_on": "The date a sample was taken cannot be in the future."})
    lab = LabResult(case=case, test=test, value=value, taken_on=taken_on)
    lab.full_clean()
    lab.save()
    return lab


# --- Medicines and allergies ---------------------------------------------------------------------


@dataclass(frozen=True)
class MedicationRow:
    """One line of the medicines form: `id` None for a new line."""

    id: int | None
    name: str = ""  # only `id` and `delete` matter for a line being removed
    dose: str = ""
    frequency: str = ""
    last_dose_planned: dt.date | None = None
    delete: bool = False


@dataclass(frozen=True)
class AllergyRow:
    """One line of the allergies form: `id` None for a new line."""

    id: int | None
    category: str = ""  # only `id` and `delete` matter for a line being removed
    substance: str = ""
    reaction: str = ""
    severity: str = "unknown"
    delete: bool = False


def _rows_by_id(model, case: Case, rows: Sequence) -> dict[int, object]:
    ids = [row.id for row in rows if row.id is not None]
    found = {obj.pk: obj for obj in model.objects.filter(case=case, pk__in=ids)}
    if len(found) != len(set(ids)):
        # A line removed by someone else whose edit claimed an older version cannot get here;
        # an id of another case can only come from a forged form.
        raise ValidationError("A line in this form does not belong to this case — reload the page.")
    return found


@transaction.atomic
def medications_save(
    *, case: Case, version: int, rows: Sequence[MedicationRow], config: RuleConfig
) -> list[Medication]:
    """Add, change and remove medicines as the form says; each keeps its catalogue match in sync."""
    _claim_case(case, version, config)
    existing = _rows_by_id(Medication, case, rows)
    catalogue = {d.name: d for d in Drug.objects.all()}
    kept: list[Medication] = []
    for row in rows:
        med = existing.get(row.id) if row.id is not None else None
        if row.delete:
            if med is not None:
                med.delete()
            continue
        med = med or Medication(case=case)
        med.position = len(kept)
        med.name, med.dose, med.frequency = row.name.strip(), row.dose.strip(), row.frequency.strip()
        med.last_dose_planned = row.last_dose_planned
        med.full_clean()
        med.save()
        med.drugs.set([catalogue[d.name] for d in config.match(med.name) if d.name in catalogue])
        kept.append(med)
    return kept


@transaction.atomic
def allergies_save(
    *, case: Case, version: int, rows: Sequence[AllergyRow], config: RuleConfig
) -> list[Allergy]:
    """Add, change and remove allergies as the form says."""
    _claim_case(case, version, config)
    existing = _rows_by_id(Allergy, case, rows)
    kept: list[Allergy] = []
    for row in rows:
        allergy = existing.get(row.id) if row.id is not None else None
        if row.delete:
            if allergy is not None:
                allergy.delete()
            continue
        allergy = allergy or Allergy(case=case)
        allergy.position = len(kept)
        allergy.category, allergy.severity = row.category, row.severity
        allergy.substance, allergy.reaction = row.substance.strip(), row.reaction.strip()
        allergy.full_clean()
        allergy.save()
        kept.append(allergy)
    return kept


# --- Intake taken by phone -----------------------------------------------------------------------


@dataclass(frozen=True)
class IntakeAnswers:
    medications_complete: bool = False
    no_known_allergies: bool = False
    fasting_acknowledged: bool = False
    can_lie_prone: bool | None = None
    infection_symptoms: bool = False
    pregnant: bool | None = None
    diabetes: str = "none"


@transaction.atomic
def intake_record_for_patient(
    *,
    case: Case,
    version: int,
    answers: IntakeAnswers,
    submit: bool,
    at: dt.datetime,
    config: RuleConfig,
) -> Intake:
    """Staff record the intake answers on the patient's behalf; `submit` marks it submitted at `at`.

    `version` is the intake's version as read (0 when there was no intake yet).
    """
    intake = Intake.objects.filter(case=case).first()
    if intake is None:
        if version != 0:
            raise StaleEdit("The intake answers were removed after this page was loaded — reload.")
        intake = Intake(case=case)
    else:
        if not Intake.objects.filter(pk=intake.pk, version=version).update(version=F("version") + 1):
            raise StaleEdit(changed_by_message(intake, config))
        intake.version = version + 1
    if answers.no_known_allergies and Allergy.objects.filter(case=case).exists():
        raise ValidationError({"no_known_allergies": NKA_WITH_ALLERGIES})
    for name, value in asdict(answers).items():
        setattr(intake, name, value)
    if submit and intake.submitted_at is None:
        intake.submitted_at = at
    # The one-intake-per-case rule is the database's: a racing insert is caught just below.
    intake.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            intake.save()
    except IntegrityError as exc:  # a first intake created by the patient at the same moment
        raise StaleEdit(changed_by_message(Intake.objects.get(case=case), config)) from exc
    return intake
