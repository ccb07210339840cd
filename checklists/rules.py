"""The readiness engine: small pure rules over a case, evaluated at a given moment (READINESS.md).

No ORM, no Django, no clock: `as_of` is always passed in, so a file and a stored case, a test and
the live dashboard are judged by exactly the same code. Every number comes from `RuleConfig`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from checklists.casedata import (
    ALLERGY_CATEGORIES,
    ANESTHETIC_ALLERGY_CATEGORIES,
    SIGNOFF_ITEMS,
    CaseData,
    IntakeData,
    LabData,
    MedicationData,
)
from checklists.catalog import ANTICOAGULANT_CLASSES, DrugEntry, RuleConfig, normalize_name

BLOCKER = "blocker"
WARNING = "warning"
PATIENT = "patient"
COORDINATOR = "coordinator"
CLINICIAN = "clinician"

# Flag code -> the sign-off item that clears it (READINESS.md, "cleared by").
CLEARED_BY: Mapping[str, str] = {
    "ANTICOAGULANT_HOLD_PLAN": "anticoagulant_plan_approved",
    "ANTICOAGULANT_LAST_DOSE_TOO_LATE": "anticoagulant_exception_approved",
    "SUPPLEMENT_BLEEDING_RISK": "supplement_advice_given",
    "GLP1_AGONIST_REVIEW": "glp1_plan_given",
    "SGLT2_INHIBITOR_HOLD": "sglt2_plan_given",
    "METFORMIN_RENAL_REVIEW": "metformin_plan_given",
    "DIABETES_PLAN": "diabetes_plan_given",
    "CONTRAST_PREMEDICATION": "contrast_premedication_prescribed",
    "ANESTHETIC_ALLERGY_REVIEW": "anesthetic_allergy_reviewed",
    "LATEX_ALLERGY": "latex_precautions_arranged",
    "LAB_OUT_OF_RANGE": "labs_reviewed",
    "PRONE_POSITION_REVIEW": "positioning_reviewed",
    "INFECTION_REVIEW": "infection_cleared",
    "PREGNANCY_REVIEW": "pregnancy_excluded",
}

_LAB_LABELS = {"inr": "INR", "platelets": "Platelets", "egfr": "eGFR"}
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_UNSCHEDULED = "follows once the case is scheduled"


# --- Values --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Flag:
    """One thing standing between the case and the procedure, or worth knowing."""

    code: str
    severity: str  # "blocker" | "warning"
    owner: str  # "patient" | "coordinator" | "clinician"
    due: dt.datetime | None  # aware
    overdue: bool
    message: str
    # Python values (dates and aware datetimes stay typed until as_json); not hashed, as dicts can't be.
    data: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def as_json(self, time_zone: ZoneInfo) -> dict[str, Any]:
        """JSON-ready dict; datetimes as ISO 8601 in the clinic time zone with offset."""
        return {
            "code": self.code,
            "severity": self.severity,
            "owner": self.owner,
            "due": _jsonable(self.due, time_zone),
            "overdue": self.overdue,
            "message": self.message,
            "data": _jsonable(self.data, time_zone),
        }


@dataclass(frozen=True)
class Timeline:
    """The appointment's clock times, all aware UTC."""

    start: dt.datetime
    end: dt.datetime
    arrival_at: dt.datetime
    food_stop_at: dt.datetime
    clear_liquids_stop_at: dt.datetime
    pickup_at: dt.datetime
    procedure_day: dt.date  # start's date in the clinic time zone


@dataclass(frozen=True)
class MedicationHold:
    """When one catalogue drug in one medication line must stop (renal variant applied)."""

    medication: MedicationData
    drug: DrugEntry
    hold_days: int | None  # set for day-based holds
    hold_hours: int | None  # set for hours-based holds
    last_dose_on: dt.date | None  # local date; None when unscheduled
    last_dose_at: dt.datetime | None  # hours-based holds only; aware UTC
    due: dt.datetime | None = None  # local 00:00 of last_dose_on, aware UTC
    renal_adjusted: bool = False  # the longer hold applies (eGFR low or not on file)


@dataclass(frozen=True)
class MatchedMedication:
    """A medication line as written, with every catalogue drug it names (empty = unclassified)."""

    medication: MedicationData
    drugs: tuple[DrugEntry, ...]
    holds: Mapping[str, MedicationHold] = field(default_factory=dict, hash=False)  # by drug name


@dataclass(frozen=True)
class Context:
    """Everything the rules read, computed once per evaluation."""

    case: CaseData
    config: RuleConfig
    as_of: dt.datetime
    tz: ZoneInfo
    timeline: Timeline | None
    today: dt.date  # as_of's date in the clinic time zone
    reference_day: dt.date  # procedure day, or today when unscheduled
    intake: IntakeData | None  # None until submitted (at or before as_of)
    driver_confirmed: bool  # confirmed at or before as_of
    signoffs: frozenset[str]  # sign-off items recorded at or before as_of
    medications: tuple[MatchedMedication, ...]
    labs: Mapping[str, LabData]  # latest valid result per test
    holds: tuple[MedicationHold, ...]
    on_vka: bool

    @property
    def egfr(self) -> float | None:
        """Latest valid eGFR, if any."""
        lab = self.labs.get("egfr")
        return None if lab is None else lab.value

    def deadline(self, code: str) -> dt.datetime | None:
        """The due time of a start-relative flag: start minus the clinic's hours for that code."""
        hours = self.config.deadlines.get(code)
        if self.timeline is None or hours is None:
            return None
        return self.timeline.start - dt.timedelta(hours=hours)

    def drugs_of_class(self, *classes: str) -> list[tuple[MatchedMedication, DrugEntry]]:
        """Every (medication, drug) pair whose drug is in one of `classes`, in list order."""
        return [(m, d) for m in self.medications for d in m.drugs if d.drug_class in classes]


# --- Context -------------------------------------------------------------------------------------


def timeline_for(case: CaseData, config: RuleConfig) -> Timeline | None:
    """The appointment's times (absolute offsets from start), or None when unscheduled."""
    if case.appointment is None:
        return None
    start = _require_aware(case.appointment.start, "appointment.start").astimezone(dt.UTC)
    end = start + dt.timedelta(minutes=config.minutes_per_level * len(case.procedure.levels))
    return Timeline(
        start=start,
        end=end,
        arrival_at=start - dt.timedelta(minutes=config.arrival_minutes_before),
        food_stop_at=start - dt.timedelta(hours=config.food_stop_hours),
        clear_liquids_stop_at=start - dt.timedelta(hours=config.clear_liquids_stop_hours),
        pickup_at=end + dt.timedelta(minutes=config.observation_minutes),
        procedure_day=start.astimezone(config.time_zone).date(),
    )


def build_context(case: CaseData, config: RuleConfig, as_of: dt.datetime) -> Context:
    """Compute once what the rules share: times, matched medicines, valid labs, holds, sign-offs."""
    as_of = _require_aware(as_of, "as_of")
    tz = config.time_zone
    timeline = timeline_for(case, config)
    today = as_of.astimezone(tz).date()
    reference_day = timeline.procedure_day if timeline else today

    matched = [(med, config.match(med.name)) for med in case.medications]
    on_vka = any(d.drug_class == "vka" for _, drugs in matched for d in drugs)
    labs = _latest_valid_labs(case.labs, config, reference_day, today, on_vka)
    egfr = labs["egfr"].value if "egfr" in labs else None

    medications = tuple(
        MatchedMedication(
            medication=med,
            drugs=drugs,
            holds={d.name: hold for d in drugs if (hold := _hold(med, d, egfr, timeline, tz)) is not None},
        )
        for med, drugs in matched
    )
    # A timestamp later than as_of has not happened yet at that moment.
    intake = case.intake if case.intake is not None and case.intake.submitted_at <= as_of else None
    driver = case.driver
    return Context(
        case=case,
        config=config,
        as_of=as_of,
        tz=tz,
        timeline=timeline,
        today=today,
        reference_day=reference_day,
        intake=intake,
        driver_confirmed=(
            driver is not None and driver.confirmed_at is not None and driver.confirmed_at <= as_of
        ),
        signoffs=frozenset(v.item for v in case.verifications if v.at <= as_of and v.item in SIGNOFF_ITEMS),
        medications=medications,
        labs=labs,
        holds=tuple(h for m in medications for h in m.holds.values()),
        on_vka=on_vka,
    )


def _latest_valid_labs(
    labs: Iterable[LabData], config: RuleConfig, reference_day: dt.date, today: dt.date, on_vka: bool
) -> dict[str, LabData]:
    """Latest valid result per test; on a tie of dates the one listed last wins."""
    latest: dict[str, LabData] = {}
    for lab in labs:
        days = config.lab_validity_days
        if lab.test == "inr" and on_vka:
            # Warfarin moves the INR daily: only a very recent one says anything about the day.
            days = min(days, config.warfarin_inr_validity_days)
        valid = reference_day - dt.timedelta(days=days) <= lab.taken_on <= reference_day
        if (
            valid
            and lab.taken_on <= today
            and (lab.test not in latest or lab.taken_on >= latest[lab.test].taken_on)
        ):
            latest[lab.test] = lab
    return latest


def _hold(
    med: MedicationData, drug: DrugEntry, egfr: float | None, timeline: Timeline | None, tz: ZoneInfo
) -> MedicationHold | None:
    """The hold for one drug of one medication line, or None if the catalogue gives none."""
    hold_days, hold_hours = drug.hold_days, drug.hold_hours
    if hold_days is not None:
        hold_hours = None  # catalogue entries carry one or the other; should both be set, days win
    renal = (
        drug.renal_egfr_below is not None
        and drug.renal_hold_days is not None
        and (egfr is None or egfr < drug.renal_egfr_below)
    )
    if renal:
        hold_days, hold_hours = drug.renal_hold_days, None
    if hold_days is None and hold_hours is None:
        return None

    last_dose_on = last_dose_at = due = None
    if timeline is not None:
        if hold_days is not None:
            # N whole days without a dose before the procedure day (calendar days, clinic zone).
            last_dose_on = timeline.procedure_day - dt.timedelta(days=hold_days + 1)
        else:
            last_dose_at = timeline.start - dt.timedelta(hours=hold_hours)
            last_dose_on = last_dose_at.astimezone(tz).date()
        due = _local_midnight(last_dose_on, tz)
    return MedicationHold(
        medication=med,
        drug=drug,
        hold_days=hold_days,
        hold_hours=hold_hours,
        last_dose_on=last_dose_on,
        last_dose_at=last_dose_at,
        due=due,
        renal_adjusted=renal,
    )


# --- Rules ---------------------------------------------------------------------------------------


def rule_not_scheduled(ctx: Context) -> list[Flag]:
    """No appointment: nothing can be timed."""
    if ctx.timeline is not None:
        return []
    return [
        _flag(
            ctx,
            "NOT_SCHEDULED",
            BLOCKER,
            COORDINATOR,
            None,
            "Not scheduled: book an appointment; dates and deadlines follow once it is booked.",
        )
    ]


def rule_intake(ctx: Context) -> list[Flag]:
    """The intake form: submitted, medication list confirmed, allergies answered, fasting acknowledged."""
    intake = ctx.intake
    if intake is None:
        due = ctx.deadline("INTAKE_NOT_SUBMITTED")
        msg = f"The patient has not submitted the intake form. {_due_sentence(ctx, due)}"
        return [_flag(ctx, "INTAKE_NOT_SUBMITTED", BLOCKER, PATIENT, due, msg)]

    flags = []
    if not intake.medications_complete:
        due = ctx.deadline("MEDICATIONS_UNCONFIRMED")
        msg = (
            "The medication list is not confirmed complete (every medicine and supplement). "
            f"{_due_sentence(ctx, due)}"
        )
        flags.append(_flag(ctx, "MEDICATIONS_UNCONFIRMED", BLOCKER, PATIENT, due, msg))
    if not ctx.case.allergies and not intake.no_known_allergies:
        due = ctx.deadline("ALLERGIES_UNANSWERED")
        msg = (
            "Allergies unanswered: none is listed and the patient has not stated no known allergies. "
            f"{_due_sentence(ctx, due)}"
        )
        flags.append(_flag(ctx, "ALLERGIES_UNANSWERED", BLOCKER, PATIENT, due, msg))
    if not intake.fasting_acknowledged:
        due = ctx.deadline("FASTING_NOT_ACKNOWLEDGED")
        tl = ctx.timeline
        food, clear = (tl.food_stop_at, tl.clear_liquids_stop_at) if tl else (None, None)
        if tl is None:
            times = "the fasting times follow once the case is scheduled"
        else:
            times = (
                f"no food, milk, cream or juice after {_fmt_dt(food, ctx.tz)}; clear liquids and usual "
                f"medicines with sips of water until {_fmt_dt(clear, ctx.tz)}"
            )
        msg = (
            f"The patient has not acknowledged the fasting instructions ({times}). {_due_sentence(ctx, due)}"
        )
        data = {"food_stop_at": food, "clear_liquids_stop_at": clear}
        flags.append(_flag(ctx, "FASTING_NOT_ACKNOWLEDGED", BLOCKER, PATIENT, due, msg, data))
    return flags


def rule_driver(ctx: Context) -> list[Flag]:
    """A driver home, confirmed by phone."""
    driver = ctx.case.driver
    if driver is None:
        due = ctx.deadline("DRIVER_MISSING")
        msg = f"No driver is recorded to take the patient home. {_due_sentence(ctx, due)}"
        return [_flag(ctx, "DRIVER_MISSING", BLOCKER, PATIENT, due, msg)]
    if ctx.driver_confirmed:
        return []
    due = ctx.deadline("DRIVER_UNCONFIRMED")
    pickup = ctx.timeline.pickup_at if ctx.timeline else None
    when = f"at {_fmt_dt(pickup, ctx.tz)}" if pickup else f"time {_UNSCHEDULED}"
    msg = (
        f"Driver {driver.name} ({driver.phone}) is not confirmed by phone; pickup {when}. "
        f"{_due_sentence(ctx, due)}"
    )
    return [_flag(ctx, "DRIVER_UNCONFIRMED", BLOCKER, COORDINATOR, due, msg, {"pickup_at": pickup})]


def rule_anticoagulants(ctx: Context) -> list[Flag]:
    """Blood thinners: a clinician approves each hold plan; a planned last dose too late blocks."""
    flags = []
    for m, drug in ctx.drugs_of_class(*sorted(ANTICOAGULANT_CLASSES)):
        hold = m.holds.get(drug.name)
        name = m.medication.name
        data: dict[str, Any] = {"medication": name, "drug": drug.name, "drug_class": drug.drug_class}
        if hold is not None and hold.hold_hours is not None:
            data |= {"hold_hours": hold.hold_hours, "last_dose_at": hold.last_dose_at}
        else:
            data |= {
                "hold_days": hold.hold_days if hold else None,
                "last_dose_on": hold.last_dose_on if hold else None,
            }
        msg = f"{_label(name, drug)}: {_hold_text(ctx, hold)}. A clinician must approve the hold plan."
        due = hold.due if hold else None
        flags.append(_flag(ctx, "ANTICOAGULANT_HOLD_PLAN", BLOCKER, CLINICIAN, due, msg, data))

        planned = m.medication.last_dose_planned
        if hold is not None and hold.last_dose_on is not None and planned and planned > hold.last_dose_on:
            msg = (
                f"{_label(name, drug)}: last dose planned on {_fmt_date(planned)}, after the last "
                f"permitted day {_fmt_date(hold.last_dose_on)}. Change the plan, or a clinician must "
                "approve an exception."
            )
            data = {
                "medication": name,
                "drug": drug.name,
                "last_dose_planned": planned,
                "last_dose_on": hold.last_dose_on,
            }
            flags.append(
                _flag(ctx, "ANTICOAGULANT_LAST_DOSE_TOO_LATE", BLOCKER, CLINICIAN, hold.due, msg, data)
            )
    return flags


def rule_supplements(ctx: Context) -> list[Flag]:
    """Herbal supplements that raise bleeding risk: the patient is advised when to stop."""
    flags = []
    for m, drug in ctx.drugs_of_class("herbal_bleeding"):
        hold = m.holds.get(drug.name)
        msg = (
            f"{_label(m.medication.name, drug)}: bleeding risk; {_hold_text(ctx, hold)}. "
            "Advise the patient when to stop it."
        )
        flags.append(
            _flag(
                ctx,
                "SUPPLEMENT_BLEEDING_RISK",
                WARNING,
                COORDINATOR,
                hold.due if hold else None,
                msg,
                _day_hold_data(m, drug, hold),
            )
        )
    return flags


def rule_glp1(ctx: Context) -> list[Flag]:
    """GLP-1 agonists slow gastric emptying: aspiration risk under sedation, reviewed case by case."""
    flags = []
    for m, drug in ctx.drugs_of_class("glp1"):
        due = ctx.deadline("GLP1_AGONIST_REVIEW")
        msg = (
            f"{_label(m.medication.name, drug)}: GLP-1 agonist (aspiration risk under sedation). "
            f"A clinician must review it and give the plan. {_due_sentence(ctx, due)}"
        )
        data = {"medication": m.medication.name, "drug": drug.name}
        flags.append(_flag(ctx, "GLP1_AGONIST_REVIEW", WARNING, CLINICIAN, due, msg, data))
    return flags


def rule_sglt2(ctx: Context) -> list[Flag]:
    """SGLT2 inhibitors stop days before (ketoacidosis risk while fasting)."""
    flags = []
    for m, drug in ctx.drugs_of_class("sglt2"):
        hold = m.holds.get(drug.name)
        msg = f"{_label(m.medication.name, drug)}: {_hold_text(ctx, hold)}. A clinician must give the plan."
        flags.append(
            _flag(
                ctx,
                "SGLT2_INHIBITOR_HOLD",
                WARNING,
                CLINICIAN,
                hold.due if hold else None,
                msg,
                _day_hold_data(m, drug, hold),
            )
        )
    return flags


def rule_metformin(ctx: Context) -> list[Flag]:
    """Metformin with contrast and a low eGFR; a missing eGFR is LAB_MISSING's job."""
    egfr, limit = ctx.egfr, ctx.config.metformin_egfr_below
    if not ctx.case.procedure.contrast_planned or egfr is None or egfr >= limit:
        return []
    flags = []
    for m in ctx.medications:
        # One flag per medication line (data has no drug), even if it names two metformin entries.
        drug = next((d for d in m.drugs if d.drug_class == "metformin"), None)
        if drug is None:
            continue
        due = ctx.deadline("METFORMIN_RENAL_REVIEW")
        msg = (
            f"{_label(m.medication.name, drug)}: eGFR {_num(egfr)} is below {_num(limit)} and contrast is "
            f"planned. A clinician must give the metformin plan. {_due_sentence(ctx, due)}"
        )
        data = {"medication": m.medication.name, "egfr": egfr}
        flags.append(_flag(ctx, "METFORMIN_RENAL_REVIEW", WARNING, CLINICIAN, due, msg, data))
    return flags


def rule_diabetes(ctx: Context) -> list[Flag]:
    """Diabetes treated with tablets or insulin needs a plan for the fasting period."""
    reasons = []
    intake = ctx.intake
    if intake is not None and intake.diabetes in ("tablets", "insulin"):
        reasons.append(f"the patient reports diabetes treated with {intake.diabetes}")
    insulins = [m.medication.name for m, _ in ctx.drugs_of_class("insulin")]
    if insulins:
        reasons.append(f"takes {', '.join(dict.fromkeys(insulins))}")
    if not reasons:
        return []
    due = ctx.deadline("DIABETES_PLAN")
    msg = (
        f"Diabetes plan needed ({'; '.join(reasons)}). A clinician must give the plan for the fasting "
        f"period. {_due_sentence(ctx, due)}"
    )
    return [_flag(ctx, "DIABETES_PLAN", WARNING, CLINICIAN, due, msg)]


@dataclass(frozen=True)
class PremedDose:
    drug: str
    at: dt.datetime | None  # None while unscheduled


def premedication_for(ctx: Context) -> tuple[PremedDose, ...]:
    """The contrast premedication doses in time order, or none when not needed.

    One place for the rule, so the flag, the staff case sheet and the patient's instructions agree.
    """
    allergic = any(a.category == "iodinated_contrast" for a in ctx.case.allergies)
    if not allergic or not ctx.case.procedure.contrast_planned:
        return ()
    steps = sorted(ctx.config.premedication, key=lambda s: -s.hours_before_start)  # stable: time order
    start = ctx.timeline.start if ctx.timeline else None
    return tuple(
        PremedDose(s.drug, start - dt.timedelta(hours=s.hours_before_start) if start else None) for s in steps
    )


def rule_contrast_allergy(ctx: Context) -> list[Flag]:
    """Contrast allergy with contrast planned: steroid and antihistamine premedication."""
    doses = premedication_for(ctx)
    if not doses:
        return []
    regimen = [{"drug": d.drug, "at": d.at} for d in doses]
    if ctx.timeline is None:
        plan = f"{', '.join(dict.fromkeys(d.drug for d in doses))} (times follow once the case is scheduled)"
    else:
        plan = ", ".join(f"{d.drug} at {_fmt_dt(d.at, ctx.tz)}" for d in doses)
    due = ctx.deadline("CONTRAST_PREMEDICATION")
    msg = (
        f"Iodinated contrast allergy with contrast planned. A clinician must prescribe premedication: "
        f"{plan}. {_due_sentence(ctx, due)}"
    )
    return [_flag(ctx, "CONTRAST_PREMEDICATION", BLOCKER, CLINICIAN, due, msg, {"regimen": regimen})]


def rule_anesthetic_allergy(ctx: Context) -> list[Flag]:
    """Allergy to an anesthetic or sedative: the anesthesia plan is reviewed."""
    present = {a.category for a in ctx.case.allergies}
    categories = [c for c in ALLERGY_CATEGORIES if c in present and c in ANESTHETIC_ALLERGY_CATEGORIES]
    if not categories:
        return []
    due = ctx.deadline("ANESTHETIC_ALLERGY_REVIEW")
    words = ", ".join(c.replace("_", " ") for c in categories)
    msg = f"Allergy to {words}. A clinician must review the anesthesia plan. {_due_sentence(ctx, due)}"
    return [_flag(ctx, "ANESTHETIC_ALLERGY_REVIEW", BLOCKER, CLINICIAN, due, msg, {"categories": categories})]


def rule_latex(ctx: Context) -> list[Flag]:
    """Latex allergy: a latex-safe room and equipment."""
    if not any(a.category == "latex" for a in ctx.case.allergies):
        return []
    due = ctx.deadline("LATEX_ALLERGY")
    msg = f"Latex allergy: arrange a latex-safe room and equipment. {_due_sentence(ctx, due)}"
    return [_flag(ctx, "LATEX_ALLERGY", WARNING, COORDINATOR, due, msg)]


def rule_labs(ctx: Context) -> list[Flag]:
    """Required labs present and valid; INR and platelets within the clinic's limits."""
    required = ["inr", "platelets"]
    if ctx.drugs_of_class("doac", "metformin"):
        required.append("egfr")
    flags = []
    for test in required:
        if test in ctx.labs:
            continue
        due = ctx.deadline("LAB_MISSING")
        days = ctx.config.lab_validity_days
        if test == "inr" and ctx.on_vka:
            days = min(days, ctx.config.warfarin_inr_validity_days)
        day = "the procedure day" if ctx.timeline else "today (not yet scheduled)"
        msg = (
            f"No valid {_LAB_LABELS[test]} result: one taken on {day} or up to {days} days before "
            f"it is needed. {_due_sentence(ctx, due)}"
        )
        flags.append(_flag(ctx, "LAB_MISSING", BLOCKER, COORDINATOR, due, msg, {"test": test}))

    limits = (("inr", ctx.config.inr_max, "above"), ("platelets", ctx.config.platelets_min, "below"))
    for test, limit, side in limits:
        lab = ctx.labs.get(test)
        if lab is None or not (lab.value > limit if side == "above" else lab.value < limit):
            continue
        due = ctx.deadline("LAB_OUT_OF_RANGE")
        msg = (
            f"{_LAB_LABELS[test]} {_num(lab.value)} (taken {_fmt_date(lab.taken_on)}) is {side} the limit "
            f"of {_num(limit)}. A clinician must review the labs. {_due_sentence(ctx, due)}"
        )
        data = {"test": test, "value": lab.value, "limit": limit}
        flags.append(_flag(ctx, "LAB_OUT_OF_RANGE", BLOCKER, CLINICIAN, due, msg, data))
    return flags


def rule_prone(ctx: Context) -> list[Flag]:
    """The procedure is done lying face down: 'no' blocks, 'unsure' warns."""
    intake = ctx.intake
    if intake is None or intake.can_lie_prone is True:
        return []
    due = ctx.deadline("PRONE_POSITION_REVIEW")
    if intake.can_lie_prone is False:
        severity, said = BLOCKER, "cannot lie face down (prone)"
    else:
        severity, said = WARNING, "is unsure about lying face down (prone)"
    msg = (
        f"The patient {said} for the procedure. A clinician must review positioning. "
        f"{_due_sentence(ctx, due)}"
    )
    return [_flag(ctx, "PRONE_POSITION_REVIEW", severity, CLINICIAN, due, msg)]


def rule_infection(ctx: Context) -> list[Flag]:
    """Fever or an active infection: cleared by a clinician before the procedure."""
    intake = ctx.intake
    if intake is None or not intake.infection_symptoms:
        return []
    due = ctx.deadline("INFECTION_REVIEW")
    msg = (
        "The patient reports fever or an infection being treated now. A clinician must clear it. "
        f"{_due_sentence(ctx, due)}"
    )
    return [_flag(ctx, "INFECTION_REVIEW", BLOCKER, CLINICIAN, due, msg)]


def rule_pregnancy(ctx: Context) -> list[Flag]:
    """Fluoroscopy: pregnancy excluded for women under the clinic's age limit who say yes or unsure."""
    intake = ctx.intake
    patient = ctx.case.patient
    if intake is None or patient.sex != "female" or intake.pregnant is False:
        return []
    age = _age_on(patient.date_of_birth, ctx.reference_day)
    if age >= ctx.config.pregnancy_age_below:
        return []
    due = ctx.deadline("PREGNANCY_REVIEW")
    answer = "yes" if intake.pregnant else "unsure"
    msg = (
        f"Pregnancy not excluded (age {age}; the patient answered {answer}). A clinician must exclude "
        f"pregnancy. {_due_sentence(ctx, due)}"
    )
    return [_flag(ctx, "PREGNANCY_REVIEW", BLOCKER, CLINICIAN, due, msg)]


RULES: tuple[Callable[[Context], list[Flag]], ...] = (
    rule_not_scheduled,
    rule_intake,
    rule_driver,
    rule_anticoagulants,
    rule_supplements,
    rule_glp1,
    rule_sglt2,
    rule_metformin,
    rule_diabetes,
    rule_contrast_allergy,
    rule_anesthetic_allergy,
    rule_latex,
    rule_labs,
    rule_prone,
    rule_infection,
    rule_pregnancy,
)


# --- Evaluation ----------------------------------------------------------------------------------


def evaluate(case: CaseData, config: RuleConfig, as_of: dt.datetime) -> tuple[Flag, ...]:
    """Every open flag of the case at `as_of`, sign-offs applied, sorted."""
    ctx = build_context(case, config, as_of)
    flags = [flag for rule in RULES for flag in rule(ctx) if CLEARED_BY.get(flag.code) not in ctx.signoffs]
    return tuple(sorted(flags, key=sort_key))


def is_ready(flags: Iterable[Flag]) -> bool:
    """Ready means no blocker; warnings never block."""
    return not any(flag.severity == BLOCKER for flag in flags)


def sort_key(flag: Flag) -> tuple:
    """Blockers first, then due (none last), code, medication, drug and test."""
    return (
        flag.severity != BLOCKER,
        flag.due is None,
        flag.due or dt.datetime.min.replace(tzinfo=dt.UTC),
        flag.code,
        str(flag.data.get("medication") or ""),
        str(flag.data.get("drug") or ""),
        str(flag.data.get("test") or ""),
    )


# --- Helpers -------------------------------------------------------------------------------------


def _flag(
    ctx: Context,
    code: str,
    severity: str,
    owner: str,
    due: dt.datetime | None,
    message: str,
    data: Mapping[str, Any] | None = None,
) -> Flag:
    return Flag(
        code=code,
        severity=severity,
        owner=owner,
        due=due,
        overdue=due is not None and due < ctx.as_of,
        message=message,
        data=dict(data or {}),
    )


def _day_hold_data(m: MatchedMedication, drug: DrugEntry, hold: MedicationHold | None) -> dict[str, Any]:
    return {
        "medication": m.medication.name,
        "drug": drug.name,
        "hold_days": hold.hold_days if hold else None,
        "last_dose_on": hold.last_dose_on if hold else None,
    }


def _hold_text(ctx: Context, hold: MedicationHold | None) -> str:
    """'hold 3 days (eGFR below 50 or not on file); last dose Mon 23 Nov 2026'."""
    if hold is None:
        return "no hold time in the catalogue"
    if hold.hold_hours is not None:
        if hold.last_dose_at is None:
            return f"hold {hold.hold_hours} hours; last dose time {_UNSCHEDULED}"
        return f"hold {hold.hold_hours} hours; last dose by {_fmt_dt(hold.last_dose_at, ctx.tz)}"
    text = f"hold {hold.hold_days} days"
    if hold.renal_adjusted:
        text += f" (eGFR below {_num(hold.drug.renal_egfr_below)} or not on file)"
    if hold.last_dose_on is None:
        return f"{text}; last dose date {_UNSCHEDULED}"
    return f"{text}; last dose {_fmt_date(hold.last_dose_on)}"


def _label(name: str, drug: DrugEntry) -> str:
    # "Eliquis 5mg (apixaban)", but plain "fish oil" rather than "fish oil (fish oil)".
    return name if normalize_name(name) == drug.name else f"{name} ({drug.name})"


def _due_sentence(ctx: Context, due: dt.datetime | None) -> str:
    if due is None:
        return f"The deadline {_UNSCHEDULED}." if ctx.timeline is None else ""
    return f"Due {_fmt_dt(due, ctx.tz)}."


def _fmt_date(day: dt.date) -> str:
    # Fixed English names: strftime's %a/%b follow the process locale.
    return f"{_DAY_NAMES[day.weekday()]} {day.day} {_MONTH_NAMES[day.month - 1]} {day.year}"


def _fmt_dt(moment: dt.datetime, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    return f"{_fmt_date(local.date())} {local:%H:%M}"


def _num(value: float) -> str:
    return f"{value:g}"


def _local_midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(dt.UTC)


def _age_on(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _require_aware(moment: dt.datetime, what: str) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be an aware datetime")
    return moment


def _jsonable(value: Any, tz: ZoneInfo) -> Any:
    # datetime before date: a datetime is a date too.
    if isinstance(value, dt.datetime):
        return value.astimezone(tz).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v, tz) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v, tz) for v in value]
    return value
