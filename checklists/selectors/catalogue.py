"""Reading the clinic's rule data and the medication catalogue from the database."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count

from checklists.catalog import DrugEntry, DrugMatch, PremedStep, RuleConfig, normalize_name
from checklists.models import (
    Drug,
    FlagDeadline,
    Medication,
    PremedicationStep,
    RuleSettings,
)


@dataclass(frozen=True)
class UnrecognisedName:
    """Words typed on medicine lines that the catalogue does not read, with how often."""

    words: str  # normalised: what the catalogue would compare
    typed: tuple[str, ...]  # how it was written, most frequent first
    lines: int
    cases: int
    suggestion: DrugMatch | None


def unrecognised_medication_names(config: RuleConfig) -> list[UnrecognisedName]:
    """Every medicine name not recognised, across all cases, most frequent first (one query)."""
    groups: dict[str, list[dict]] = {}
    rows = Medication.objects.values("name").annotate(lines=Count("id"), cases=Count("case", distinct=True))
    for row in rows:
        groups.setdefault(normalize_name(row["name"]), []).append(row)
    found = []
    for words, group in groups.items():
        reading = config.read(group[0]["name"])
        if reading.recognised:
            continue
        group.sort(key=lambda r: (-r["lines"], r["name"]))
        found.append(
            UnrecognisedName(
                words=words,
                typed=tuple(r["name"] for r in group),
                lines=sum(r["lines"] for r in group),
                cases=sum(r["cases"] for r in group),
                suggestion=reading.suggestion,
            )
        )
    return sorted(found, key=lambda n: (-n.lines, n.words))


def load_rule_config() -> RuleConfig:
    """The clinic's current rule data from the database, in four queries."""
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
            PremedStep(step.drug, step.hours_before_start, step.drug_es)
            for step in PremedicationStep.objects.all()
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
