"""The readiness engine (READINESS.md): each rule, hold arithmetic, time zones, ordering, JSON.

No database: cases are plain `CaseData`, settings are `RuleConfig.defaults()`. The base case is
complete (no flags); each test changes the one thing it is about.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from checklists.casedata import (
    FLAG_TITLES,
    SIGNOFF_ITEMS,
    AllergyData,
    AppointmentData,
    CaseData,
    DriverData,
    IntakeData,
    LabData,
    MedicationData,
    PatientData,
    ProcedureData,
    SignOffData,
)
from checklists.catalog import RuleConfig
from checklists.rules import (
    CLEARED_BY,
    RULES,
    Flag,
    build_context,
    evaluate,
    is_ready,
    medicine_stops,
    sort_key,
    timeline_for,
)
from tests.factories import READINESS_CODES

UTC = dt.UTC
NY = ZoneInfo("America/New_York")
CONFIG = RuleConfig.defaults()
NY_CONFIG = RuleConfig.defaults("America/New_York")

START = dt.datetime(2026, 11, 27, 8, 0, tzinfo=UTC)  # Fri 27 Nov 2026 08:00 (clinic zone UTC)
AS_OF = dt.datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
LAB_DAY = dt.date(2026, 11, 5)

# Mon 2 Nov 2026 08:00 in New York (EST); clocks fell back on Sun 1 Nov at 02:00 EDT.
NY_START = dt.datetime(2026, 11, 2, 8, 0, tzinfo=NY)
NY_AS_OF = dt.datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
NY_LAB_DAY = dt.date(2026, 10, 15)


# --- Builders ------------------------------------------------------------------------------------


def make_intake(**changes: Any) -> IntakeData:
    """A submitted intake with every answer in order."""
    values: dict[str, Any] = {
        "submitted_at": dt.datetime(2026, 11, 1, 9, 0, tzinfo=UTC),
        "medications_complete": True,
        "no_known_allergies": True,
        "fasting_acknowledged": True,
        "can_lie_prone": True,
        "infection_symptoms": False,
        "pregnant": None,
        "diabetes": "none",
    }
    return IntakeData(**(values | changes))


def labs(day: dt.date = LAB_DAY, inr: float = 1.0, platelets: float = 200, egfr: float | None = 90) -> tuple:
    found = [LabData("inr", inr, day), LabData("platelets", platelets, day)]
    if egfr is not None:
        found.append(LabData("egfr", egfr, day))
    return tuple(found)


def make_case(*, start: dt.datetime | None = START, **changes: Any) -> CaseData:
    """A complete case (no flags at AS_OF); keyword arguments replace its fields."""
    case = CaseData(
        reference="VP-1",
        patient=PatientData("Ada", "Lovelace", dt.date(1950, 1, 1), sex="male"),
        procedure=ProcedureData(levels=("L1",)),
        appointment=AppointmentData(start, "Room 1") if start else None,
        intake=make_intake(),
        driver=DriverData("Bob", "+15551234567", confirmed_at=dt.datetime(2026, 11, 2, 10, 0, tzinfo=UTC)),
        labs=labs(),
    )
    return replace(case, **changes)


def ny_case(start: dt.datetime = NY_START, **changes: Any) -> CaseData:
    return make_case(start=start, labs=labs(NY_LAB_DAY), **changes)


def meds(*names: str, **fields: Any) -> tuple[MedicationData, ...]:
    return tuple(MedicationData(name, **fields) for name in names)


def signed(
    *items: str, at: dt.datetime = dt.datetime(2026, 11, 9, tzinfo=UTC), medication: str | None = None, **plan
) -> tuple:
    """Sign-offs by a clinician; per-medicine items name their line with `medication`."""
    return tuple(SignOffData(item, "dr.house", at, medication=medication, **plan) for item in items)


def flags_of(
    case: CaseData, code: str, as_of: dt.datetime = AS_OF, config: RuleConfig = CONFIG
) -> list[Flag]:
    return [flag for flag in evaluate(case, config, as_of) if flag.code == code]


def the_flag(case: CaseData, code: str, as_of: dt.datetime = AS_OF, config: RuleConfig = CONFIG) -> Flag:
    (flag,) = flags_of(case, code, as_of, config)
    return flag


def codes(case: CaseData, as_of: dt.datetime = AS_OF, config: RuleConfig = CONFIG) -> list[str]:
    return [flag.code for flag in evaluate(case, config, as_of)]


def with_drug(config: RuleConfig, name: str, **changes: Any) -> RuleConfig:
    """The config with one catalogue drug edited, as a clinic admin could."""
    return replace(config, drugs=tuple(replace(d, **changes) if d.name == name else d for d in config.drugs))


def at_utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


# --- The whole case ------------------------------------------------------------------------------


def test_complete_case_has_no_flags_and_is_ready() -> None:
    flags = evaluate(make_case(), CONFIG, AS_OF)
    assert flags == ()
    assert is_ready(flags)


def test_case_with_only_warnings_is_ready() -> None:
    flags = evaluate(make_case(medications=meds("fish oil")), CONFIG, AS_OF)
    assert [f.severity for f in flags] == ["warning"]
    assert is_ready(flags)


def test_case_with_a_blocker_is_not_ready() -> None:
    assert not is_ready(evaluate(make_case(driver=None), CONFIG, AS_OF))


def test_evaluation_requires_an_aware_as_of() -> None:
    with pytest.raises(ValueError, match="as_of"):
        evaluate(make_case(), CONFIG, dt.datetime(2026, 11, 10, 12, 0))  # noqa: DTZ001 - naive on purpose


def test_every_sign_off_item_clears_a_readiness_flag() -> None:
    assert set(CLEARED_BY.values()) == set(SIGNOFF_ITEMS)
    assert set(CLEARED_BY) <= READINESS_CODES


def test_rules_produce_only_readiness_codes() -> None:
    case = make_case(
        start=None,
        intake=make_intake(
            medications_complete=False,
            no_known_allergies=False,
            fasting_acknowledged=False,
            can_lie_prone=False,
            infection_symptoms=True,
            diabetes="insulin",
        ),
        medications=meds("Eliquis", "fish oil", "Ozempic", "Jardiance", "metformin"),
        allergies=(AllergyData("iodinated_contrast"), AllergyData("sedative"), AllergyData("latex")),
        labs=(LabData("inr", 3, LAB_DAY), LabData("egfr", 20, LAB_DAY)),
        patient=PatientData("Eve", "X", dt.date(1990, 1, 1), sex="female"),
    )
    ctx = build_context(case, CONFIG, AS_OF)
    produced = {flag.code for rule in RULES for flag in rule(ctx)}
    assert produced <= READINESS_CODES
    assert len(produced) >= 17


# --- Timeline ------------------------------------------------------------------------------------


def test_timeline_follows_the_appointment_and_the_clinic_settings() -> None:
    case = make_case(procedure=ProcedureData(levels=("T12", "L1")))
    tl = timeline_for(case, CONFIG)
    assert tl is not None
    assert tl.start == START
    assert tl.end == at_utc(2026, 11, 27, 10, 0)
    assert tl.pickup_at == at_utc(2026, 11, 27, 12, 0)
    assert tl.arrival_at == at_utc(2026, 11, 27, 7, 0)
    assert tl.food_stop_at == at_utc(2026, 11, 27, 0, 0)
    assert tl.clear_liquids_stop_at == at_utc(2026, 11, 27, 2, 0)
    assert tl.procedure_day == dt.date(2026, 11, 27)


def test_timeline_times_are_utc() -> None:
    tl = timeline_for(ny_case(), NY_CONFIG)
    assert tl is not None
    assert tl.start.utcoffset() == dt.timedelta(0)
    assert tl.start == at_utc(2026, 11, 2, 13, 0)


def test_procedure_day_is_the_start_date_in_the_clinic_time_zone() -> None:
    late_evening = dt.datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # Thu 26 Nov 22:00 in New York
    tl = timeline_for(make_case(start=late_evening), NY_CONFIG)
    assert tl is not None
    assert tl.procedure_day == dt.date(2026, 11, 26)


def test_unscheduled_case_has_no_timeline() -> None:
    assert timeline_for(make_case(start=None), CONFIG) is None


def test_fasting_stop_times_are_real_hours_across_the_dst_change() -> None:
    # 08:00 EST on Sun 1 Nov; 8 real hours earlier is 01:00 EDT, not the 00:00 a wall clock gives.
    tl = timeline_for(ny_case(start=dt.datetime(2026, 11, 1, 8, 0, tzinfo=NY)), NY_CONFIG)
    assert tl is not None
    assert tl.food_stop_at.astimezone(NY).isoformat() == "2026-11-01T01:00:00-04:00"
    assert tl.start - tl.food_stop_at == dt.timedelta(hours=8)


# --- Context -------------------------------------------------------------------------------------


def test_reference_day_is_the_procedure_day_when_scheduled() -> None:
    assert build_context(make_case(), CONFIG, AS_OF).reference_day == dt.date(2026, 11, 27)


def test_reference_day_is_as_of_local_date_when_unscheduled() -> None:
    as_of = at_utc(2026, 11, 11, 2, 0)  # 10 Nov 21:00 in New York
    assert build_context(make_case(start=None), NY_CONFIG, as_of).reference_day == dt.date(2026, 11, 10)


def test_context_keeps_unclassified_medications() -> None:
    ctx = build_context(make_case(medications=meds("Zzqx drops", "Eliquis 5mg")), CONFIG, AS_OF)
    assert [(m.medication.name, [d.name for d in m.drugs]) for m in ctx.medications] == [
        ("Zzqx drops", []),
        ("Eliquis 5mg", ["apixaban"]),
    ]


def test_context_lists_a_hold_for_each_drug_that_has_one() -> None:
    case = make_case(medications=meds("Plavix", "fish oil", "Jardiance", "Ozempic", "metformin", "Lovenox"))
    holds = build_context(case, CONFIG, AS_OF).holds
    assert [(h.drug.name, h.hold_days, h.hold_hours) for h in holds] == [
        ("clopidogrel", 5, None),
        ("fish oil", 7, None),
        ("empagliflozin", 3, None),
        ("enoxaparin", None, 24),
    ]


def test_context_signoffs_ignore_verifications_after_as_of() -> None:
    case = make_case(signoffs=signed("labs_reviewed") + signed("infection_cleared", at=at_utc(2026, 11, 11)))
    assert build_context(case, CONFIG, AS_OF).signoffs == {"labs_reviewed"}


# --- NOT_SCHEDULED -------------------------------------------------------------------------------


def test_case_without_appointment_is_not_scheduled() -> None:
    flag = the_flag(make_case(start=None), "NOT_SCHEDULED")
    assert (flag.severity, flag.owner, flag.due, flag.data) == ("blocker", "coordinator", None, {})


def test_scheduled_case_is_not_flagged_not_scheduled() -> None:
    assert flags_of(make_case(), "NOT_SCHEDULED") == []


# --- Unscheduled: every date is null -------------------------------------------------------------


def test_unscheduled_case_has_no_due_and_no_dates_in_data() -> None:
    case = make_case(
        start=None,
        intake=make_intake(fasting_acknowledged=False),
        driver=DriverData("Bob", "+15551234567"),
        medications=meds("Eliquis", "Lovenox", "fish oil", "Jardiance"),
        allergies=(AllergyData("iodinated_contrast"),),
    )
    flags = evaluate(case, CONFIG, AS_OF)
    assert all(f.due is None and not f.overdue for f in flags)
    data = {(f.code, f.data.get("drug")): f.data for f in flags}
    assert data["ANTICOAGULANT_HOLD_PLAN", "apixaban"]["last_dose_on"] is None
    assert data["ANTICOAGULANT_HOLD_PLAN", "enoxaparin"]["last_dose_at"] is None
    assert data["SUPPLEMENT_BLEEDING_RISK", "fish oil"]["last_dose_on"] is None
    assert data["SGLT2_INHIBITOR_HOLD", "empagliflozin"]["last_dose_on"] is None
    assert data["DRIVER_UNCONFIRMED", None] == {"pickup_at": None}
    assert data["FASTING_NOT_ACKNOWLEDGED", None] == {"food_stop_at": None, "clear_liquids_stop_at": None}
    assert [step["at"] for step in data["CONTRAST_PREMEDICATION", None]["regimen"]] == [None] * 4


def test_unscheduled_hold_message_says_the_date_follows_scheduling() -> None:
    flag = the_flag(make_case(start=None, medications=meds("Eliquis 5mg")), "ANTICOAGULANT_HOLD_PLAN")
    assert flag.message == (
        "Eliquis 5mg (apixaban): hold 2 days; last dose date follows once the case is scheduled. "
        "A clinician must approve the hold plan. The deadline follows once the case is scheduled."
    )


def test_unscheduled_deadline_message_says_the_deadline_follows_scheduling() -> None:
    flag = the_flag(make_case(start=None, driver=None), "DRIVER_MISSING")
    assert "deadline follows once the case is scheduled" in flag.message


# --- Intake --------------------------------------------------------------------------------------


def test_missing_intake_is_flagged_for_the_patient_72_hours_before_start() -> None:
    flag = the_flag(make_case(intake=None), "INTAKE_NOT_SUBMITTED")
    assert (flag.severity, flag.owner, flag.data) == ("blocker", "patient", {})
    assert flag.due == at_utc(2026, 11, 24, 8, 0)


def test_submitted_intake_is_not_flagged_missing() -> None:
    assert flags_of(make_case(), "INTAKE_NOT_SUBMITTED") == []


def test_intake_submitted_after_as_of_is_not_submitted_yet() -> None:
    case = make_case(intake=make_intake(submitted_at=at_utc(2026, 11, 10, 12, 1)))
    assert flags_of(case, "INTAKE_NOT_SUBMITTED") != []


def test_intake_submitted_exactly_at_as_of_counts() -> None:
    case = make_case(intake=make_intake(submitted_at=AS_OF))
    assert flags_of(case, "INTAKE_NOT_SUBMITTED") == []


def test_answers_of_an_intake_submitted_after_as_of_raise_nothing() -> None:
    late = make_intake(
        submitted_at=at_utc(2026, 11, 11),
        medications_complete=False,
        infection_symptoms=True,
        can_lie_prone=False,
        diabetes="insulin",
    )
    assert codes(make_case(intake=late)) == ["INTAKE_NOT_SUBMITTED"]


def test_unconfirmed_medication_list_is_flagged() -> None:
    flag = the_flag(make_case(intake=make_intake(medications_complete=False)), "MEDICATIONS_UNCONFIRMED")
    assert (flag.severity, flag.owner, flag.due) == ("blocker", "patient", at_utc(2026, 11, 24, 8, 0))


def test_confirmed_medication_list_is_not_flagged() -> None:
    assert flags_of(make_case(intake=make_intake(medications_complete=True)), "MEDICATIONS_UNCONFIRMED") == []


def test_no_allergy_and_no_no_known_allergies_is_unanswered() -> None:
    flag = the_flag(make_case(intake=make_intake(no_known_allergies=False)), "ALLERGIES_UNANSWERED")
    assert (flag.severity, flag.owner, flag.due) == ("blocker", "patient", at_utc(2026, 11, 24, 8, 0))


def test_a_listed_allergy_answers_the_allergy_question() -> None:
    case = make_case(
        intake=make_intake(no_known_allergies=False), allergies=(AllergyData("other", "penicillin"),)
    )
    assert flags_of(case, "ALLERGIES_UNANSWERED") == []


def test_no_known_allergies_answers_the_allergy_question() -> None:
    assert flags_of(make_case(intake=make_intake(no_known_allergies=True)), "ALLERGIES_UNANSWERED") == []


def test_unacknowledged_fasting_is_flagged_with_the_stop_times() -> None:
    flag = the_flag(make_case(intake=make_intake(fasting_acknowledged=False)), "FASTING_NOT_ACKNOWLEDGED")
    assert (flag.severity, flag.owner, flag.due) == ("blocker", "patient", at_utc(2026, 11, 26, 8, 0))
    assert flag.data == {
        "food_stop_at": at_utc(2026, 11, 27, 0, 0),
        "clear_liquids_stop_at": at_utc(2026, 11, 27, 2, 0),
    }


def test_fasting_message_gives_local_clock_times() -> None:
    case = make_case(
        start=dt.datetime(2026, 11, 27, 8, 0, tzinfo=NY), intake=make_intake(fasting_acknowledged=False)
    )
    flag = the_flag(case, "FASTING_NOT_ACKNOWLEDGED", config=NY_CONFIG)
    # 00:00 is written so it cannot be read as the wrong night.
    assert "after midnight between Thu 26 Nov and Fri 27 Nov 2026" in flag.message
    assert "until Fri 27 Nov 2026 02:00" in flag.message
    assert "Due Thu 26 Nov 2026 08:00." in flag.message


def test_acknowledged_fasting_is_not_flagged() -> None:
    assert flags_of(make_case(), "FASTING_NOT_ACKNOWLEDGED") == []


def test_intake_deadline_is_72_real_hours_before_start_across_dst() -> None:
    # Mon 08:00 EST minus 72 h is Fri 09:00 EDT: the clock shifted, the hours did not.
    flag = the_flag(ny_case(intake=None), "INTAKE_NOT_SUBMITTED", NY_AS_OF, NY_CONFIG)
    assert flag.as_json(NY)["due"] == "2026-10-30T09:00:00-04:00"


# --- Driver --------------------------------------------------------------------------------------


def test_missing_driver_is_flagged_for_the_patient() -> None:
    flag = the_flag(make_case(driver=None), "DRIVER_MISSING")
    assert (flag.severity, flag.owner, flag.due) == ("blocker", "patient", at_utc(2026, 11, 25, 8, 0))


def test_missing_driver_is_flagged_without_an_intake() -> None:
    assert "DRIVER_MISSING" in codes(make_case(driver=None, intake=None))


def test_recorded_driver_is_not_flagged_missing() -> None:
    assert flags_of(make_case(driver=DriverData("Bob", "+15551234567")), "DRIVER_MISSING") == []


def test_unconfirmed_driver_is_flagged_for_the_coordinator_with_pickup_time() -> None:
    case = make_case(driver=DriverData("Bob", "+15551234567"), procedure=ProcedureData(levels=("L1", "L2")))
    flag = the_flag(case, "DRIVER_UNCONFIRMED")
    assert (flag.severity, flag.owner, flag.due) == ("blocker", "coordinator", at_utc(2026, 11, 26, 8, 0))
    assert flag.data == {"pickup_at": at_utc(2026, 11, 27, 12, 0)}


def test_confirmed_driver_is_not_flagged() -> None:
    assert flags_of(make_case(), "DRIVER_UNCONFIRMED") == []


def test_driver_confirmed_after_as_of_is_still_unconfirmed() -> None:
    driver = DriverData("Bob", "+15551234567", confirmed_at=at_utc(2026, 11, 12))
    assert flags_of(make_case(driver=driver), "DRIVER_UNCONFIRMED") != []


def test_a_driver_who_declined_by_link_leaves_the_patient_a_blocker_to_find_another() -> None:
    driver = DriverData("Bob", "+15551234567", declined_at=at_utc(2026, 11, 9, 18))
    flag = the_flag(make_case(driver=driver), "DRIVER_DECLINED")

    assert (flag.severity, flag.owner, flag.due) == ("blocker", "patient", at_utc(2026, 11, 25, 8, 0))
    assert flag.data == {"driver": "Bob"}
    assert "Bob" in flag.message and "another driver" in flag.message
    assert flags_of(make_case(driver=driver), "DRIVER_UNCONFIRMED") == []


def test_a_refusal_after_as_of_has_not_happened_yet() -> None:
    driver = DriverData("Bob", "+15551234567", declined_at=at_utc(2026, 11, 12))
    assert "DRIVER_DECLINED" not in codes(make_case(driver=driver))
    assert "DRIVER_UNCONFIRMED" in codes(make_case(driver=driver))


def test_a_driver_confirmed_by_their_link_is_not_flagged() -> None:
    driver = DriverData("Bob", "+15551234567", confirmed_at=at_utc(2026, 11, 9), confirmed_by="driver")
    assert not {"DRIVER_UNCONFIRMED", "DRIVER_DECLINED"} & set(codes(make_case(driver=driver)))


# --- Anticoagulants: hold plan -------------------------------------------------------------------


def test_warfarin_hold_plan_is_a_clinician_blocker_with_the_last_dose_day() -> None:
    flag = the_flag(make_case(medications=meds("Coumadin 5 mg")), "ANTICOAGULANT_HOLD_PLAN")
    assert (flag.severity, flag.owner) == ("blocker", "clinician")
    assert flag.data == {
        "medication": "Coumadin 5 mg",
        "drug": "warfarin",
        "match": "exact",
        "matched_name": "coumadin",
        "drug_class": "vka",
        "hold_days": 5,
        "last_dose_on": dt.date(2026, 11, 21),
    }


def test_hold_plan_is_due_at_midnight_of_the_last_dose_day() -> None:
    flag = the_flag(make_case(medications=meds("warfarin")), "ANTICOAGULANT_HOLD_PLAN")
    assert flag.due == at_utc(2026, 11, 21, 0, 0)


def test_apixaban_two_day_hold_on_friday_means_last_dose_tuesday() -> None:
    flag = the_flag(make_case(medications=meds("Eliquis")), "ANTICOAGULANT_HOLD_PLAN")
    assert (flag.data["hold_days"], flag.data["last_dose_on"]) == (2, dt.date(2026, 11, 24))


def test_apixaban_hold_is_three_days_when_egfr_below_50() -> None:
    flag = the_flag(make_case(medications=meds("Eliquis"), labs=labs(egfr=49)), "ANTICOAGULANT_HOLD_PLAN")
    assert (flag.data["hold_days"], flag.data["last_dose_on"]) == (3, dt.date(2026, 11, 23))


def test_apixaban_hold_is_two_days_when_egfr_is_exactly_50() -> None:
    flag = the_flag(make_case(medications=meds("Eliquis"), labs=labs(egfr=50)), "ANTICOAGULANT_HOLD_PLAN")
    assert flag.data["hold_days"] == 2


def test_apixaban_hold_is_three_days_without_an_egfr() -> None:
    flag = the_flag(make_case(medications=meds("Eliquis"), labs=labs(egfr=None)), "ANTICOAGULANT_HOLD_PLAN")
    assert (flag.data["hold_days"], flag.data["last_dose_on"]) == (3, dt.date(2026, 11, 23))


def test_apixaban_hold_treats_an_expired_egfr_as_none() -> None:
    old = (*labs(egfr=None), LabData("egfr", 90, dt.date(2026, 10, 27)))  # 31 days before
    flag = the_flag(make_case(medications=meds("Eliquis"), labs=old), "ANTICOAGULANT_HOLD_PLAN")
    assert flag.data["hold_days"] == 3


def test_renal_hold_message_names_the_egfr_threshold() -> None:
    flag = the_flag(
        make_case(medications=meds("Eliquis 5mg"), labs=labs(egfr=None)), "ANTICOAGULANT_HOLD_PLAN"
    )
    assert flag.message == (
        "Eliquis 5mg (apixaban): hold 3 days (eGFR below 50 or not on file); last dose Mon 23 Nov 2026. "
        "A clinician must approve the hold plan. Due before Mon 23 Nov 2026 begins."
    )


@pytest.mark.parametrize(("egfr", "days"), [(40, 2), (30, 2), (29, 3), (None, 3)])
def test_rivaroxaban_hold_lengthens_only_below_egfr_30_or_without_egfr(egfr: float | None, days: int) -> None:
    flag = the_flag(make_case(medications=meds("Xarelto"), labs=labs(egfr=egfr)), "ANTICOAGULANT_HOLD_PLAN")
    assert flag.data["hold_days"] == days


@pytest.mark.parametrize(("egfr", "days", "last"), [(60, 2, 24), (40, 4, 22), (None, 4, 22)])
def test_dabigatran_hold_is_four_days_below_egfr_50_or_without_egfr(
    egfr: float | None, days: int, last: int
) -> None:
    flag = the_flag(make_case(medications=meds("Pradaxa"), labs=labs(egfr=egfr)), "ANTICOAGULANT_HOLD_PLAN")
    assert (flag.data["hold_days"], flag.data["last_dose_on"]) == (days, dt.date(2026, 11, last))


def test_edoxaban_hold_has_no_renal_variant() -> None:
    flag = the_flag(make_case(medications=meds("Savaysa"), labs=labs(egfr=None)), "ANTICOAGULANT_HOLD_PLAN")
    assert flag.data["hold_days"] == 2


def test_heparin_hold_is_six_hours_before_start_due_at_midnight_that_day() -> None:
    flag = the_flag(make_case(medications=meds("heparin 5000 units")), "ANTICOAGULANT_HOLD_PLAN")
    assert flag.data == {
        "medication": "heparin 5000 units",
        "drug": "heparin",
        "match": "exact",
        "matched_name": "heparin",
        "drug_class": "heparin",
        "hold_hours": 6,
        "last_dose_at": at_utc(2026, 11, 27, 2, 0),
    }
    assert flag.due == at_utc(2026, 11, 27, 0, 0)


def test_enoxaparin_hold_is_24_hours_before_start_due_at_midnight_of_that_day() -> None:
    flag = the_flag(make_case(medications=meds("Lovenox 40mg")), "ANTICOAGULANT_HOLD_PLAN")
    assert flag.data["last_dose_at"] == at_utc(2026, 11, 26, 8, 0)
    assert flag.due == at_utc(2026, 11, 26, 0, 0)


def test_hours_based_hold_message_gives_the_last_dose_time() -> None:
    flag = the_flag(make_case(medications=meds("Lovenox 40mg")), "ANTICOAGULANT_HOLD_PLAN")
    assert flag.message == (
        "Lovenox 40mg (enoxaparin): hold 24 hours; last dose by Thu 26 Nov 2026 08:00. "
        "A clinician must approve the hold plan. Due before Thu 26 Nov 2026 begins."
    )


def test_combination_product_gets_one_hold_plan_per_drug() -> None:
    flags = flags_of(make_case(medications=meds("aspirin/clopidogrel")), "ANTICOAGULANT_HOLD_PLAN")
    assert [(f.data["medication"], f.data["drug"]) for f in flags] == [
        ("aspirin/clopidogrel", "aspirin"),
        ("aspirin/clopidogrel", "clopidogrel"),
    ]


def test_unclassified_medication_raises_no_hold_plan() -> None:
    assert codes(make_case(medications=meds("Lipitor 20 mg", "Tylenol"))) == []


def test_a_plan_for_each_blood_thinner_clears_every_hold_plan() -> None:
    case = make_case(
        medications=meds("Plavix", "Coumadin"),
        signoffs=signed("anticoagulant_plan_approved", medication="Plavix")
        + signed("anticoagulant_plan_approved", medication="Coumadin"),
    )
    assert flags_of(case, "ANTICOAGULANT_HOLD_PLAN") == []


def test_a_plan_for_one_blood_thinner_does_not_cover_a_second_one() -> None:
    case = make_case(
        medications=meds("Eliquis", "Plavix"),
        signoffs=signed("anticoagulant_plan_approved", medication="Eliquis"),
    )
    assert [f.data["medication"] for f in flags_of(case, "ANTICOAGULANT_HOLD_PLAN")] == ["Plavix"]


def test_a_renamed_line_loses_its_plan() -> None:
    case = make_case(
        medications=meds("Eliquis 5mg"),
        signoffs=signed("anticoagulant_plan_approved", medication="Eliquis"),
    )
    assert len(flags_of(case, "ANTICOAGULANT_HOLD_PLAN")) == 1


def test_a_plan_approved_for_another_day_no_longer_counts_and_the_flag_says_so() -> None:
    approved_for = START - dt.timedelta(days=2)
    case = make_case(
        medications=meds("Eliquis"),
        signoffs=signed("anticoagulant_plan_approved", medication="Eliquis", for_start=approved_for),
    )
    flag = the_flag(case, "ANTICOAGULANT_HOLD_PLAN")
    assert (
        "The plan approved for Wed 25 Nov 2026 no longer counts: the appointment moved to Fri 27 Nov 2026."
        in (flag.message)
    )


def test_a_plan_approved_for_the_same_day_still_counts() -> None:
    case = make_case(
        medications=meds("Eliquis"),
        signoffs=signed(
            "anticoagulant_plan_approved", medication="Eliquis", for_start=START - dt.timedelta(hours=2)
        ),
    )
    assert flags_of(case, "ANTICOAGULANT_HOLD_PLAN") == []


def test_plan_approval_recorded_after_as_of_does_not_clear() -> None:
    case = make_case(
        medications=meds("Plavix"),
        signoffs=signed("anticoagulant_plan_approved", at=at_utc(2026, 11, 11), medication="Plavix"),
    )
    assert len(flags_of(case, "ANTICOAGULANT_HOLD_PLAN")) == 1


def test_exception_approval_does_not_clear_the_hold_plan() -> None:
    case = make_case(
        medications=meds("Plavix"),
        signoffs=signed("anticoagulant_exception_approved", medication="Plavix"),
    )
    assert len(flags_of(case, "ANTICOAGULANT_HOLD_PLAN")) == 1


# --- Holds across the DST change (America/New_York, fall back Sun 1 Nov 2026) --------------------


def test_day_based_hold_due_is_local_midnight_before_dst_change() -> None:
    flag = the_flag(ny_case(medications=meds("warfarin")), "ANTICOAGULANT_HOLD_PLAN", NY_AS_OF, NY_CONFIG)
    assert flag.data["last_dose_on"] == dt.date(2026, 10, 27)
    assert flag.as_json(NY)["due"] == "2026-10-27T00:00:00-04:00"
    assert flag.due == at_utc(2026, 10, 27, 4, 0)


def test_last_dose_day_of_the_dst_change_is_due_at_its_edt_midnight() -> None:
    case = ny_case(start=dt.datetime(2026, 11, 4, 8, 0, tzinfo=NY), medications=meds("Eliquis"))
    flag = the_flag(case, "ANTICOAGULANT_HOLD_PLAN", NY_AS_OF, NY_CONFIG)
    assert flag.data["last_dose_on"] == dt.date(2026, 11, 1)
    assert flag.as_json(NY)["due"] == "2026-11-01T00:00:00-04:00"


def test_last_dose_day_after_the_dst_change_is_due_at_its_est_midnight() -> None:
    case = ny_case(start=dt.datetime(2026, 11, 5, 8, 0, tzinfo=NY), medications=meds("Eliquis"))
    flag = the_flag(case, "ANTICOAGULANT_HOLD_PLAN", NY_AS_OF, NY_CONFIG)
    assert flag.data["last_dose_on"] == dt.date(2026, 11, 2)
    assert flag.as_json(NY)["due"] == "2026-11-02T00:00:00-05:00"


def test_renal_day_hold_counts_calendar_days_across_dst() -> None:
    flag = the_flag(
        make_case(start=NY_START, medications=meds("Eliquis"), labs=labs(NY_LAB_DAY, egfr=None)),
        "ANTICOAGULANT_HOLD_PLAN",
        NY_AS_OF,
        NY_CONFIG,
    )
    assert (flag.data["hold_days"], flag.data["last_dose_on"]) == (3, dt.date(2026, 10, 29))
    assert flag.as_json(NY)["due"] == "2026-10-29T00:00:00-04:00"


def test_hours_based_hold_across_dst_counts_real_hours() -> None:
    # A clinic hold of 48 h before Mon 2 Nov 08:00 EST: Sat 31 Oct 09:00 EDT (the clock moved an hour).
    config = with_drug(NY_CONFIG, "enoxaparin", hold_hours=48)
    flag = the_flag(ny_case(medications=meds("Lovenox")), "ANTICOAGULANT_HOLD_PLAN", NY_AS_OF, config)
    assert flag.as_json(NY)["data"]["last_dose_at"] == "2026-10-31T09:00:00-04:00"
    assert NY_START - flag.data["last_dose_at"] == dt.timedelta(hours=48)


def test_hours_based_hold_across_dst_is_due_at_local_midnight_of_the_last_dose_day() -> None:
    config = with_drug(NY_CONFIG, "enoxaparin", hold_hours=48)
    flag = the_flag(ny_case(medications=meds("Lovenox")), "ANTICOAGULANT_HOLD_PLAN", NY_AS_OF, config)
    assert flag.as_json(NY)["due"] == "2026-10-31T00:00:00-04:00"


def test_hours_based_hold_on_the_day_after_dst_is_due_at_est_midnight() -> None:
    flag = the_flag(ny_case(medications=meds("Lovenox")), "ANTICOAGULANT_HOLD_PLAN", NY_AS_OF, NY_CONFIG)
    assert flag.as_json(NY)["data"]["last_dose_at"] == "2026-11-01T08:00:00-05:00"
    assert flag.as_json(NY)["due"] == "2026-11-01T00:00:00-04:00"


def test_glp1_review_is_due_at_the_same_local_clock_time_seven_calendar_days_before_across_dst() -> None:
    # Mon 2 Nov 08:00 EST; seven calendar days earlier is Mon 26 Oct 08:00 EDT (not 09:00).
    flag = the_flag(ny_case(medications=meds("Ozempic")), "GLP1_AGONIST_REVIEW", NY_AS_OF, NY_CONFIG)
    assert flag.as_json(NY)["due"] == "2026-10-26T08:00:00-04:00"


def test_hold_last_dose_day_counts_from_the_local_procedure_day() -> None:
    late_evening = dt.datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # Thu 26 Nov 22:00 in New York
    flag = the_flag(
        make_case(start=late_evening, medications=meds("warfarin")),
        "ANTICOAGULANT_HOLD_PLAN",
        config=NY_CONFIG,
    )
    assert flag.data["last_dose_on"] == dt.date(2026, 11, 20)


# --- Anticoagulants: last dose too late ----------------------------------------------------------


def test_planned_last_dose_after_the_permitted_day_is_too_late() -> None:
    case = make_case(medications=meds("Eliquis", last_dose_planned=dt.date(2026, 11, 25)))
    flag = the_flag(case, "ANTICOAGULANT_LAST_DOSE_TOO_LATE")
    assert (flag.severity, flag.owner, flag.due) == ("blocker", "clinician", at_utc(2026, 11, 24, 0, 0))
    assert flag.data == {
        "medication": "Eliquis",
        "drug": "apixaban",
        "match": "exact",
        "matched_name": "eliquis",
        "last_dose_planned": dt.date(2026, 11, 25),
        "last_dose_on": dt.date(2026, 11, 24),
    }


def test_planned_last_dose_on_the_permitted_day_is_not_too_late() -> None:
    case = make_case(medications=meds("Eliquis", last_dose_planned=dt.date(2026, 11, 24)))
    assert flags_of(case, "ANTICOAGULANT_LAST_DOSE_TOO_LATE") == []


def test_no_planned_last_dose_is_not_too_late() -> None:
    assert flags_of(make_case(medications=meds("Eliquis")), "ANTICOAGULANT_LAST_DOSE_TOO_LATE") == []


def test_hours_based_hold_planned_on_procedure_day_is_too_late() -> None:
    case = make_case(medications=meds("Lovenox", last_dose_planned=dt.date(2026, 11, 27)))
    flag = the_flag(case, "ANTICOAGULANT_LAST_DOSE_TOO_LATE")
    assert flag.data["last_dose_on"] == dt.date(2026, 11, 26)


def test_too_late_cannot_be_computed_for_an_unscheduled_case() -> None:
    case = make_case(start=None, medications=meds("Eliquis", last_dose_planned=dt.date(2026, 11, 25)))
    assert flags_of(case, "ANTICOAGULANT_LAST_DOSE_TOO_LATE") == []


def test_plan_approval_does_not_clear_a_too_late_last_dose() -> None:
    case = make_case(
        medications=meds("Eliquis", last_dose_planned=dt.date(2026, 11, 25)),
        signoffs=signed("anticoagulant_plan_approved", medication="Eliquis"),
    )
    assert codes(case) == ["ANTICOAGULANT_LAST_DOSE_TOO_LATE"]


def test_exception_approval_clears_a_too_late_last_dose() -> None:
    case = make_case(
        medications=meds("Eliquis", last_dose_planned=dt.date(2026, 11, 25)),
        signoffs=signed("anticoagulant_exception_approved", medication="Eliquis"),
    )
    assert flags_of(case, "ANTICOAGULANT_LAST_DOSE_TOO_LATE") == []


# --- Supplements, GLP-1, SGLT2, metformin, diabetes ----------------------------------------------


def test_bleeding_supplement_is_a_coordinator_warning_with_a_seven_day_hold() -> None:
    flag = the_flag(make_case(medications=meds("Fish oil 1000 mg")), "SUPPLEMENT_BLEEDING_RISK")
    assert (flag.severity, flag.owner, flag.due) == ("warning", "coordinator", at_utc(2026, 11, 19, 0, 0))
    assert flag.data == {
        "medication": "Fish oil 1000 mg",
        "drug": "fish oil",
        "match": "exact",
        "matched_name": "fish oil",
        "hold_days": 7,
        "last_dose_on": dt.date(2026, 11, 19),
    }


def test_supplement_advice_clears_the_supplement_warning() -> None:
    case = make_case(
        medications=meds("garlic", "ginkgo"),
        signoffs=signed("supplement_advice_given", medication="garlic")
        + signed("supplement_advice_given", medication="ginkgo"),
    )
    assert flags_of(case, "SUPPLEMENT_BLEEDING_RISK") == []


def test_supplement_without_bleeding_risk_is_not_flagged() -> None:
    assert flags_of(make_case(medications=meds("Tylenol")), "SUPPLEMENT_BLEEDING_RISK") == []


def test_glp1_agonist_is_a_clinician_warning_due_seven_days_before() -> None:
    flag = the_flag(make_case(medications=meds("Ozempic 1 mg")), "GLP1_AGONIST_REVIEW")
    assert (flag.severity, flag.owner, flag.due) == ("warning", "clinician", at_utc(2026, 11, 20, 8, 0))
    assert flag.data == {
        "medication": "Ozempic 1 mg",
        "drug": "semaglutide",
        "match": "exact",
        "matched_name": "ozempic",
    }


def test_glp1_plan_clears_the_glp1_review() -> None:
    case = make_case(medications=meds("Mounjaro"), signoffs=signed("glp1_plan_given", medication="Mounjaro"))
    assert flags_of(case, "GLP1_AGONIST_REVIEW") == []


def test_no_glp1_agonist_no_glp1_review() -> None:
    assert flags_of(make_case(medications=meds("Jardiance")), "GLP1_AGONIST_REVIEW") == []


def test_sglt2_inhibitor_is_held_three_days() -> None:
    flag = the_flag(make_case(medications=meds("Jardiance 10 mg")), "SGLT2_INHIBITOR_HOLD")
    assert (flag.severity, flag.owner, flag.due) == ("warning", "clinician", at_utc(2026, 11, 23, 0, 0))
    assert flag.data == {
        "medication": "Jardiance 10 mg",
        "drug": "empagliflozin",
        "match": "exact",
        "matched_name": "jardiance",
        "hold_days": 3,
        "last_dose_on": dt.date(2026, 11, 23),
    }


def test_ertugliflozin_is_held_four_days() -> None:
    flag = the_flag(make_case(medications=meds("Steglatro")), "SGLT2_INHIBITOR_HOLD")
    assert flag.data["last_dose_on"] == dt.date(2026, 11, 22)


def test_sglt2_plan_clears_the_sglt2_hold() -> None:
    case = make_case(medications=meds("Farxiga"), signoffs=signed("sglt2_plan_given", medication="Farxiga"))
    assert flags_of(case, "SGLT2_INHIBITOR_HOLD") == []


def test_no_sglt2_inhibitor_no_sglt2_hold() -> None:
    assert flags_of(make_case(medications=meds("metformin")), "SGLT2_INHIBITOR_HOLD") == []


def test_metformin_with_contrast_and_egfr_below_30_needs_review() -> None:
    flag = the_flag(
        make_case(medications=meds("Glucophage 500mg"), labs=labs(egfr=29)), "METFORMIN_RENAL_REVIEW"
    )
    assert (flag.severity, flag.owner, flag.due) == ("warning", "clinician", at_utc(2026, 11, 25, 8, 0))
    assert flag.data == {
        "medication": "Glucophage 500mg",
        "egfr": 29,
        "match": "exact",
        "matched_name": "glucophage",
    }


def test_metformin_with_egfr_30_needs_no_review() -> None:
    assert (
        flags_of(make_case(medications=meds("metformin"), labs=labs(egfr=30)), "METFORMIN_RENAL_REVIEW") == []
    )


def test_metformin_without_contrast_needs_no_review() -> None:
    case = make_case(
        medications=meds("metformin"),
        labs=labs(egfr=20),
        procedure=ProcedureData(levels=("L1",), contrast_planned=False),
    )
    assert flags_of(case, "METFORMIN_RENAL_REVIEW") == []


def test_metformin_without_egfr_is_a_missing_lab_not_a_review() -> None:
    case = make_case(medications=meds("metformin"), labs=labs(egfr=None))
    assert codes(case) == ["LAB_MISSING"]


def test_metformin_plan_clears_the_metformin_review() -> None:
    case = make_case(
        medications=meds("metformin"),
        labs=labs(egfr=20),
        signoffs=signed("metformin_plan_given", medication="metformin"),
    )
    assert flags_of(case, "METFORMIN_RENAL_REVIEW") == []


@pytest.mark.parametrize("diabetes", ["tablets", "insulin"])
def test_diabetes_treated_with_tablets_or_insulin_needs_a_plan(diabetes: str) -> None:
    flag = the_flag(make_case(intake=make_intake(diabetes=diabetes)), "DIABETES_PLAN")
    assert (flag.severity, flag.owner, flag.due, flag.data) == (
        "warning",
        "clinician",
        at_utc(2026, 11, 25, 8, 0),
        {},
    )


@pytest.mark.parametrize("diabetes", ["none", "diet"])
def test_diabetes_without_tablets_or_insulin_needs_no_plan(diabetes: str) -> None:
    assert flags_of(make_case(intake=make_intake(diabetes=diabetes)), "DIABETES_PLAN") == []


def test_an_insulin_medicine_needs_a_diabetes_plan_without_an_intake() -> None:
    assert len(flags_of(make_case(intake=None, medications=meds("Lantus")), "DIABETES_PLAN")) == 1


def test_diabetes_answer_of_an_unsubmitted_intake_needs_no_plan() -> None:
    case = make_case(intake=make_intake(submitted_at=at_utc(2026, 11, 11), diabetes="insulin"))
    assert flags_of(case, "DIABETES_PLAN") == []


def test_diabetes_plan_given_clears_the_diabetes_plan() -> None:
    case = make_case(
        intake=make_intake(diabetes="insulin"),
        medications=meds("Humalog"),
        signoffs=signed("diabetes_plan_given"),
    )
    assert flags_of(case, "DIABETES_PLAN") == []


# --- Allergies -----------------------------------------------------------------------------------


def test_contrast_allergy_with_contrast_needs_premedication_at_13_7_1_hours() -> None:
    flag = the_flag(make_case(allergies=(AllergyData("iodinated_contrast"),)), "CONTRAST_PREMEDICATION")
    assert (flag.severity, flag.owner, flag.due) == ("blocker", "clinician", at_utc(2026, 11, 26, 8, 0))
    assert flag.data == {
        "regimen": [
            {"drug": "prednisone 50 mg by mouth", "at": at_utc(2026, 11, 26, 19, 0)},
            {"drug": "prednisone 50 mg by mouth", "at": at_utc(2026, 11, 27, 1, 0)},
            {"drug": "prednisone 50 mg by mouth", "at": at_utc(2026, 11, 27, 7, 0)},
            {"drug": "diphenhydramine 50 mg", "at": at_utc(2026, 11, 27, 7, 0)},
        ]
    }


def test_contrast_allergy_without_contrast_needs_no_premedication() -> None:
    case = make_case(
        allergies=(AllergyData("iodinated_contrast"),),
        procedure=ProcedureData(levels=("L1",), contrast_planned=False),
    )
    assert flags_of(case, "CONTRAST_PREMEDICATION") == []


def test_premedication_prescribed_clears_the_contrast_flag() -> None:
    case = make_case(
        allergies=(AllergyData("iodinated_contrast"),),
        signoffs=signed("contrast_premedication_prescribed"),
    )
    assert flags_of(case, "CONTRAST_PREMEDICATION") == []


def test_anesthetic_allergies_are_listed_once_in_category_order() -> None:
    allergies = (
        AllergyData("sedative"),
        AllergyData("other"),
        AllergyData("local_anesthetic"),
        AllergyData("sedative"),
    )
    flag = the_flag(make_case(allergies=allergies), "ANESTHETIC_ALLERGY_REVIEW")
    assert (flag.severity, flag.owner, flag.due) == ("blocker", "clinician", at_utc(2026, 11, 24, 8, 0))
    assert flag.data == {"categories": ["local_anesthetic", "sedative"]}


def test_general_anesthetic_allergy_needs_review() -> None:
    flag = the_flag(make_case(allergies=(AllergyData("general_anesthetic"),)), "ANESTHETIC_ALLERGY_REVIEW")
    assert flag.data == {"categories": ["general_anesthetic"]}


def test_other_allergy_needs_no_anesthetic_review() -> None:
    assert codes(make_case(allergies=(AllergyData("other", "penicillin"),))) == []


def test_anesthetic_allergy_reviewed_clears_the_review() -> None:
    case = make_case(allergies=(AllergyData("sedative"),), signoffs=signed("anesthetic_allergy_reviewed"))
    assert flags_of(case, "ANESTHETIC_ALLERGY_REVIEW") == []


def test_latex_allergy_is_a_coordinator_warning() -> None:
    flag = the_flag(make_case(allergies=(AllergyData("latex"),)), "LATEX_ALLERGY")
    assert (flag.severity, flag.owner, flag.due, flag.data) == (
        "warning",
        "coordinator",
        at_utc(2026, 11, 26, 8, 0),
        {},
    )


def test_latex_precautions_clear_the_latex_warning() -> None:
    case = make_case(allergies=(AllergyData("latex"),), signoffs=signed("latex_precautions_arranged"))
    assert flags_of(case, "LATEX_ALLERGY") == []


def test_no_latex_allergy_no_latex_warning() -> None:
    assert flags_of(make_case(allergies=(AllergyData("sedative"),)), "LATEX_ALLERGY") == []


# --- Labs ----------------------------------------------------------------------------------------


def test_missing_inr_is_flagged_for_the_coordinator() -> None:
    flag = the_flag(make_case(labs=(LabData("platelets", 200, LAB_DAY),)), "LAB_MISSING")
    assert (flag.severity, flag.owner, flag.due) == ("blocker", "coordinator", at_utc(2026, 11, 25, 8, 0))
    assert flag.data == {"test": "inr"}


def test_each_missing_lab_is_its_own_flag() -> None:
    case = make_case(labs=(), medications=meds("Eliquis"))
    assert [f.data["test"] for f in flags_of(case, "LAB_MISSING")] == ["egfr", "inr", "platelets"]


def test_egfr_is_required_with_a_doac() -> None:
    assert the_flag(make_case(labs=labs(egfr=None), medications=meds("Xarelto")), "LAB_MISSING").data == {
        "test": "egfr"
    }


def test_egfr_is_required_with_metformin() -> None:
    assert the_flag(make_case(labs=labs(egfr=None), medications=meds("metformin")), "LAB_MISSING").data == {
        "test": "egfr"
    }


def test_egfr_is_not_required_without_doac_or_metformin() -> None:
    assert flags_of(make_case(labs=labs(egfr=None), medications=meds("Plavix")), "LAB_MISSING") == []


def test_lab_taken_30_days_before_the_procedure_day_is_valid() -> None:
    assert flags_of(make_case(labs=labs(dt.date(2026, 10, 28))), "LAB_MISSING") == []


def test_lab_taken_31_days_before_the_procedure_day_is_missing() -> None:
    assert len(flags_of(make_case(labs=labs(dt.date(2026, 10, 27))), "LAB_MISSING")) == 2


def test_lab_dated_after_the_procedure_day_is_not_valid() -> None:
    as_of = at_utc(2026, 11, 28, 12, 0)
    assert len(flags_of(make_case(labs=labs(dt.date(2026, 11, 28))), "LAB_MISSING", as_of)) == 2


def test_lab_dated_after_as_of_does_not_count_yet() -> None:
    assert len(flags_of(make_case(labs=labs(dt.date(2026, 11, 11))), "LAB_MISSING")) == 2


def test_lab_after_as_of_is_judged_by_the_clinic_date_of_as_of() -> None:
    as_of = at_utc(2026, 11, 11, 2, 0)  # 11 Nov in UTC, still 10 Nov in New York
    case = make_case(labs=labs(dt.date(2026, 11, 11)))
    assert (flags_of(case, "LAB_MISSING", as_of), len(flags_of(case, "LAB_MISSING", as_of, NY_CONFIG))) == (
        [],
        2,
    )


def test_unscheduled_lab_validity_counts_back_from_as_of() -> None:
    case = make_case(start=None, labs=labs(dt.date(2026, 10, 10)))  # 31 days before AS_OF's date
    assert len(flags_of(case, "LAB_MISSING")) == 2


def test_unscheduled_recent_lab_is_valid() -> None:
    assert flags_of(make_case(start=None), "LAB_MISSING") == []


def test_on_warfarin_an_inr_three_days_old_is_missing() -> None:
    case = make_case(medications=meds("warfarin"), labs=(*labs(), LabData("inr", 1.1, dt.date(2026, 11, 24))))
    flag = the_flag(case, "LAB_MISSING", at_utc(2026, 11, 26, 12, 0))
    assert flag.data == {"test": "inr"}


def test_on_warfarin_an_inr_two_days_old_is_valid() -> None:
    case = make_case(medications=meds("Coumadin"), labs=(*labs(), LabData("inr", 1.1, dt.date(2026, 11, 25))))
    assert flags_of(case, "LAB_MISSING", at_utc(2026, 11, 26, 12, 0)) == []


def test_labs_reviewed_does_not_clear_a_missing_lab() -> None:
    case = make_case(labs=labs()[1:], signoffs=signed("labs_reviewed"))
    assert len(flags_of(case, "LAB_MISSING")) == 1


def test_inr_above_1_5_is_out_of_range() -> None:
    flag = the_flag(make_case(labs=labs(inr=1.6)), "LAB_OUT_OF_RANGE")
    assert (flag.severity, flag.owner, flag.due) == ("blocker", "clinician", at_utc(2026, 11, 25, 8, 0))
    assert flag.data == {"test": "inr", "value": 1.6, "limit": 1.5}


def test_inr_of_exactly_1_5_is_in_range() -> None:
    assert flags_of(make_case(labs=labs(inr=1.5)), "LAB_OUT_OF_RANGE") == []


def test_platelets_below_50_are_out_of_range() -> None:
    flag = the_flag(make_case(labs=labs(platelets=49)), "LAB_OUT_OF_RANGE")
    assert flag.data == {"test": "platelets", "value": 49, "limit": 50}


def test_platelets_of_exactly_50_are_in_range() -> None:
    assert flags_of(make_case(labs=labs(platelets=50)), "LAB_OUT_OF_RANGE") == []


def test_only_the_latest_valid_result_counts() -> None:
    case = make_case(labs=(LabData("inr", 2.5, dt.date(2026, 11, 1)), *labs(inr=1.1)))
    assert flags_of(case, "LAB_OUT_OF_RANGE") == []


def test_latest_result_counts_whatever_its_place_in_the_list() -> None:
    case = make_case(labs=(*labs(inr=1.9), LabData("inr", 1.0, dt.date(2026, 11, 1))))
    assert the_flag(case, "LAB_OUT_OF_RANGE").data["value"] == 1.9


def test_results_on_the_same_day_last_listed_counts() -> None:
    case = make_case(labs=(*labs(inr=1.9), LabData("inr", 1.2, LAB_DAY)))
    assert flags_of(case, "LAB_OUT_OF_RANGE") == []


def test_egfr_is_never_out_of_range() -> None:
    assert flags_of(make_case(labs=labs(egfr=5)), "LAB_OUT_OF_RANGE") == []


def test_labs_reviewed_clears_out_of_range_results() -> None:
    case = make_case(labs=labs(inr=2.0, platelets=20), signoffs=signed("labs_reviewed"))
    assert flags_of(case, "LAB_OUT_OF_RANGE") == []


# --- Health questions ----------------------------------------------------------------------------


def test_patient_who_cannot_lie_prone_blocks() -> None:
    flag = the_flag(make_case(intake=make_intake(can_lie_prone=False)), "PRONE_POSITION_REVIEW")
    assert (flag.severity, flag.owner, flag.due) == ("blocker", "clinician", at_utc(2026, 11, 24, 8, 0))


def test_patient_unsure_about_lying_prone_is_a_warning() -> None:
    assert (
        the_flag(make_case(intake=make_intake(can_lie_prone=None)), "PRONE_POSITION_REVIEW").severity
        == "warning"
    )


def test_patient_who_can_lie_prone_is_not_flagged() -> None:
    assert flags_of(make_case(intake=make_intake(can_lie_prone=True)), "PRONE_POSITION_REVIEW") == []


def test_positioning_reviewed_clears_the_prone_blocker() -> None:
    case = make_case(intake=make_intake(can_lie_prone=False), signoffs=signed("positioning_reviewed"))
    assert flags_of(case, "PRONE_POSITION_REVIEW") == []


def test_infection_symptoms_block_until_cleared() -> None:
    flag = the_flag(make_case(intake=make_intake(infection_symptoms=True)), "INFECTION_REVIEW")
    assert (flag.severity, flag.owner, flag.due) == ("blocker", "clinician", at_utc(2026, 11, 26, 8, 0))


def test_no_infection_symptoms_no_infection_review() -> None:
    assert flags_of(make_case(), "INFECTION_REVIEW") == []


def test_infection_cleared_clears_the_infection_review() -> None:
    case = make_case(intake=make_intake(infection_symptoms=True), signoffs=signed("infection_cleared"))
    assert flags_of(case, "INFECTION_REVIEW") == []


def woman(born: dt.date) -> PatientData:
    return PatientData("Eve", "Adams", born, sex="female")


@pytest.mark.parametrize("pregnant", [True, None])
def test_woman_under_55_answering_yes_or_unsure_needs_pregnancy_excluded(pregnant: bool | None) -> None:
    case = make_case(patient=woman(dt.date(1990, 5, 1)), intake=make_intake(pregnant=pregnant))
    flag = the_flag(case, "PREGNANCY_REVIEW")
    assert (flag.severity, flag.owner, flag.due) == ("blocker", "clinician", at_utc(2026, 11, 26, 8, 0))


def test_woman_answering_not_pregnant_is_not_flagged() -> None:
    case = make_case(patient=woman(dt.date(1990, 5, 1)), intake=make_intake(pregnant=False))
    assert flags_of(case, "PREGNANCY_REVIEW") == []


def test_woman_turning_55_the_day_after_the_procedure_is_flagged() -> None:
    assert len(flags_of(make_case(patient=woman(dt.date(1971, 11, 28))), "PREGNANCY_REVIEW")) == 1


def test_woman_aged_55_on_the_procedure_day_is_not_flagged() -> None:
    assert flags_of(make_case(patient=woman(dt.date(1971, 11, 27))), "PREGNANCY_REVIEW") == []


def test_unscheduled_pregnancy_age_is_taken_on_the_as_of_date() -> None:
    # 54 on 10 Nov (as_of), 55 by the 27 Nov appointment.
    born = dt.date(1971, 11, 11)
    unscheduled = flags_of(make_case(start=None, patient=woman(born)), "PREGNANCY_REVIEW")
    scheduled = flags_of(make_case(patient=woman(born)), "PREGNANCY_REVIEW")
    assert (len(unscheduled), len(scheduled)) == (1, 0)


def test_man_is_not_flagged_for_pregnancy() -> None:
    assert flags_of(make_case(), "PREGNANCY_REVIEW") == []


def test_pregnancy_review_needs_a_submitted_intake() -> None:
    assert flags_of(make_case(patient=woman(dt.date(1990, 5, 1)), intake=None), "PREGNANCY_REVIEW") == []


def test_pregnancy_excluded_clears_the_pregnancy_review() -> None:
    case = make_case(patient=woman(dt.date(1990, 5, 1)), signoffs=signed("pregnancy_excluded"))
    assert flags_of(case, "PREGNANCY_REVIEW") == []


# --- Overdue, ordering ---------------------------------------------------------------------------


def test_flag_past_its_due_is_overdue() -> None:
    assert the_flag(make_case(intake=None), "INTAKE_NOT_SUBMITTED", at_utc(2026, 11, 25)).overdue


def test_flag_before_its_due_is_not_overdue() -> None:
    assert not the_flag(make_case(intake=None), "INTAKE_NOT_SUBMITTED").overdue


def test_flag_exactly_at_its_due_is_not_overdue() -> None:
    assert not the_flag(make_case(intake=None), "INTAKE_NOT_SUBMITTED", at_utc(2026, 11, 24, 8, 0)).overdue


def test_flags_are_sorted_blockers_first_then_due_then_code_then_medication() -> None:
    case = make_case(
        intake=None,
        driver=None,
        medications=meds("Plavix", "fish oil", "Brilinta"),
        allergies=(AllergyData("latex"),),
    )
    order = [(f.code, f.data.get("medication")) for f in evaluate(case, CONFIG, AS_OF)]
    assert order == [
        ("ANTICOAGULANT_HOLD_PLAN", "Brilinta"),  # due 21 Nov 00:00
        ("ANTICOAGULANT_HOLD_PLAN", "Plavix"),  # due 21 Nov 00:00
        ("INTAKE_NOT_SUBMITTED", None),  # due 24 Nov
        ("DRIVER_MISSING", None),  # due 25 Nov
        ("SUPPLEMENT_BLEEDING_RISK", "fish oil"),  # a warning, though due 19 Nov
        ("LATEX_ALLERGY", None),
    ]


def test_flags_with_the_same_due_are_sorted_by_code() -> None:
    case = make_case(labs=labs(inr=2.0)[:1], intake=make_intake(infection_symptoms=True))
    assert codes(case) == ["LAB_MISSING", "LAB_OUT_OF_RANGE", "INFECTION_REVIEW"]


def test_flags_without_due_come_after_flags_with_due() -> None:
    dated = Flag("ZZZ", "blocker", "clinician", at_utc(2026, 11, 30), False, "")
    undated = Flag("AAA", "blocker", "clinician", None, False, "")
    warning = Flag("AAA", "warning", "clinician", at_utc(2026, 11, 1), False, "")
    assert sorted([warning, undated, dated], key=sort_key) == [dated, undated, warning]


def test_same_code_and_medication_are_sorted_by_drug() -> None:
    flags = flags_of(make_case(medications=meds("clopidogrel + aspirin")), "ANTICOAGULANT_HOLD_PLAN")
    assert [f.data["drug"] for f in flags] == ["aspirin", "clopidogrel"]


# --- JSON ----------------------------------------------------------------------------------------


def test_as_json_gives_the_flag_fields() -> None:
    flag = the_flag(make_case(driver=None), "DRIVER_MISSING")
    assert flag.as_json(ZoneInfo("UTC")) == {
        "code": "DRIVER_MISSING",
        "severity": "blocker",
        "owner": "patient",
        "due": "2026-11-25T08:00:00+00:00",
        "overdue": False,
        "message": "No driver is recorded to take the patient home. Due Wed 25 Nov 2026 08:00.",
        "data": {},
    }


def test_as_json_writes_due_in_the_clinic_time_zone_with_offset() -> None:
    case = make_case(start=dt.datetime(2026, 11, 27, 8, 0, tzinfo=NY), medications=meds("Eliquis"))
    flag = the_flag(case, "ANTICOAGULANT_HOLD_PLAN", config=NY_CONFIG)
    assert flag.as_json(NY)["due"] == "2026-11-24T00:00:00-05:00"


def test_as_json_writes_dates_as_iso_dates() -> None:
    flag = the_flag(make_case(medications=meds("Eliquis")), "ANTICOAGULANT_HOLD_PLAN")
    assert flag.as_json(ZoneInfo("UTC"))["data"]["last_dose_on"] == "2026-11-24"


def test_as_json_converts_datetimes_nested_in_data() -> None:
    case = make_case(
        start=dt.datetime(2026, 11, 27, 8, 0, tzinfo=NY), allergies=(AllergyData("iodinated_contrast"),)
    )
    regimen = the_flag(case, "CONTRAST_PREMEDICATION", config=NY_CONFIG).as_json(NY)["data"]["regimen"]
    assert regimen[0] == {"drug": "prednisone 50 mg by mouth", "at": "2026-11-26T19:00:00-05:00"}


def test_as_json_output_is_json_serialisable() -> None:
    case = make_case(
        intake=make_intake(fasting_acknowledged=False),
        medications=meds("Eliquis", "Lovenox", "fish oil"),
        allergies=(AllergyData("iodinated_contrast"), AllergyData("sedative")),
    )
    payload = [f.as_json(CONFIG.time_zone) for f in evaluate(case, CONFIG, AS_OF)]
    assert json.loads(json.dumps(payload)) == payload


def test_as_json_keeps_nulls_for_an_unscheduled_case() -> None:
    flag = the_flag(make_case(start=None, driver=DriverData("Bob", "+15551234567")), "DRIVER_UNCONFIRMED")
    as_json = flag.as_json(ZoneInfo("UTC"))
    assert (as_json["due"], as_json["data"]) == (None, {"pickup_at": None})


# --- MEDICATIONS.md: lines the catalogue cannot read ----------------------------------------------


def test_an_unrecognised_medicine_is_a_clinician_blocker_due_72_hours_before() -> None:
    flag = the_flag(make_case(medications=meds("my heart pill")), "MEDICATION_UNRECOGNISED")
    assert (flag.severity, flag.owner, flag.due) == ("blocker", "clinician", START - dt.timedelta(hours=72))
    assert flag.data == {"medication": "my heart pill", "suggestion": None}
    assert flag.message.startswith('"my heart pill" is not in the medication catalogue.')
    assert "Due Tue 24 Nov 2026 08:00." in flag.message


def test_a_case_with_an_unrecognised_medicine_is_not_ready() -> None:
    assert not is_ready(evaluate(make_case(medications=meds("blood thinner shots")), CONFIG, AS_OF))


def test_a_misspelt_no_action_medicine_is_unrecognised_with_the_suggestion() -> None:
    flag = the_flag(make_case(medications=meds("Lisinoprill")), "MEDICATION_UNRECOGNISED")
    assert flag.data == {"medication": "Lisinoprill", "suggestion": "lisinopril"}
    assert 'It looks like "lisinopril" — check the spelling.' in flag.message


def test_recognised_medicines_raise_no_unrecognised_flag() -> None:
    case = make_case(medications=meds("Lipitor 20 mg", "Tylenol", "Eliquis"))
    assert flags_of(case, "MEDICATION_UNRECOGNISED") == []


def test_medication_reviewed_clears_only_its_own_line() -> None:
    case = make_case(
        medications=meds("my heart pill", "zzqx drops"),
        signoffs=signed("medication_reviewed", medication="my heart pill"),
    )
    assert [f.data["medication"] for f in flags_of(case, "MEDICATION_UNRECOGNISED")] == ["zzqx drops"]


def test_a_probable_blood_thinner_raises_its_hold_plan_saying_how_it_was_read() -> None:
    flag = the_flag(make_case(medications=meds("Elliquis")), "ANTICOAGULANT_HOLD_PLAN")
    assert (flag.data["drug"], flag.data["match"], flag.data["matched_name"]) == (
        "apixaban",
        "probable",
        "eliquis",
    )
    assert flag.message.startswith("Elliquis (read as apixaban — check the spelling): hold 2 days")
    assert flags_of(make_case(medications=meds("Elliquis")), "MEDICATION_UNRECOGNISED") == []


# --- NSAIDs, other supplements, combinations, lines listed twice ---------------------------------


def test_an_nsaid_is_a_clinician_warning_held_by_its_half_life() -> None:
    flag = the_flag(make_case(medications=meds("Advil 200mg")), "NSAID_HOLD")
    assert (flag.severity, flag.owner) == ("warning", "clinician")
    # Ibuprofen: 1 whole day without a dose, so the last dose is Wed 25 Nov.
    assert (flag.data["drug"], flag.data["hold_days"], flag.data["last_dose_on"]) == (
        "ibuprofen",
        1,
        dt.date(2026, 11, 25),
    )
    assert flag.due == at_utc(2026, 11, 25) and "Due before Wed 25 Nov 2026 begins." in flag.message


def test_no_nsaid_no_nsaid_hold() -> None:
    assert flags_of(make_case(medications=meds("Tylenol")), "NSAID_HOLD") == []


def test_an_nsaid_plan_for_the_line_clears_it() -> None:
    case = make_case(medications=meds("Aleve"), signoffs=signed("nsaid_plan_given", medication="Aleve"))
    assert flags_of(case, "NSAID_HOLD") == []


def test_st_johns_wort_is_a_coordinator_warning_with_a_five_day_hold() -> None:
    flag = the_flag(make_case(medications=meds("St John's Wort")), "SUPPLEMENT_OTHER_RISK")
    assert (flag.severity, flag.owner, flag.data["hold_days"], flag.data["last_dose_on"]) == (
        "warning",
        "coordinator",
        5,
        dt.date(2026, 11, 21),
    )


def test_a_supplement_to_review_is_due_72_hours_before_with_no_date() -> None:
    flag = the_flag(make_case(medications=meds("valerian root")), "SUPPLEMENT_OTHER_RISK")
    assert (flag.data["hold_days"], flag.data["last_dose_on"]) == (None, None)
    assert flag.due == START - dt.timedelta(hours=72)


def test_no_other_supplement_no_supplement_warning() -> None:
    assert flags_of(make_case(medications=meds("fish oil")), "SUPPLEMENT_OTHER_RISK") == []


def test_supplement_advice_for_its_line_clears_the_other_supplement_warning() -> None:
    case = make_case(
        medications=meds("valerian"), signoffs=signed("supplement_advice_given", medication="valerian")
    )
    assert flags_of(case, "SUPPLEMENT_OTHER_RISK") == []


def test_two_anticoagulants_are_a_combination_for_a_clinician_to_review() -> None:
    flag = the_flag(make_case(medications=meds("Coumadin", "Eliquis")), "ANTICOAGULANT_COMBINATION")
    assert (flag.severity, flag.owner, flag.due) == ("blocker", "clinician", START - dt.timedelta(hours=72))
    assert flag.data == {"drugs": ["apixaban", "warfarin"]}


def test_an_anticoagulant_with_an_antiplatelet_is_not_a_combination() -> None:
    assert flags_of(make_case(medications=meds("Eliquis", "aspirin")), "ANTICOAGULANT_COMBINATION") == []


def test_the_combination_review_clears_the_combination() -> None:
    case = make_case(
        medications=meds("Coumadin", "Lovenox"), signoffs=signed("anticoagulant_combination_reviewed")
    )
    assert flags_of(case, "ANTICOAGULANT_COMBINATION") == []


def test_brand_and_generic_on_two_lines_are_listed_twice() -> None:
    flag = the_flag(make_case(medications=meds("Tylenol", "acetaminophen 500 mg")), "MEDICATION_LISTED_TWICE")
    assert (flag.severity, flag.owner) == ("warning", "coordinator")
    assert flag.data == {"drug": "acetaminophen", "medications": ["Tylenol", "acetaminophen 500 mg"]}


def test_different_drugs_are_not_listed_twice() -> None:
    assert flags_of(make_case(medications=meds("Tylenol", "Lipitor")), "MEDICATION_LISTED_TWICE") == []


def test_the_list_check_clears_listed_twice() -> None:
    case = make_case(medications=meds("Tylenol", "paracetamol"), signoffs=signed("medication_list_checked"))
    assert flags_of(case, "MEDICATION_LISTED_TWICE") == []


def test_a_sulfonylurea_needs_a_diabetes_plan() -> None:
    assert the_flag(make_case(medications=meds("glipizide 5 mg")), "DIABETES_PLAN").severity == "warning"


# --- The clinician's plan per medicine -------------------------------------------------------------


def test_an_approved_last_dose_day_is_what_too_late_compares_with() -> None:
    # Aspirin's default: last dose Sat 21 Nov; the clinician approved Tue 24 Nov (3 days, SIR 3-5).
    planned = meds("aspirin 81", last_dose_planned=dt.date(2026, 11, 24))
    approved = signed(
        "anticoagulant_plan_approved",
        medication="aspirin 81",
        last_dose_on=dt.date(2026, 11, 24),
        for_start=START,
    )
    assert flags_of(make_case(medications=planned), "ANTICOAGULANT_LAST_DOSE_TOO_LATE") != []
    assert codes(make_case(medications=planned, signoffs=approved)) == []


def test_a_plan_to_keep_taking_it_is_never_too_late() -> None:
    planned = meds("aspirin 81", last_dose_planned=dt.date(2026, 11, 26))
    approved = signed(
        "anticoagulant_plan_approved", medication="aspirin 81", keep_taking=True, for_start=START
    )
    assert codes(make_case(medications=planned, signoffs=approved)) == []


def test_medicine_stops_follow_the_plan_and_wait_for_it_for_blood_thinners() -> None:
    case = make_case(
        medications=meds("Eliquis", "aspirin 81", "Plavix", "fish oil"),
        signoffs=signed("anticoagulant_plan_approved", medication="aspirin 81", keep_taking=True)
        + signed("anticoagulant_plan_approved", medication="Plavix", last_dose_on=dt.date(2026, 11, 20)),
    )
    stops = {s.medication.name: s for s in medicine_stops(build_context(case, CONFIG, AS_OF))}
    assert stops["Eliquis"].awaiting_plan and stops["Eliquis"].last_dose_on is None
    assert stops["aspirin 81"].keep_taking
    assert (stops["Plavix"].last_dose_on, stops["Plavix"].approved) == (dt.date(2026, 11, 20), True)
    assert (stops["fish oil"].last_dose_on, stops["fish oil"].approved) == (dt.date(2026, 11, 19), False)


# --- Wording (clinical review) --------------------------------------------------------------------


def test_pregnancy_is_asked_of_patients_of_other_or_unknown_sex() -> None:
    for sex in ("other", "unknown"):
        patient = PatientData("Sam", "Adams", dt.date(1990, 5, 1), sex=sex)
        flag = the_flag(make_case(patient=patient, intake=make_intake(pregnant=None)), "PREGNANCY_REVIEW")
        assert "pregnant: not answered" in flag.message and "unsure" not in flag.message


def test_an_unanswered_prone_question_reads_not_answered() -> None:
    flag = the_flag(make_case(intake=make_intake(can_lie_prone=None)), "PRONE_POSITION_REVIEW")
    assert "has not answered" in flag.message and "unsure" not in flag.message


def test_every_flag_with_a_due_says_when() -> None:
    case = make_case(
        medications=meds("Eliquis", "fish oil", "Advil", "Ozempic", "Jardiance", "my heart pill", "kava"),
        intake=make_intake(fasting_acknowledged=False, can_lie_prone=False),
        driver=None,
    )
    for flag in evaluate(case, CONFIG, AS_OF):
        assert flag.due is None or "Due " in flag.message, flag.code
        assert " 00:00" not in flag.message, flag.code


def test_a_plan_to_keep_taking_it_survives_a_move_to_another_day() -> None:
    approved = signed(
        "anticoagulant_plan_approved",
        medication="aspirin 81",
        keep_taking=True,
        for_start=START - dt.timedelta(days=3),
    )
    assert codes(make_case(medications=meds("aspirin 81"), signoffs=approved)) == []


def test_every_flag_code_has_words_for_staff_pages() -> None:
    assert set(FLAG_TITLES) == READINESS_CODES
