"""The clinic's clinical defaults, each with its source (READINESS.md).

This is data, not code: the data migration copies it into the database, where a clinic admin
edits it; the readiness engine only ever reads the database copy (or, in unit tests,
`RuleConfig.defaults()` built from this module).
"""

from __future__ import annotations

SIR_2019 = "SIR 2019 consensus (Patel et al., J Vasc Interv Radiol 2019)"
ACR_CONTRAST = "ACR Manual on Contrast Media"
ASA_FASTING = "ASA practice guidelines for preoperative fasting (2017, 2023)"
ASA_GLP1 = "ASA 2023 GLP-1 agonist guidance; 2024 multi-society update (review, not automatic hold)"
FDA_SGLT2 = "FDA 2020 SGLT2 inhibitor label change"
HERBAL = "Ang-Lee et al., JAMA 2001, herbal medicines and perioperative care"
CLINIC_DOCS = "The clinic documents PrepDesk was specified from"

# name: (value, source)
RULE_SETTINGS: dict[str, tuple[float | int, str]] = {
    "food_stop_hours": (8, f"{ASA_FASTING}: 8 h after a fatty meal; no milk, cream or juice"),
    "clear_liquids_stop_hours": (
        6,
        f"{CLINIC_DOCS}: usual medicines with sips of water up to 6 h before "
        "(ASA allows clear liquids until 2 h; a clinic may choose it)",
    ),
    "arrival_minutes_before": (60, CLINIC_DOCS),
    "minutes_per_level": (60, f"{CLINIC_DOCS}: about an hour per vertebra"),
    "observation_minutes": (120, f"{CLINIC_DOCS}: two hours lying flat"),
    "lab_validity_days": (30, f"{SIR_2019}: recent INR and platelets before high-risk procedures"),
    "warfarin_inr_validity_days": (2, f"{SIR_2019}: INR re-checked just before the procedure on warfarin"),
    "inr_max": (1.5, f"{SIR_2019}: INR <= 1.5-1.8 for high bleeding-risk procedures"),
    "platelets_min": (50, f"{SIR_2019}: platelets > 50 x 10^9/L"),
    "metformin_egfr_below": (30, f"{ACR_CONTRAST}: metformin with eGFR < 30, hold at contrast and 48 h"),
    "pregnancy_age_below": (55, "Clinic policy: ask about pregnancy under 55"),
}

# Flag code -> hours before the appointment start when it falls due (READINESS.md table).
FLAG_DEADLINES: dict[str, int] = {
    "INTAKE_NOT_SUBMITTED": 72,
    "MEDICATIONS_UNCONFIRMED": 72,
    "ALLERGIES_UNANSWERED": 72,
    "FASTING_NOT_ACKNOWLEDGED": 24,
    "DRIVER_MISSING": 48,
    "DRIVER_UNCONFIRMED": 24,
    "GLP1_AGONIST_REVIEW": 7 * 24,
    "METFORMIN_RENAL_REVIEW": 48,
    "DIABETES_PLAN": 48,
    "CONTRAST_PREMEDICATION": 24,
    "ANESTHETIC_ALLERGY_REVIEW": 72,
    "LATEX_ALLERGY": 24,
    "LAB_MISSING": 48,
    "LAB_OUT_OF_RANGE": 48,
    "PRONE_POSITION_REVIEW": 72,
    "INFECTION_REVIEW": 24,
    "PREGNANCY_REVIEW": 24,
}

# (drug, hours before start); ACR 13-7-1 h regimen.
PREMEDICATION: tuple[tuple[str, int], ...] = (
    ("prednisone 50 mg by mouth", 13),
    ("prednisone 50 mg by mouth", 7),
    ("prednisone 50 mg by mouth", 1),
    ("diphenhydramine 50 mg", 1),
)
PREMEDICATION_SOURCE = f"{ACR_CONTRAST}: 13-7-1 h prednisone 50 mg + diphenhydramine 50 mg"

# One dict per drug. hold_days / hold_hours: the hold; renal_*: a longer hold when the latest
# valid eGFR is below the threshold, or missing.
DRUGS: tuple[dict, ...] = (
    {
        "name": "warfarin",
        "drug_class": "vka",
        "aliases": ["coumadin", "jantoven"],
        "hold_days": 5,
        "source": SIR_2019,
    },
    {
        "name": "apixaban",
        "drug_class": "doac",
        "aliases": ["eliquis"],
        "hold_days": 2,
        "renal_egfr_below": 50,
        "renal_hold_days": 3,
        "source": SIR_2019,
    },
    {
        "name": "rivaroxaban",
        "drug_class": "doac",
        "aliases": ["xarelto"],
        "hold_days": 2,
        "renal_egfr_below": 30,
        "renal_hold_days": 3,
        "source": SIR_2019,
    },
    {
        "name": "edoxaban",
        "drug_class": "doac",
        "aliases": ["savaysa", "lixiana"],
        "hold_days": 2,
        "source": SIR_2019,
    },
    {
        "name": "dabigatran",
        "drug_class": "doac",
        "aliases": ["pradaxa"],
        "hold_days": 2,
        "renal_egfr_below": 50,
        "renal_hold_days": 4,
        "source": SIR_2019,
    },
    {
        "name": "clopidogrel",
        "drug_class": "antiplatelet",
        "aliases": ["plavix"],
        "hold_days": 5,
        "source": SIR_2019,
    },
    {
        "name": "prasugrel",
        "drug_class": "antiplatelet",
        "aliases": ["effient"],
        "hold_days": 7,
        "source": SIR_2019,
    },
    {
        "name": "ticagrelor",
        "drug_class": "antiplatelet",
        "aliases": ["brilinta"],
        "hold_days": 5,
        "source": SIR_2019,
    },
    {
        "name": "aspirin",
        "drug_class": "antiplatelet",
        "aliases": ["asa", "baby aspirin", "ecotrin", "bayer aspirin"],
        "hold_days": 5,
        "source": f"{SIR_2019}: 3-5 days, patient-specific",
    },
    {
        "name": "enoxaparin",
        "drug_class": "heparin",
        "aliases": ["lovenox"],
        "hold_hours": 24,
        "source": SIR_2019,
    },
    {
        "name": "dalteparin",
        "drug_class": "heparin",
        "aliases": ["fragmin"],
        "hold_hours": 24,
        "source": SIR_2019,
    },
    {"name": "heparin", "drug_class": "heparin", "aliases": [], "hold_hours": 6, "source": SIR_2019},
    {
        "name": "ginkgo",
        "drug_class": "herbal_bleeding",
        "aliases": ["ginkgo biloba"],
        "hold_days": 7,
        "source": HERBAL,
    },
    {"name": "garlic", "drug_class": "herbal_bleeding", "aliases": [], "hold_days": 7, "source": HERBAL},
    {"name": "ginseng", "drug_class": "herbal_bleeding", "aliases": [], "hold_days": 7, "source": HERBAL},
    {
        "name": "fish oil",
        "drug_class": "herbal_bleeding",
        "aliases": ["omega-3", "omega 3"],
        "hold_days": 7,
        "source": HERBAL,
    },
    {"name": "vitamin e", "drug_class": "herbal_bleeding", "aliases": [], "hold_days": 7, "source": HERBAL},
    {
        "name": "turmeric",
        "drug_class": "herbal_bleeding",
        "aliases": ["curcumin"],
        "hold_days": 7,
        "source": HERBAL,
    },
    {"name": "feverfew", "drug_class": "herbal_bleeding", "aliases": [], "hold_days": 7, "source": HERBAL},
    {"name": "dong quai", "drug_class": "herbal_bleeding", "aliases": [], "hold_days": 7, "source": HERBAL},
    {
        "name": "semaglutide",
        "drug_class": "glp1",
        "aliases": ["ozempic", "wegovy", "rybelsus"],
        "source": ASA_GLP1,
    },
    {"name": "liraglutide", "drug_class": "glp1", "aliases": ["victoza", "saxenda"], "source": ASA_GLP1},
    {"name": "dulaglutide", "drug_class": "glp1", "aliases": ["trulicity"], "source": ASA_GLP1},
    {"name": "tirzepatide", "drug_class": "glp1", "aliases": ["mounjaro", "zepbound"], "source": ASA_GLP1},
    {"name": "exenatide", "drug_class": "glp1", "aliases": ["byetta", "bydureon"], "source": ASA_GLP1},
    {
        "name": "empagliflozin",
        "drug_class": "sglt2",
        "aliases": ["jardiance"],
        "hold_days": 3,
        "source": FDA_SGLT2,
    },
    {
        "name": "dapagliflozin",
        "drug_class": "sglt2",
        "aliases": ["farxiga"],
        "hold_days": 3,
        "source": FDA_SGLT2,
    },
    {
        "name": "canagliflozin",
        "drug_class": "sglt2",
        "aliases": ["invokana"],
        "hold_days": 3,
        "source": FDA_SGLT2,
    },
    {
        "name": "ertugliflozin",
        "drug_class": "sglt2",
        "aliases": ["steglatro"],
        "hold_days": 4,
        "source": FDA_SGLT2,
    },
    {
        "name": "metformin",
        "drug_class": "metformin",
        "aliases": ["glucophage", "glumetza", "fortamet"],
        "source": ACR_CONTRAST,
    },
    {
        "name": "insulin",
        "drug_class": "insulin",
        "aliases": ["lantus", "basaglar", "toujeo", "humalog", "novolog", "levemir", "tresiba"],
        "source": "Clinic diabetes plan",
    },
)
