"""Writes from the case page: driver, labs, medicines, allergies and an intake taken by phone.

Case-level edits claim the case's `version` first (`edits.case_claim`), intake answers claim the
intake's own `version`, so an edit based on an out-of-date page raises `edits.StaleEdit` and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from checklists import casedata as cd
from checklists.catalog import RuleConfig
from checklists.models import (
    Allergy,
    Case,
    Driver,
    Drug,
    Intake,
    LabResult,
    Medication,
)
from checklists.phones import phone_e164
from checklists.services.edits import StaleEdit, case_claim, changed_by_message

NKA_WITH_ALLERGIES = "Allergies are listed for this case: remove them first, or leave this unticked."


@transaction.atomic
def driver_save(
    *, case: Case, version: int, name: str, relationship: str, phone: str, config: RuleConfig, email: str = ""
) -> Driver:
    """Record or change the driver; a changed name or phone needs confirming again."""
    case_claim(case, version, config)
    try:
        phone = phone_e164(phone)
    except ValidationError as exc:
        raise ValidationError({"phone": exc.messages}) from exc
    driver = Driver.objects.filter(case=case).first() or Driver(case=case)
    if not driver.pk or (driver.name, driver.phone) != (name.strip(), phone):
        # Another driver: unconfirmed, no answer yet, and a link sent to the one before stops working.
        driver.confirmed_at, driver.confirmed_by, driver.confirmed_by_driver = None, None, False
        driver.declined_at, driver.recorded_at = None, timezone.now()
    driver.name, driver.relationship, driver.phone = name.strip(), relationship.strip(), phone
    driver.email = email.strip()
    driver.full_clean()
    driver.save()
    return driver


@transaction.atomic
def driver_remove(*, case: Case, version: int, config: RuleConfig) -> None:
    """Remove the driver (history keeps the row)."""
    case_claim(case, version, config)
    driver = Driver.objects.filter(case=case).first()
    if driver is not None:
        driver.delete()


@transaction.atomic
def driver_confirm(
    *, case: Case, version: int, user: AbstractBaseUser, at: dt.datetime, config: RuleConfig
) -> Driver:
    """The driver was reached by phone and will take the patient home."""
    case_claim(case, version, config)
    driver = Driver.objects.filter(case=case).first()
    if driver is None:
        raise ValidationError("No driver is recorded for this case; record one first.")
    driver.confirmed_at, driver.confirmed_by, driver.confirmed_by_driver = at, user, False
    driver.declined_at = None  # a driver who said "I can't" by link, then yes on the phone
    driver.full_clean()
    driver.save()
    return driver


class DriverAnswerClosed(ValidationError):
    """The driver's answer can no longer be changed through the link (phone the clinic)."""


@transaction.atomic
def driver_answer(
    *, driver: Driver, will_drive: bool, now: dt.datetime, change_until: dt.datetime, config: RuleConfig
) -> bool:
    """The driver's own answer through their link; True if it changed anything.

    "Yes" confirms the driver ("driver, by link"), "I can't" records the refusal (DRIVER_DECLINED);
    the same answer twice changes nothing, and another answer is taken only before `change_until`
    (the start − 24 h). The case's version moves, so a coordinator's open form sees the change.
    """
    case = Case.objects.select_for_update().get(pk=driver.case_id)
    driver = Driver.objects.select_for_update().get(pk=driver.pk)
    answered = driver.confirmed_at is not None or driver.declined_at is not None
    if answered and (driver.confirmed_at is not None) == will_drive:
        return False
    if answered and now >= change_until:
        raise DriverAnswerClosed("It is too late to change the answer here: please phone the clinic.")
    case_claim(case, case.version, config)
    if will_drive:
        driver.confirmed_at, driver.confirmed_by, driver.confirmed_by_driver = now, None, True
        driver.declined_at = None
    else:
        driver.confirmed_at, driver.confirmed_by, driver.confirmed_by_driver = None, None, False
        driver.declined_at = now
    driver.full_clean()
    driver.save()
    return True


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
    case_claim(case, version, config)
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


def line_fields(row_class: type) -> tuple[str, ...]:
    """The values a line carries (MedicationRow: name, dose, frequency, last_dose_planned)."""
    return tuple(f.name for f in fields(row_class) if f.name not in ("id", "delete"))


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
    case_claim(case, version, config)
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
    case_claim(case, version, config)
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


@transaction.atomic
def intake_record_for_patient(
    *,
    case: Case,
    version: int,
    answers: cd.IntakeAnswers,
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
