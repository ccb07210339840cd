"""Clinic-editable clinical data: the medication catalogue and the rule settings.

`RuleConfig` is the immutable snapshot the readiness engine reads. `load_rule_config()` builds
it from the database in a fixed number of queries; `RuleConfig.defaults()` builds it from
`defaults.py` for tests that need no database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from zoneinfo import ZoneInfo

from checklists import defaults

DRUG_CLASSES = (
    "vka",
    "doac",
    "antiplatelet",
    "heparin",
    "herbal_bleeding",
    "glp1",
    "sglt2",
    "metformin",
    "insulin",
)
ANTICOAGULANT_CLASSES = frozenset({"vka", "doac", "antiplatelet", "heparin"})

# A number with a unit ("5mg", "5 mg", "81mg", "1000 iu", "0.5 ml"): dropped before matching.
_DOSE = re.compile(r"(?<![a-z0-9])\d+(?:[.,]\d+)?\s*(?:mg|mcg|µg|ug|g|ml|iu|units?|u|%)(?![a-z0-9])")
_NOT_WORD = re.compile(r"[^a-z0-9µ%.,]+")


def normalize_name(name: str) -> str:
    """Lower-case, doses dropped, punctuation and runs of spaces folded to one space."""
    text = " ".join(_NOT_WORD.sub(" ", name.lower()).split())
    text = _DOSE.sub(" ", text)
    return " ".join(text.replace(",", " ").split()).strip(" .")


@dataclass(frozen=True)
class DrugEntry:
    name: str  # generic name
    drug_class: str
    aliases: tuple[str, ...] = ()
    hold_days: int | None = None
    hold_hours: int | None = None
    renal_egfr_below: float | None = None
    renal_hold_days: int | None = None


@dataclass(frozen=True)
class PremedStep:
    drug: str
    hours_before_start: int


@dataclass(frozen=True)
class RuleConfig:
    time_zone: ZoneInfo
    food_stop_hours: float
    clear_liquids_stop_hours: float
    arrival_minutes_before: int
    minutes_per_level: int
    observation_minutes: int
    lab_validity_days: int
    warfarin_inr_validity_days: int
    inr_max: float
    platelets_min: float
    metformin_egfr_below: float
    pregnancy_age_below: int
    deadlines: Mapping[str, int]  # flag code -> hours before start
    premedication: tuple[PremedStep, ...]
    drugs: tuple[DrugEntry, ...]
    _patterns: tuple[tuple[re.Pattern[str], DrugEntry], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        patterns = []
        for drug in self.drugs:
            for alias in {normalize_name(a) for a in (drug.name, *drug.aliases)} - {""}:
                patterns.append((re.compile(rf"(?<![a-z0-9]){re.escape(alias)}(?![a-z0-9])"), drug))
        object.__setattr__(self, "_patterns", tuple(patterns))
        object.__setattr__(self, "deadlines", MappingProxyType(dict(self.deadlines)))

    def match(self, name: str) -> tuple[DrugEntry, ...]:
        """Every catalogue drug whose generic or brand name appears as whole words in `name`.

        Usually one; a combination product ("aspirin/clopidogrel") gives each of its drugs, so
        no blood thinner is hidden behind another. Empty means unclassified.
        """
        text = normalize_name(name)
        found: dict[str, DrugEntry] = {}
        for pattern, drug in self._patterns:
            if drug.name not in found and pattern.search(text):
                found[drug.name] = drug
        return tuple(sorted(found.values(), key=lambda d: d.name))

    @classmethod
    def defaults(cls, time_zone: str = "UTC") -> RuleConfig:
        """The shipped defaults, without a database (for unit tests and documentation)."""
        values = {name: value for name, (value, _source) in defaults.RULE_SETTINGS.items()}
        return cls(
            time_zone=ZoneInfo(time_zone),
            **values,
            deadlines=defaults.FLAG_DEADLINES,
            premedication=tuple(PremedStep(drug, hours) for drug, hours in defaults.PREMEDICATION),
            drugs=tuple(
                sorted(
                    (
                        DrugEntry(
                            name=d["name"],
                            drug_class=d["drug_class"],
                            aliases=tuple(d["aliases"]),
                            hold_days=d.get("hold_days"),
                            hold_hours=d.get("hold_hours"),
                            renal_egfr_below=d.get("renal_egfr_below"),
                            renal_hold_days=d.get("renal_hold_days"),
                        )
                        for d in defaults.DRUGS
                    ),
                    key=lambda d: d.name,
                )
            ),
        )


def load_rule_config() -> RuleConfig:
    """The clinic's current rule data from the database, in four queries."""
    from django.conf import settings

    from checklists.models import Drug, FlagDeadline, PremedicationStep, RuleSettings

    row = RuleSettings.objects.get(pk=1)
    return RuleConfig(
        time_zone=ZoneInfo(settings.CLINIC_TIME_ZONE),
        food_stop_hours=row.food_stop_hours,
        clear_liquids_stop_hours=row.clear_liquids_stop_hours,
        arrival_minutes_before=row.arrival_minutes_before,
        minutes_per_level=row.minutes_per_level,
        observation_minutes=row.observation_minutes,
        lab_validity_days=row.lab_validity_days,
        warfarin_inr_validity_days=row.warfarin_inr_validity_days,
        inr_max=float(row.inr_max),
        platelets_min=row.platelets_min,
        metformin_egfr_below=row.metformin_egfr_below,
        pregnancy_age_below=row.pregnancy_age_below,
        deadlines={d.code: d.hours_before_start for d in FlagDeadline.objects.all()},
        premedication=tuple(
            PremedStep(step.drug, step.hours_before_start) for step in PremedicationStep.objects.all()
        ),
        drugs=tuple(
            DrugEntry(
                name=d.name,
                drug_class=d.drug_class,
                aliases=tuple(d.alias_list),
                hold_days=d.hold_days,
                hold_hours=d.hold_hours,
                renal_egfr_below=d.renal_egfr_below,
                renal_hold_days=d.renal_hold_days,
            )
            for d in Drug.objects.order_by("name")
        ),
    )
