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
    ANTICOAGULANT_CLASSES,
    COMBINATION_CLASSES,
    PER_MEDICATION_ITEMS,
    PLAN_ITEMS,
    SIGNOFF_ITEMS,
    CaseData,
    IntakeData,
    LabData,
    MedicationData,
    SignOffData,
)
from checklists.catalog import PROBABLE, DrugEntry, Reading, RuleConfig, drug_label
from checklists.wording import day_text, due_text, moment_text

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
    "MEDICATION_UNRECOGNISED": "medication_reviewed",
    "NSAID_HOLD": "nsaid_plan_given",
    "SUPPLEMENT_OTHER_RISK": "supplement_advice_given",
    "ANTICOAGULANT_COMBINATION": "anticoagulant_combination_reviewed",
    "MEDICATION_LISTED_TWICE": "medication_list_checked",
}
# Per-medication plans by the class of drug they are about (MEDICATIONS.md "The clinician's plan").
PLAN_ITEM_FOR_CLASS: Mapping[str, str] = {
    **{c: "anticoagulant_plan_approved" for c in ANTICOAGULANT_CLASSES},
    "nsaid": "nsaid_plan_given",
}

_LAB_LABELS = {"inr": "INR", "platelets": "Platelets", "egfr": "eGFR"}
_UNSCHEDULED = "follows once the case is scheduled"
_LATEST = dt.datetime.max.replace(tzinfo=dt.UTC)


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
    """A medication line as written, with how the catalogue read it and its holds."""

    medication: MedicationData
    reading: Reading
    holds: Mapping[str, MedicationHold] = field(default_factory=dict, hash=False)  # by drug name

    @property
    def drugs(self) -> tuple[DrugEntry, ...]:
        return self.reading.drugs


@dataclass(frozen=True)
class MedicineStop:
    """What the patient is told about one medicine line: its last dose, or to keep taking it.

    A blood thinner's date reaches the patient only once a clinician approved its plan
    (`awaiting_plan` until then): stopping aspirin after a coronary stent is itself a risk.
    """

    medication: MedicationData
    drugs: tuple[DrugEntry, ...]
    last_dose_on: dt.date | None = None  # local date; None when unscheduled, kept, or awaiting
    last_dose_at: dt.datetime | None = None  # hours-based holds: the time of the last dose
    keep_taking: bool = False
    awaiting_plan: bool = False
    approved: bool = False  # a clinician's plan says so


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
    driver_declined: bool  # the driver answered "I can't" by link at or before as_of
    signoffs: frozenset[str]  # case-wide sign-off items recorded at or before as_of
    # Per-medication sign-offs that count, by (item, medication line name).
    line_signoffs: Mapping[tuple[str, str], SignOffData]
    # Plans that no longer count because the appointment moved to another day.
    moved_plans: Mapping[tuple[str, str], SignOffData]
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

    def deadline_in_days(self, code: str) -> dt.datetime | None:
        """Like `deadline`, counted in calendar days at the same local clock time (whole days only)."""
        hours = self.config.deadlines.get(code)
        if self.timeline is None or hours is None:
            return None
        local = self.timeline.start.astimezone(self.tz)
        day = local.date() - dt.timedelta(days=hours // 24)
        moment = dt.datetime.combine(day, local.time(), tzinfo=self.tz) - dt.timedelta(hours=hours % 24)
        return moment.astimezone(dt.UTC)

    def drugs_of_class(self, *classes: str) -> list[tuple[MatchedMedication, DrugEntry]]:
        """Every (medication, drug) pair whose drug is in one of `classes`, in list order."""
        return [(m, d) for m in self.medications for d in m.drugs if d.drug_class in classes]

    def plan_for(self, m: MatchedMedication) -> SignOffData | None:
        """The clinician's counting plan for this line (blood thinner first, then NSAID), if any."""
        items = {PLAN_ITEM_FOR_CLASS[d.drug_class] for d in m.drugs if d.drug_class in PLAN_ITEM_FOR_CLASS}
        for item in sorted(items):  # "anticoagulant_plan_approved" before "nsaid_plan_given"
            plan = self.line_signoffs.get((item, m.medication.name))
            if plan is not None:
                return plan
        return None

    def cleared(self, flag: Flag) -> bool:
        """A sign-off clears the flag: per line for a medicine's items, else for the case."""
        item = CLEARED_BY.get(flag.code)
        if item is None:
            return False
        if item in PER_MEDICATION_ITEMS:
            return (item, flag.data.get("medication")) in self.line_signoffs
        return item in self.signoffs


# --- Context -------------------------------------------------------------------------------------


def timeline_for(case: CaseData, config: RuleConfig) -> Timeline | None:
    """The appointment's times (absolute offsets from start), or None when unscheduled."""
    if case.appointment is None:
        return None
    return procedure_times(case.appointment.start, len(case.procedure.levels), config)


def procedure_times(start: dt.datetime, levels: int, config: RuleConfig) -> Timeline:
    """The times of a procedure of `levels` vertebrae starting at `start`: the one place that knows
    how long a procedure lasts and when the patient arrives, stops eating and is collected."""
    start = _require_aware(start, "appointment.start").astimezone(dt.UTC)
    end = start + dt.timedelta(minutes=config.minutes_per_level * levels)
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

    readings = [(med, config.read(med.name)) for med in case.medications]
    on_vka = any(d.drug_class == "vka" for _, reading in readings for d in reading.drugs)
    labs = _latest_valid_labs(case.labs, config, reference_day, today, on_vka)
    egfr = labs["egfr"].value if "egfr" in labs else None

    medications = tuple(
        MatchedMedication(
            medication=med,
            reading=reading,
            holds={
                d.name: hold for d in reading.drugs if (hold := _hold(med, d, egfr, timeline, tz)) is not None
            },
        )
        for med, reading in readings
    )
    # A timestamp later than as_of has not happened yet at that moment.
    intake = case.intake if case.intake is not None and case.intake.submitted_at <= as_of else None
    driver = case.driver
    recorded = [v for v in case.signoffs if v.at <= as_of and v.item in SIGNOFF_ITEMS]
    line_names = {med.name for med in case.medications}
    line_signoffs: dict[tuple[str, str], SignOffData] = {}
    moved_plans: dict[tuple[str, str], SignOffData] = {}
    for v in recorded:
        if v.item not in PER_MEDICATION_ITEMS or v.medication not in line_names:
            continue  # a case-wide item, or its line was removed or renamed: it no longer counts
        key = (v.item, v.medication)
        dated_plan = v.item in PLAN_ITEMS and not v.keep_taking  # "keep taking it" holds on any day
        if dated_plan and v.for_start is not None and not _same_day(v.for_start, timeline, tz):
            moved_plans[key] = v
        else:
            line_signoffs[key] = v
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
        driver_declined=(
            driver is not None and driver.declined_at is not None and driver.declined_at <= as_of
        ),
        signoffs=frozenset(v.item for v in recorded if v.item not in PER_MEDICATION_ITEMS),
        line_signoffs=line_signoffs,
        moved_plans={k: v for k, v in moved_plans.items() if k not in line_signoffs},
        medications=medications,
        labs=labs,
        holds=tuple(h for m in medications for h in m.holds.values()),
        on_vka=on_vka,
    )


def _same_day(for_start: dt.datetime, timeline: Timeline | None, tz: ZoneInfo) -> bool:
    """A plan approved for `for_start` still holds on the current procedure day."""
    return timeline is not None and for_start.astimezone(tz).date() == timeline.procedure_day


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
                f"no food, milk, cream or juice after {moment_text(food, ctx.tz)}; clear liquids and usual "
                f"medicines with sips of water until {moment_text(clear, ctx.tz)}"
            )
        msg = (
            f"The patient has not acknowledged the fasting instructions ({times}). {_due_sentence(ctx, due)}"
        )
        data = {"food_stop_at": food, "clear_liquids_stop_at": clear}
        flags.append(_flag(ctx, "FASTING_NOT_ACKNOWLEDGED", BLOCKER, PATIENT, due, msg, data))
    return flags


def rule_driver(ctx: Context) -> list[Flag]:
    """A driver home, confirmed by staff on the phone or by the driver through their own link;
    a driver who answered "I can't" leaves the patient to find another."""
    driver = ctx.case.driver
    if driver is None:
        due = ctx.deadline("DRIVER_MISSING")
        msg = f"No driver is recorded to take the patient home. {_due_sentence(ctx, due)}"
        return [_flag(ctx, "DRIVER_MISSING", BLOCKER, PATIENT, due, msg)]
    if ctx.driver_confirmed:
        return []
    if ctx.driver_declined:
        due = ctx.deadline("DRIVER_DECLINED")
        msg = (
            f"Driver {driver.name} ({driver.phone}) answered through their link that they cannot "
            f"drive the patient home: another driver is needed. {_due_sentence(ctx, due)}"
        )
        return [_flag(ctx, "DRIVER_DECLINED", BLOCKER, PATIENT, due, msg, {"driver": driver.name})]
    due = ctx.deadline("DRIVER_UNCONFIRMED")
    pickup = ctx.timeline.pickup_at if ctx.timeline else None
    when = f"at {moment_text(pickup, ctx.tz)}" if pickup else f"time {_UNSCHEDULED}"
    msg = (
        f"Driver {driver.name} ({driver.phone}) is not confirmed by phone or through their link; "
        f"pickup {when}. "
        f"{_due_sentence(ctx, due)}"
    )
    return [_flag(ctx, "DRIVER_UNCONFIRMED", BLOCKER, COORDINATOR, due, msg, {"pickup_at": pickup})]


def rule_unrecognised(ctx: Context) -> list[Flag]:
    """A line the catalogue cannot read stops the case until a clinician has looked at it."""
    flags = []
    for m in ctx.medications:
        if m.reading.recognised:
            continue
        due = ctx.deadline("MEDICATION_UNRECOGNISED")
        suggestion = m.reading.suggestion
        guess = f' It looks like "{suggestion.drug.name}" — check the spelling.' if suggestion else ""
        msg = (
            f'"{m.medication.name}" is not in the medication catalogue.{guess} A clinician must check what '
            f"it is (say which drug it is, or mark it reviewed). {_due_sentence(ctx, due)}"
        )
        data = {"medication": m.medication.name, "suggestion": suggestion.drug.name if suggestion else None}
        flags.append(_flag(ctx, "MEDICATION_UNRECOGNISED", BLOCKER, CLINICIAN, due, msg, data))
    return flags


def rule_anticoagulants(ctx: Context) -> list[Flag]:
    """Blood thinners: a clinician approves each line's plan; a planned last dose too late blocks."""
    flags = []
    for m, drug in ctx.drugs_of_class(*sorted(ANTICOAGULANT_CLASSES)):
        hold = m.holds.get(drug.name)
        name = m.medication.name
        data: dict[str, Any] = {**_med_data(m, drug), "drug_class": drug.drug_class}
        if hold is not None and hold.hold_hours is not None:
            data |= {"hold_hours": hold.hold_hours, "last_dose_at": hold.last_dose_at}
        else:
            data |= {
                "hold_days": hold.hold_days if hold else None,
                "last_dose_on": hold.last_dose_on if hold else None,
            }
        due = hold.due if hold else None
        msg = (
            f"{_label(m, drug)}: {_hold_text(ctx, hold)}. A clinician must approve the hold plan."
            f"{_moved_text(ctx, 'anticoagulant_plan_approved', name)} {_due_sentence(ctx, due)}"
        )
        flags.append(_flag(ctx, "ANTICOAGULANT_HOLD_PLAN", BLOCKER, CLINICIAN, due, msg.strip(), data))

        # The patient's planned last dose against the approved plan's day, or else the permitted day.
        plan = ctx.plan_for(m)
        if plan is not None and plan.keep_taking:
            continue
        limit = plan.last_dose_on if plan is not None and plan.last_dose_on else (hold and hold.last_dose_on)
        planned = m.medication.last_dose_planned
        if limit and planned and planned > limit:
            approved = plan is not None and plan.last_dose_on is not None
            which = "the approved last dose day" if approved else "the last permitted day"
            msg = (
                f"{_label(m, drug)}: last dose planned on {day_text(planned)}, after {which} "
                f"{day_text(limit)}. Change the plan, or a clinician must approve an exception. "
                f"{_due_sentence(ctx, due)}"
            )
            data = {**_med_data(m, drug), "last_dose_planned": planned, "last_dose_on": limit}
            flags.append(
                _flag(ctx, "ANTICOAGULANT_LAST_DOSE_TOO_LATE", BLOCKER, CLINICIAN, due, msg.strip(), data)
            )
    return flags


def rule_anticoagulant_combination(ctx: Context) -> list[Flag]:
    """Two different anticoagulants (e.g. warfarin and apixaban): a clinician reviews the list."""
    drugs = sorted({d.name for _, d in ctx.drugs_of_class(*COMBINATION_CLASSES)})
    if len(drugs) < 2:
        return []
    due = ctx.deadline("ANTICOAGULANT_COMBINATION")
    msg = (
        f"Two or more anticoagulants are listed ({', '.join(drugs)}). A clinician must review the "
        f"combination. {_due_sentence(ctx, due)}"
    )
    return [_flag(ctx, "ANTICOAGULANT_COMBINATION", BLOCKER, CLINICIAN, due, msg.strip(), {"drugs": drugs})]


def rule_listed_twice(ctx: Context) -> list[Flag]:
    """The same drug on two lines (brand and generic, or twice): a double dose, or a list to tidy."""
    lines: dict[str, list[str]] = {}
    for m in ctx.medications:
        for drug in m.drugs:
            lines.setdefault(drug.name, []).append(m.medication.name)
    flags = []
    due = ctx.deadline("MEDICATION_LISTED_TWICE")
    for drug, names in sorted(lines.items()):
        if len(names) < 2:
            continue
        quoted = ", ".join(f'"{n}"' for n in names)
        msg = (
            f"{drug} is listed on {len(names)} lines ({quoted}). Check with the patient whether they "
            f"take it twice. {_due_sentence(ctx, due)}"
        )
        data = {"drug": drug, "medications": names}
        flags.append(_flag(ctx, "MEDICATION_LISTED_TWICE", WARNING, COORDINATOR, due, msg.strip(), data))
    return flags


def _hold_warning(
    ctx: Context, code: str, drug_class: str, owner: str, what: str, action: str, *, review_due: bool = False
) -> list[Flag]:
    """A medicine that stops some days before (supplements, SGLT2, NSAIDs): one warning per line."""
    flags = []
    for m, drug in ctx.drugs_of_class(drug_class):
        hold = m.holds.get(drug.name)
        due = hold.due if hold else None
        if hold is None and review_due:
            due = ctx.deadline(code)  # no hold in the catalogue ("review"): by the code's deadline
        msg = f"{_label(m, drug)}: {what}; {_hold_text(ctx, hold)}. {action} {_due_sentence(ctx, due)}"
        flags.append(_flag(ctx, code, WARNING, owner, due, msg.strip(), _day_hold_data(m, drug, hold)))
    return flags


def rule_supplements(ctx: Context) -> list[Flag]:
    """Herbal supplements that raise bleeding risk: the patient is advised when to stop."""
    return _hold_warning(
        ctx,
        "SUPPLEMENT_BLEEDING_RISK",
        "herbal_bleeding",
        COORDINATOR,
        "bleeding risk",
        "Advise the patient when to stop it.",
    )


def rule_supplements_other(ctx: Context) -> list[Flag]:
    """Supplements that interact or add to sedation (St John's wort, kava, valerian ...)."""
    return _hold_warning(
        ctx,
        "SUPPLEMENT_OTHER_RISK",
        "herbal_other",
        COORDINATOR,
        "a supplement that interacts with medicines or adds to sedation",
        "Advise the patient when to stop it.",
        review_due=True,
    )


def rule_nsaids(ctx: Context) -> list[Flag]:
    """NSAIDs add to bleeding risk: held by half-life unless a clinician plans otherwise."""
    return _hold_warning(
        ctx, "NSAID_HOLD", "nsaid", CLINICIAN, "anti-inflammatory (NSAID)", "A clinician must give the plan."
    )


def rule_glp1(ctx: Context) -> list[Flag]:
    """GLP-1 agonists slow gastric emptying: aspiration risk under sedation, reviewed case by case."""
    flags = []
    for m, drug in ctx.drugs_of_class("glp1"):
        due = ctx.deadline_in_days("GLP1_AGONIST_REVIEW")
        msg = (
            f"{_label(m, drug)}: GLP-1 agonist (aspiration risk under sedation). "
            f"A clinician must review it and give the plan. {_due_sentence(ctx, due)}"
        )
        data = _med_data(m, drug)
        flags.append(_flag(ctx, "GLP1_AGONIST_REVIEW", WARNING, CLINICIAN, due, msg.strip(), data))
    return flags


def rule_sglt2(ctx: Context) -> list[Flag]:
    """SGLT2 inhibitors stop days before (ketoacidosis risk while fasting)."""
    return _hold_warning(
        ctx, "SGLT2_INHIBITOR_HOLD", "sglt2", CLINICIAN, "SGLT2 inhibitor", "A clinician must give the plan."
    )


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
            f"{_label(m, drug)}: eGFR {_num(egfr)} is below {_num(limit)} and contrast is "
            f"planned. A clinician must give the metformin plan. {_due_sentence(ctx, due)}"
        )
        match = _med_data(m, drug)
        data = {"medication": m.medication.name, "egfr": egfr, "match": match["match"]}
        data["matched_name"] = match["matched_name"]
        flags.append(_flag(ctx, "METFORMIN_RENAL_REVIEW", WARNING, CLINICIAN, due, msg.strip(), data))
    return flags


def rule_diabetes(ctx: Context) -> list[Flag]:
    """Diabetes treated with tablets or insulin needs a plan for the fasting period."""
    reasons = []
    intake = ctx.intake
    if intake is not None and intake.diabetes in ("tablets", "insulin"):
        reasons.append(f"the patient reports diabetes treated with {intake.diabetes}")
    medicines = [m.medication.name for m, _ in ctx.drugs_of_class("insulin", "sulfonylurea")]
    if medicines:
        reasons.append(f"takes {', '.join(dict.fromkeys(medicines))}")
    if not reasons:
        return []
    due = ctx.deadline("DIABETES_PLAN")
    msg = (
        f"Diabetes plan needed ({'; '.join(reasons)}). A clinician must give the plan for the fasting "
        f"period. {_due_sentence(ctx, due)}"
    )
    return [_flag(ctx, "DIABETES_PLAN", WARNING, CLINICIAN, due, msg.strip())]


def medicine_stops(ctx: Context) -> tuple[MedicineStop, ...]:
    """What the patient is told to do with each medicine that stops (or was planned), line by line.

    One place for it, so the patient's instructions, the reminders, the case sheet and the
    calendar file agree. A line's computed last dose is the earliest of its drugs' (a combination
    product stops with its longest-held drug); a clinician's plan replaces it.
    """
    stops = []
    for m in ctx.medications:
        plan = ctx.plan_for(m)
        blood_thinner = any(d.drug_class in ANTICOAGULANT_CLASSES for d in m.drugs)
        holds = sorted(
            m.holds.values(), key=lambda h: (h.last_dose_on or dt.date.max, h.last_dose_at or _LATEST)
        )
        first = holds[0] if holds else None
        if plan is not None:
            if plan.keep_taking:
                stops.append(MedicineStop(m.medication, m.drugs, keep_taking=True, approved=True))
                continue
            day = plan.last_dose_on or (first.last_dose_on if first else None)
            at = first.last_dose_at if first and first.last_dose_on == day else None
            stops.append(
                MedicineStop(m.medication, m.drugs, last_dose_on=day, last_dose_at=at, approved=True)
            )
        elif blood_thinner:
            stops.append(MedicineStop(m.medication, m.drugs, awaiting_plan=True))
        elif first is not None:
            stops.append(MedicineStop(m.medication, m.drugs, first.last_dose_on, first.last_dose_at))
    return tuple(sorted(stops, key=lambda s: (s.last_dose_on or dt.date.max, s.medication.name)))


@dataclass(frozen=True)
class PremedDose:
    drug: str
    at: dt.datetime | None  # None while unscheduled
    drug_es: str = ""

    def drug_in(self, language: str) -> str:
        """The dose in the patient's language (Spanish where the clinic gave the words)."""
        return self.drug_es if language == "es" and self.drug_es else self.drug


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
        PremedDose(s.drug, start - dt.timedelta(hours=s.hours_before_start) if start else None, s.drug_es)
        for s in steps
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
        plan = ", ".join(f"{d.drug} at {moment_text(d.at, ctx.tz)}" for d in doses)
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
            f"{_LAB_LABELS[test]} {_num(lab.value)} (taken {day_text(lab.taken_on)}) is {side} the limit "
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
        severity, said = WARNING, "has not answered whether they can lie face down (prone)"
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


def pregnancy_question_applies(ctx: Context) -> bool:
    """Pregnancy is asked of every patient not recorded as male, under the clinic's age limit."""
    patient = ctx.case.patient
    age = _age_on(patient.date_of_birth, ctx.reference_day)
    return patient.sex != "male" and age < ctx.config.pregnancy_age_below


def rule_pregnancy(ctx: Context) -> list[Flag]:
    """Fluoroscopy: pregnancy excluded under the clinic's age limit, unless a patient who is not male
    answered no (an unanswered question counts as not excluded)."""
    intake = ctx.intake
    patient = ctx.case.patient
    if intake is None or intake.pregnant is False or not pregnancy_question_applies(ctx):
        return []
    age = _age_on(patient.date_of_birth, ctx.reference_day)
    due = ctx.deadline("PREGNANCY_REVIEW")
    answer = "yes" if intake.pregnant else "not answered"
    msg = (
        f"Pregnancy not excluded (sex {patient.sex}, age {age}; pregnant: {answer}). A clinician must "
        f"exclude pregnancy. {_due_sentence(ctx, due)}"
    )
    return [_flag(ctx, "PREGNANCY_REVIEW", BLOCKER, CLINICIAN, due, msg)]


RULES: tuple[Callable[[Context], list[Flag]], ...] = (
    rule_not_scheduled,
    rule_intake,
    rule_driver,
    rule_unrecognised,
    rule_anticoagulants,
    rule_anticoagulant_combination,
    rule_listed_twice,
    rule_nsaids,
    rule_supplements,
    rule_supplements_other,
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
    return flags_for(build_context(case, config, as_of))


def flags_for(ctx: Context) -> tuple[Flag, ...]:
    """`evaluate` for a context already built (a page that also shows the context's times)."""
    flags = [flag for rule in RULES for flag in rule(ctx) if not ctx.cleared(flag)]
    return tuple(sorted(flags, key=sort_key))


def computed_last_dose(ctx: Context, medication: str) -> dt.date | None:
    """The line's computed last dose day (the earliest of its drugs'): a plan's default."""
    days = [
        h.last_dose_on for m in ctx.medications if m.medication.name == medication for h in m.holds.values()
    ]
    return min((d for d in days if d is not None), default=None)


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


def _med_data(m: MatchedMedication, drug: DrugEntry) -> dict[str, Any]:
    """The facts every medicine flag carries: the line, the drug, and how the line was read."""
    match = m.reading.match_for(drug)
    return {
        "medication": m.medication.name,
        "drug": drug.name,
        "match": match.how if match else None,
        "matched_name": match.matched_name if match else None,
    }


def _day_hold_data(m: MatchedMedication, drug: DrugEntry, hold: MedicationHold | None) -> dict[str, Any]:
    return {
        **_med_data(m, drug),
        "hold_days": hold.hold_days if hold else None,
        "last_dose_on": hold.last_dose_on if hold else None,
    }


def _hold_text(ctx: Context, hold: MedicationHold | None) -> str:
    """'hold 3 days (eGFR below 50 or not on file); last dose Mon 23 Nov 2026'."""
    if hold is None:
        return "no hold time in the catalogue (a clinician decides)"
    if hold.hold_hours is not None:
        if hold.last_dose_at is None:
            return f"hold {hold.hold_hours} hours; last dose time {_UNSCHEDULED}"
        return f"hold {hold.hold_hours} hours; last dose by {moment_text(hold.last_dose_at, ctx.tz)}"
    text = f"hold {hold.hold_days} days"
    if hold.renal_adjusted:
        text += f" (eGFR below {_num(hold.drug.renal_egfr_below)} or not on file)"
    if hold.last_dose_on is None:
        return f"{text}; last dose date {_UNSCHEDULED}"
    return f"{text}; last dose {day_text(hold.last_dose_on)}"


def _label(m: MatchedMedication, drug: DrugEntry) -> str:
    """ "Eliquis 5mg (apixaban)", plain "fish oil", or "Elliquis (read as apixaban — check the spelling)"."""
    name = m.medication.name
    match = m.reading.match_for(drug)
    if match is not None and match.how == PROBABLE:
        return f"{name} (read as {drug.name} — check the spelling)"
    return drug_label(name, drug)


def _moved_text(ctx: Context, item: str, medication: str) -> str:
    """' The plan approved for Fri 4 Dec 2026 no longer counts: the appointment moved.' or ''."""
    plan = ctx.moved_plans.get((item, medication))
    if plan is None or plan.for_start is None:
        return ""
    now = f"to {day_text(ctx.timeline.procedure_day)}" if ctx.timeline else "off the schedule"
    return (
        f" The plan approved for {day_text(plan.for_start.astimezone(ctx.tz).date())} no longer counts: "
        f"the appointment moved {now}."
    )


def _due_sentence(ctx: Context, due: dt.datetime | None) -> str:
    """'Due Mon 30 Nov 2026 09:00.', and for a midnight deadline 'Due before Tue 1 Dec 2026 begins.'"""
    if due is None:
        return f"The deadline {_UNSCHEDULED}." if ctx.timeline is None else ""
    return f"Due {due_text(due, ctx.tz)}."


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
