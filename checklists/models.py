"""PrepDesk's data: patients, cases and what is known about them, and the clinic's rule data.

Models hold fields and database constraints only; every write goes through `services`.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pgtrigger
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from checklists import casedata, defaults
from checklists.casedata import DRUG_CLASSES
from checklists.wording import stamp_text


def _choices(values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(v, v.replace("_", " ").capitalize()) for v in values]


REFERENCE_VALIDATOR = RegexValidator(
    r"^[A-Za-z0-9._-]{1,64}$", "1-64 letters, digits, dots, dashes or underscores."
)


class Room(models.Model):
    name = models.CharField(max_length=casedata.ROOM_MAX, unique=True)
    location = models.CharField(
        max_length=200, blank=True, help_text="Shown to patients, e.g. 'Level 2, IR suite'."
    )
    is_active = models.BooleanField(default=True)
    opens_at = models.TimeField(default=dt.time(8, 0), help_text="First start time of the day (clinic time).")
    closes_at = models.TimeField(default=dt.time(18, 0), help_text="Cases should end by then (clinic time).")
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Patient(models.Model):
    class MessageChannel(models.TextChoices):
        SMS = "sms", "Text messages"
        EMAIL = "email", "Email"
        BOTH = "both", "Text messages and email"
        NONE = "none", "No messages: phone the patient"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    first_name = models.CharField(max_length=casedata.NAME_MAX)
    last_name = models.CharField(max_length=casedata.NAME_MAX)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=10, choices=_choices(casedata.SEXES), default="unknown")
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="E.164, e.g. +15551234567")
    language = models.CharField(max_length=2, choices=[("en", "English"), ("es", "Español")], default="en")
    message_channel = models.CharField(
        max_length=5,
        choices=MessageChannel.choices,
        default=MessageChannel.EMAIL,
        help_text="How the patient wants reminders and instructions sent.",
    )
    sms_confirmed_phone = models.CharField(
        max_length=20,
        blank=True,
        help_text="The number the patient (or staff on their behalf) confirmed may receive text "
        "messages. Texts go only to this number, and stop when the phone changes until it is confirmed.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [models.Index(fields=["last_name", "first_name"])]

    def __str__(self) -> str:
        return f"{self.last_name}, {self.first_name}"


class Case(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        CANCELLED = "cancelled", "Cancelled"
        COMPLETED = "completed", "Completed"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(
        max_length=casedata.REFERENCE_MAX, unique=True, validators=[REFERENCE_VALIDATOR]
    )
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="cases")
    kind = models.CharField(
        max_length=20, choices=_choices(casedata.PROCEDURE_KINDS), default="vertebroplasty"
    )
    levels = models.JSONField(default=list, help_text='Vertebral levels in spinal order, e.g. ["T12", "L1"].')
    anesthesia = models.CharField(
        max_length=20, choices=_choices(casedata.ANESTHESIA), default="local_sedation"
    )
    contrast_planned = models.BooleanField(default=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # Optimistic locking: every update is `WHERE version = <read version>` and bumps it.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["reference"]
        # The dashboard's "unscheduled drafts": few, whatever the number of cases.
        indexes = [models.Index(fields=["created_at"], condition=Q(status="draft"), name="case_draft")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "scheduled", "cancelled", "completed"]),
                name="case_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class Appointment(models.Model):
    """A case's slot in a room. `end` is derived from the levels and stored for overlap checks."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="appointment")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="appointments")
    start = models.DateTimeField()
    end = models.DateTimeField()
    # False once the case is cancelled: the slot is free again but the record stays.
    is_active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["start"]
        indexes = [
            models.Index(fields=["room", "start"]),
            # The dashboard's, day view's and sweep's "active slots in a time range".
            models.Index(fields=["start"], condition=Q(is_active=True), name="appointment_active_start"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="appointment_end_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.case} in {self.room} at {stamp_text(self.start, timezone.get_current_timezone())}"


class Drug(models.Model):
    """One medication catalogue entry: a generic drug, its class, brand aliases and hold rule."""

    name = models.CharField(max_length=100, unique=True, help_text="Generic name, lower case.")
    drug_class = models.CharField(max_length=20, choices=_choices(DRUG_CLASSES))
    aliases = models.TextField(
        blank=True,
        help_text="Other names, separated by commas: brands, patient words, Spanish names, and "
        "combination products (a product listed under several drugs names each of them).",
    )
    hold_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Whole days without a dose."
    )
    hold_hours = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Hours before the start.")
    renal_egfr_below = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Use the renal hold when the latest eGFR is below this (or missing)."
    )
    renal_hold_days = models.PositiveSmallIntegerField(null=True, blank=True)
    source = models.TextField(blank=True)
    rxnorm = models.CharField(
        "RxNorm",
        max_length=10,
        blank=True,
        validators=[RegexValidator(r"^[1-9][0-9]{0,9}$", "An RxNorm RXCUI is digits only, e.g. 1364430.")],
        help_text="The ingredient's RxNorm RXCUI (term type IN; look it up at "
        "https://mor.nlm.nih.gov/RxNav). The FHIR export codes medicine lines with it; blank: "
        "the line travels as text only.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["drug_class", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(hold_days__isnull=True) | Q(hold_hours__isnull=True), name="drug_one_hold_unit"
            ),
            models.CheckConstraint(
                condition=Q(renal_egfr_below__isnull=True, renal_hold_days__isnull=True)
                | Q(renal_egfr_below__isnull=False, renal_hold_days__isnull=False),
                name="drug_renal_rule_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def alias_list(self) -> list[str]:
        return [a.strip() for a in self.aliases.split(",") if a.strip()]


class Medication(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="medications")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=casedata.TEXT_MAX, help_text="As the patient wrote it.")
    dose = models.CharField(max_length=casedata.TEXT_MAX, blank=True)
    frequency = models.CharField(max_length=casedata.TEXT_MAX, blank=True)
    last_dose_planned = models.DateField(null=True, blank=True)
    # The catalogue match when the row was saved (for lists and filters); the engine re-matches
    # the name against the current catalogue, so an edited catalogue applies at once.
    drugs = models.ManyToManyField(Drug, blank=True, related_name="medications")
    history = HistoricalRecords(m2m_fields=[drugs])

    class Meta:
        ordering = ["case", "position", "id"]

    def __str__(self) -> str:
        return self.name


class Allergy(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="allergies")
    position = models.PositiveSmallIntegerField(default=0)
    category = models.CharField(max_length=20, choices=_choices(casedata.ALLERGY_CATEGORIES))
    substance = models.CharField(max_length=casedata.TEXT_MAX, blank=True)
    reaction = models.CharField(max_length=casedata.TEXT_MAX, blank=True)
    severity = models.CharField(
        max_length=10, choices=_choices(casedata.ALLERGY_SEVERITIES), default="unknown"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["case", "position", "id"]
        verbose_name_plural = "allergies"

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.substance or 'unspecified'}"


class Intake(models.Model):
    """The patient's answers; `submitted_at` is empty while they are still filling it in."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="intake")
    submitted_at = models.DateTimeField(null=True, blank=True)
    medications_complete = models.BooleanField(default=False)
    no_known_allergies = models.BooleanField(default=False)
    fasting_acknowledged = models.BooleanField(default=False)
    can_lie_prone = models.BooleanField(null=True, blank=True)
    infection_symptoms = models.BooleanField(default=False)
    pregnant = models.BooleanField(null=True, blank=True)
    diabetes = models.CharField(max_length=10, choices=_choices(casedata.DIABETES), default="none")
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        # The sweep's "intakes submitted in the last hours" (a thank-you and the coordinator's notice).
        indexes = [
            models.Index(
                fields=["submitted_at"], condition=Q(submitted_at__isnull=False), name="intake_submitted_at"
            )
        ]

    def __str__(self) -> str:
        return f"Intake for {self.case}"


class Driver(models.Model):
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="driver")
    name = models.CharField(max_length=casedata.NAME_MAX)
    relationship = models.CharField(max_length=casedata.RELATIONSHIP_MAX, blank=True)
    phone = models.CharField(max_length=20, help_text="E.164")
    email = models.EmailField(
        blank=True, help_text="Where the driver's link goes when their phone takes no texts."
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_by_driver = models.BooleanField(
        default=False, help_text="The driver confirmed through their own link (not staff by phone)."
    )
    declined_at = models.DateTimeField(
        null=True, blank=True, help_text='When the driver answered "I can\'t" through their own link.'
    )
    # When this name and phone were recorded: the driver's link is sent from then, and a link made
    # for an earlier driver stops working (checklists.driver_links).
    recorded_at = models.DateTimeField(null=True, blank=True, db_index=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(confirmed_at__isnull=True) | Q(declined_at__isnull=True),
                name="driver_not_confirmed_and_declined",
            )
        ]

    def __str__(self) -> str:
        return self.name


class LabResult(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="labs")
    test = models.CharField(
        max_length=10, choices=[("inr", "INR"), ("platelets", "Platelets"), ("egfr", "eGFR")]
    )
    value = models.FloatField(validators=[MinValueValidator(0)])
    taken_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["case", "taken_on", "id"]

    def __str__(self) -> str:
        return f"{self.get_test_display()} {self.value} on {self.taken_on}"


class SignOff(models.Model):
    """A staff sign-off that clears flags; withdrawing it brings them back.

    Per-medication items (casedata.PER_MEDICATION_ITEMS) name their line: they count only while
    that line exists under the same name. Plans also record the last dose day (or "keep taking
    it") and the appointment start they were approved for.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="signoffs")
    item = models.CharField(max_length=40, choices=_choices(casedata.SIGNOFF_ITEMS))
    medication = models.ForeignKey(
        Medication, null=True, blank=True, on_delete=models.SET_NULL, related_name="signoffs"
    )
    medication_name = models.CharField(
        max_length=casedata.TEXT_MAX,
        blank=True,
        help_text="The line's name when signed off; a renamed line no longer counts.",
    )
    last_dose_on = models.DateField(
        null=True, blank=True, help_text="Plans: the approved last dose day (empty: the computed one)."
    )
    keep_taking = models.BooleanField(default=False, help_text="Plans: keep taking it (no last dose).")
    for_start = models.DateTimeField(
        null=True, blank=True, help_text="Plans: the appointment start the plan was approved for."
    )
    by = models.CharField(max_length=casedata.BY_MAX, help_text="Staff username or name.")
    by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    note = models.TextField(blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["case", "at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "item"],
                condition=Q(withdrawn_at__isnull=True, medication_name=""),
                name="one_active_signoff_per_item",
            ),
            models.UniqueConstraint(
                fields=["case", "item", "medication", "medication_name"],
                condition=Q(withdrawn_at__isnull=True) & ~Q(medication_name=""),
                name="one_active_signoff_per_item_and_medication",
            ),
            models.CheckConstraint(
                condition=Q(keep_taking=False) | Q(last_dose_on__isnull=True),
                name="signoff_plan_date_or_continue",
            ),
        ]

    def __str__(self) -> str:
        line = f" ({self.medication_name})" if self.medication_name else ""
        return f"{self.item}{line} by {self.by}"


class RuleSettings(models.Model):
    """The clinic's rule numbers: a single row (pk=1), edited in the admin. Sources in help text."""

    food_stop_hours = models.PositiveSmallIntegerField(help_text=defaults.RULE_SETTINGS["food_stop_hours"][1])
    clear_liquids_stop_hours = models.PositiveSmallIntegerField(
        help_text=defaults.RULE_SETTINGS["clear_liquids_stop_hours"][1]
    )
    arrival_minutes_before = models.PositiveSmallIntegerField(
        help_text=defaults.RULE_SETTINGS["arrival_minutes_before"][1]
    )
    minutes_per_level = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1)], help_text=defaults.RULE_SETTINGS["minutes_per_level"][1]
    )
    observation_minutes = models.PositiveSmallIntegerField(
        help_text=defaults.RULE_SETTINGS["observation_minutes"][1]
    )
    lab_validity_days = models.PositiveSmallIntegerField(
        help_text=defaults.RULE_SETTINGS["lab_validity_days"][1]
    )
    warfarin_inr_validity_days = models.PositiveSmallIntegerField(
        help_text=defaults.RULE_SETTINGS["warfarin_inr_validity_days"][1]
    )
    inr_max = models.DecimalField(
        max_digits=4, decimal_places=2, help_text=defaults.RULE_SETTINGS["inr_max"][1]
    )
    platelets_min = models.PositiveSmallIntegerField(help_text=defaults.RULE_SETTINGS["platelets_min"][1])
    metformin_egfr_below = models.PositiveSmallIntegerField(
        help_text=defaults.RULE_SETTINGS["metformin_egfr_below"][1]
    )
    pregnancy_age_below = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(120)], help_text=defaults.RULE_SETTINGS["pregnancy_age_below"][1]
    )
    premedication_source = models.TextField(blank=True, default=defaults.PREMEDICATION_SOURCE)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "rule settings"
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="rule_settings_single_row")]

    def __str__(self) -> str:
        return "Clinic rule settings"


class Readiness(models.Model):
    """A case's readiness as last computed, for the lists (the dashboard filters, sorts and pages on
    it; the case page evaluates live and must agree). Trusted only while fresh (selectors/readiness.py):
    computed at the current `generation` (bumped in the transaction of every change to the case's
    inputs), with the current rule data and clinic time zone, and before `valid_until` (the first
    moment the date alone could change the answer)."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, primary_key=True, related_name="readiness")
    generation = models.PositiveBigIntegerField(default=0)
    computed_generation = models.PositiveBigIntegerField(null=True, blank=True)
    rules_version = models.PositiveBigIntegerField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    ready = models.BooleanField(default=False)
    blockers = models.PositiveSmallIntegerField(default=0)
    warnings = models.PositiveSmallIntegerField(default=0)
    open_patient = models.BooleanField(default=False)
    open_coordinator = models.BooleanField(default=False)
    open_clinician = models.BooleanField(default=False)
    top_code = models.CharField(max_length=40, blank=True)
    top_owner = models.CharField(max_length=20, blank=True)
    top_due = models.DateTimeField(null=True, blank=True)
    flags = models.JSONField(default=list, blank=True)  # rules.Flag.as_json of each, engine order

    class Meta:
        verbose_name_plural = "readiness"

    def __str__(self) -> str:
        state = "ready" if self.ready else f"{self.blockers} blocker(s), {self.warnings} warning(s)"
        return f"{self.case_id}: {state} (generation {self.generation})"


class RuleDataVersion(models.Model):
    """A counter (one row, pk=1) bumped in the same transaction as every change to the catalogue,
    the flag deadlines or the premedication steps, so each process may keep those tables in memory
    until it moves (selectors/catalogue.py). Its own table: a stale admin form can never write an
    old value back, and nothing else ever writes it."""

    version = models.PositiveBigIntegerField(default=1)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="rule_data_version_single_row")]

    def __str__(self) -> str:
        return f"Rule data version {self.version}"


class FlagDeadline(models.Model):
    """When a flag falls due, in hours before the appointment start."""

    code = models.CharField(max_length=40, unique=True)
    hours_before_start = models.PositiveSmallIntegerField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code}: {self.hours_before_start} h before start"


class PremedicationStep(models.Model):
    """One dose of the contrast-allergy premedication regimen (ACR 13-7-1 h by default)."""

    position = models.PositiveSmallIntegerField(default=0)
    drug = models.CharField(
        max_length=100, help_text="Drug, dose and route, e.g. 'prednisone 50 mg by mouth'."
    )
    drug_es = models.CharField(
        max_length=100,
        blank=True,
        help_text="The same for Spanish-speaking patients, e.g. 'prednisona 50 mg por vía oral'.",
    )
    hours_before_start = models.PositiveSmallIntegerField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "-hours_before_start"]

    def __str__(self) -> str:
        return f"{self.drug} at start − {self.hours_before_start} h"


class AccessLog(models.Model):
    """Who looked at which patient's data, and when (PRODUCT.md: every view is logged).

    The case's reference and the patient's name are copied in, so a row still says whose data it
    was if the case is ever removed (the link to the case then goes empty, never dangling).
    """

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="access_logs"
    )
    case_reference = models.CharField(max_length=casedata.REFERENCE_MAX, blank=True, db_index=True)
    patient_name = models.CharField(max_length=2 * casedata.NAME_MAX + 2, blank=True)
    action = models.CharField(max_length=80, help_text="e.g. case.view, case.sheet, dashboard")
    path = models.CharField(max_length=500)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at"]
        # Append-only on PostgreSQL: the database itself refuses to delete a row or change what it
        # says. The one change allowed is the link to a case or user going empty when that row is
        # removed (on_delete=SET_NULL); the copied reference and name keep saying whose data it was.
        triggers = [
            pgtrigger.Protect(name="access_log_no_delete", operation=pgtrigger.Delete),
            pgtrigger.Protect(
                name="access_log_no_update",
                operation=pgtrigger.Update,
                condition=pgtrigger.Condition(
                    "(ROW(OLD.id, OLD.at, OLD.case_reference, OLD.patient_name, OLD.action, OLD.path, OLD.ip)"
                    " IS DISTINCT FROM "
                    "ROW(NEW.id, NEW.at, NEW.case_reference, NEW.patient_name, NEW.action, NEW.path, NEW.ip)"
                    " OR (NEW.case_id IS NOT NULL AND NEW.case_id IS DISTINCT FROM OLD.case_id)"
                    " OR (NEW.user_id IS NOT NULL AND NEW.user_id IS DISTINCT FROM OLD.user_id))"
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{stamp_text(self.at, timezone.get_current_timezone())} {self.user} {self.action}"
