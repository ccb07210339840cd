"""The clinic's clinical defaults, each with its source (READINESS.md).

This is data, not code: the data migration copies it into the database, where a clinic admin
edits it; the readiness engine only ever reads the database copy (or, in unit tests,
`RuleConfig.defaults()` built from this module).
"""

from __future__ import annotations

import csv
from pathlib import Path

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
    "DRIVER_DECLINED": 48,
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
    "MEDICATION_UNRECOGNISED": 72,
    "SUPPLEMENT_OTHER_RISK": 72,  # only when the hold is "review" (otherwise: the last-dose day)
    "ANTICOAGULANT_COMBINATION": 72,
    "MEDICATION_LISTED_TWICE": 72,
}

# (drug, hours before start); ACR 13-7-1 h regimen.
PREMEDICATION: tuple[tuple[str, int], ...] = (
    ("prednisone 50 mg by mouth", 13),
    ("prednisone 50 mg by mouth", 7),
    ("prednisone 50 mg by mouth", 1),
    ("diphenhydramine 50 mg", 1),
)
# The shipped regimen's words for Spanish-speaking patients (each step's `drug_es` in the admin).
PREMEDICATION_ES = {
    "prednisone 50 mg by mouth": "prednisona 50 mg por vía oral",
    "diphenhydramine 50 mg": "difenhidramina 50 mg",
}
PREMEDICATION_SOURCE = f"{ACR_CONTRAST}: 13-7-1 h prednisone 50 mg + diphenhydramine 50 mg"

# The medication catalogue (MEDICATIONS.md) lives in versioned CSV files, one folder per version:
# drugs.csv (one ingredient per row: class, hold rule, names, source) and products.csv
# (combination products: a name that belongs to several drugs). A migration loads each version.
CATALOGUE_VERSION = "2026-11"
CATALOGUE_DIR = Path(__file__).parent / "data"


def catalogue_drugs(version: str = CATALOGUE_VERSION) -> tuple[dict, ...]:
    """The shipped catalogue of `version`: one dict per drug, products folded into its names."""
    folder = CATALOGUE_DIR / f"catalogue-{version}"
    drugs: dict[str, dict] = {}
    with open(folder / "drugs.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            drugs[row["name"]] = {
                "name": row["name"],
                "drug_class": row["drug_class"],
                "aliases": [n.strip() for n in row["names"].split("|") if n.strip()],
                "hold_days": _int(row["hold_days"]),
                "hold_hours": _int(row["hold_hours"]),
                "renal_egfr_below": _int(row["renal_egfr_below"]),
                "renal_hold_days": _int(row["renal_hold_days"]),
                "source": row["source"],
            }
    with open(folder / "products.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            for name in row["drugs"].split("+"):
                drugs[name.strip()]["aliases"].append(row["name"].strip())
    for name, rxcui in rxnorm_codes().items():
        if name in drugs:
            drugs[name]["rxnorm"] = rxcui
    return tuple(drugs.values())


# RxNorm ingredient codes of catalogue drugs, with where each was checked (rxnorm.csv: name, rxcui,
# source). Kept apart from the catalogue versions: a code belongs to the ingredient, not to a
# version's hold rules. Loaded into Drug.rxnorm by a migration.
RXNORM_FILE = CATALOGUE_DIR / "rxnorm.csv"


def rxnorm_codes() -> dict[str, str]:
    """Catalogue drug name -> its RxNorm ingredient RXCUI."""
    with open(RXNORM_FILE, encoding="utf-8", newline="") as f:
        return {row["name"]: row["rxcui"] for row in csv.DictReader(f)}


def _int(text: str) -> int | None:
    return int(text) if text.strip() else None
