"""The case as plain data: what the case format carries and what the readiness engine reads.

No Django here. `casefile` parses JSON into these, `selectors` builds them from the database,
and `rules` evaluates them, so a file and a stored case are judged by exactly the same code.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field, fields

# Spinal order; the position in this tuple is how levels are sorted everywhere.
LEVELS: tuple[str, ...] = (
    *(f"C{i}" for i in range(1, 8)),
    *(f"T{i}" for i in range(1, 13)),
    *(f"L{i}" for i in range(1, 6)),
    "S1",
)
LEVEL_ORDER = {level: i for i, level in enumerate(LEVELS)}

SEXES = ("female", "male", "other", "unknown")
LANGUAGES = ("en", "es")
PROCEDURE_KINDS = ("vertebroplasty", "kyphoplasty")
ANESTHESIA = ("local_sedation", "general")
ALLERGY_CATEGORIES = (
    "iodinated_contrast",
    "local_anesthetic",
    "general_anesthetic",
    "sedative",
    "latex",
    "other",
)
ALLERGY_CATEGORY_LABELS = {
    "iodinated_contrast": "Iodinated contrast",
    "local_anesthetic": "Local anaesthetic",
    "general_anesthetic": "General anaesthetic",
    "sedative": "Sedative",
    "latex": "Latex",
    "other": "Other",
}
ANESTHETIC_ALLERGY_CATEGORIES = ("local_anesthetic", "general_anesthetic", "sedative")
ALLERGY_SEVERITIES = ("mild", "moderate", "severe", "unknown")
DIABETES = ("none", "diet", "tablets", "insulin")
LAB_TESTS = ("inr", "platelets", "egfr")
# Medication classes (MEDICATIONS.md), each with what it triggers in the readiness engine.
DRUG_CLASSES = (
    "vka",
    "doac",
    "antiplatelet",
    "heparin",
    "nsaid",
    "herbal_bleeding",
    "herbal_other",
    "glp1",
    "sglt2",
    "metformin",
    "insulin",
    "sulfonylurea",
    "no_action",
)
ANTICOAGULANT_CLASSES = frozenset({"vka", "doac", "antiplatelet", "heparin"})
# Two different drugs of these classes together: ANTICOAGULANT_COMBINATION (antiplatelets aside).
COMBINATION_CLASSES = frozenset({"vka", "doac", "heparin"})
NO_ACTION = "no_action"

SIGNOFF_ITEMS = (
    "anticoagulant_plan_approved",
    "anticoagulant_exception_approved",
    "anticoagulant_combination_reviewed",
    "nsaid_plan_given",
    "supplement_advice_given",
    "glp1_plan_given",
    "sglt2_plan_given",
    "metformin_plan_given",
    "diabetes_plan_given",
    "medication_reviewed",
    "medication_list_checked",
    "contrast_premedication_prescribed",
    "anesthetic_allergy_reviewed",
    "latex_precautions_arranged",
    "labs_reviewed",
    "positioning_reviewed",
    "infection_cleared",
    "pregnancy_excluded",
)
# Sign-offs about one medication line: they name it, and clear only that line's flags.
PER_MEDICATION_ITEMS = frozenset(
    {
        "anticoagulant_plan_approved",
        "anticoagulant_exception_approved",
        "nsaid_plan_given",
        "supplement_advice_given",
        "glp1_plan_given",
        "sglt2_plan_given",
        "metformin_plan_given",
        "medication_reviewed",
    }
)
# Per-medication sign-offs that record the plan itself: a last dose date, or "continue".
PLAN_ITEMS = frozenset({"anticoagulant_plan_approved", "nsaid_plan_given"})


def sort_levels(levels: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Levels in spinal order (C1 first, S1 last)."""
    return tuple(sorted(levels, key=LEVEL_ORDER.__getitem__))


# Maximum lengths: the model fields, the case file and every form take them from here.
NAME_MAX = 100
TEXT_MAX = 200  # medication name/dose/frequency, allergy substance/reaction
ROOM_MAX = 100
RELATIONSHIP_MAX = 100
BY_MAX = 150
NOTE_MAX = 1000
EMAIL_MAX = 254
PHONE_INPUT_MAX = 50  # before parsing; E.164 itself is at most 16 characters
REFERENCE_MAX = 64
LEVELS_MAX = 6


def hidden_character(text: str) -> str:
    """'' for plain text, else the first invisible character as 'U+202E': a bidirectional override,
    a zero-width space or a control character would make a name or note read differently on
    screen from what is stored (line breaks and tabs are fine)."""
    for char in text:
        if char in "\n\r\t":
            continue
        if unicodedata.category(char) in ("Cc", "Cf"):
            return f"U+{ord(char):04X}"
    return ""


# The days an appointment may fall on, seen from today: history imports reach this far back,
# bookings this far ahead. Beyond that a date is a typo (or hostile), never a plan.
APPOINTMENT_YEARS_BACK = 10
APPOINTMENT_YEARS_AHEAD = 5


def appointment_window(today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day an appointment may fall on, seen from `today`."""
    return _years_from(today, -APPOINTMENT_YEARS_BACK), _years_from(today, APPOINTMENT_YEARS_AHEAD)


def outside_appointment_window(day: dt.date, today: dt.date) -> str:
    """'' for a day in the window, else what is wrong: 'must be between 2016-11-22 and 2031-11-22'."""
    first, last = appointment_window(today)
    if first <= day <= last:
        return ""
    return f"must be between {first.isoformat()} and {last.isoformat()}"


def _years_from(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


# Each flag code in words, for staff pages (the code itself is the stable id READINESS.md defines).
FLAG_TITLES = {
    "NOT_SCHEDULED": "Not scheduled",
    "INTAKE_NOT_SUBMITTED": "Intake not submitted",
    "MEDICATIONS_UNCONFIRMED": "Medicine list not confirmed",
    "ALLERGIES_UNANSWERED": "Allergies not answered",
    "FASTING_NOT_ACKNOWLEDGED": "Fasting instructions not acknowledged",
    "DRIVER_MISSING": "No driver",
    "DRIVER_UNCONFIRMED": "Driver not confirmed",
    "DRIVER_DECLINED": "Driver said they can't",
    "ANTICOAGULANT_HOLD_PLAN": "Blood thinner: hold plan needed",
    "ANTICOAGULANT_LAST_DOSE_TOO_LATE": "Blood thinner: last dose too late",
    "ANTICOAGULANT_COMBINATION": "Two blood thinners",
    "SUPPLEMENT_BLEEDING_RISK": "Supplement raising bleeding risk",
    "SUPPLEMENT_OTHER_RISK": "Supplement to review",
    "NSAID_HOLD": "Anti-inflammatory to stop",
    "GLP1_AGONIST_REVIEW": "GLP-1 medicine: review",
    "SGLT2_INHIBITOR_HOLD": "SGLT2 medicine to stop",
    "METFORMIN_RENAL_REVIEW": "Metformin and kidney function",
    "DIABETES_PLAN": "Diabetes plan needed",
    "CONTRAST_PREMEDICATION": "Contrast allergy: premedication",
    "ANESTHETIC_ALLERGY_REVIEW": "Anaesthetic or sedation allergy",
    "LATEX_ALLERGY": "Latex allergy",
    "LAB_MISSING": "Lab result missing",
    "LAB_OUT_OF_RANGE": "Lab result out of range",
    "PRONE_POSITION_REVIEW": "Lying face down: review",
    "INFECTION_REVIEW": "Infection: review",
    "PREGNANCY_REVIEW": "Pregnancy not excluded",
    "MEDICATION_UNRECOGNISED": "Medicine not recognised",
    "MEDICATION_LISTED_TWICE": "Medicine listed twice",
}


@dataclass(frozen=True)
class PatientData:
    first_name: str
    last_name: str
    date_of_birth: dt.date
    sex: str = "unknown"
    email: str | None = None
    phone: str | None = None  # E.164
    language: str = "en"


@dataclass(frozen=True)
class ProcedureData:
    levels: tuple[str, ...]  # spinal order, distinct, 1-6
    kind: str = "vertebroplasty"
    anesthesia: str = "local_sedation"
    contrast_planned: bool = True


@dataclass(frozen=True)
class AppointmentData:
    start: dt.datetime  # aware
    room: str


@dataclass(frozen=True)
class MedicationData:
    name: str
    dose: str | None = None
    frequency: str | None = None
    last_dose_planned: dt.date | None = None


@dataclass(frozen=True)
class AllergyData:
    category: str
    substance: str | None = None
    reaction: str | None = None
    severity: str = "unknown"


@dataclass(frozen=True)
class IntakeAnswers:
    """The patient's answers to the intake questions: the one list the case file, the model, the
    intake steps and the case page's phone intake share (a None answers "not sure")."""

    medications_complete: bool = False
    no_known_allergies: bool = False
    fasting_acknowledged: bool = False
    can_lie_prone: bool | None = None
    infection_symptoms: bool = False
    pregnant: bool | None = None
    diabetes: str = "none"


INTAKE_ANSWERS = tuple(f.name for f in fields(IntakeAnswers))


@dataclass(frozen=True)
class IntakeData(IntakeAnswers):
    """A submitted intake: the answers and when they were submitted."""

    submitted_at: dt.datetime = field(kw_only=True)  # aware


# `confirmed_by` of a driver who confirmed through their own link (CASE_FORMAT.md).
CONFIRMED_BY_DRIVER = "driver"


@dataclass(frozen=True)
class DriverData:
    name: str
    phone: str  # E.164
    relationship: str | None = None
    confirmed_at: dt.datetime | None = None
    confirmed_by: str | None = None  # a staff username, or "driver" (confirmed through their link)
    declined_at: dt.datetime | None = None  # the driver answered "I can't" through their link


@dataclass(frozen=True)
class LabData:
    test: str
    value: float
    taken_on: dt.date


@dataclass(frozen=True)
class SignOffData:
    item: str
    by: str
    at: dt.datetime  # aware
    note: str | None = None
    medication: str | None = None  # the medication line's name, for PER_MEDICATION_ITEMS
    # PLAN_ITEMS only: the approved last dose day (None: the computed one), or keep taking it.
    last_dose_on: dt.date | None = None
    keep_taking: bool = False  # "continue" in the case format
    for_start: dt.datetime | None = None  # the appointment start the plan was approved for


@dataclass(frozen=True)
class CaseData:
    reference: str
    patient: PatientData
    procedure: ProcedureData
    appointment: AppointmentData | None = None
    medications: tuple[MedicationData, ...] = field(default=())
    allergies: tuple[AllergyData, ...] = field(default=())
    intake: IntakeData | None = None
    driver: DriverData | None = None
    labs: tuple[LabData, ...] = field(default=())
    signoffs: tuple[SignOffData, ...] = field(default=())
