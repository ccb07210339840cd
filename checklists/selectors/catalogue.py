"""Reading the clinic's rule data and the medication catalogue from the database."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import Count, F, Subquery

from checklists.catalog import DrugEntry, DrugMatch, PremedStep, RuleConfig, normalize_name
from checklists.models import (
    Drug,
    FlagDeadline,
    Medication,
    PremedicationStep,
    RuleDataVersion,
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


@dataclass(frozen=True)
class _RuleTables:
    """The catalogue, deadlines and premedication steps as read at one RuleDataVersion."""

    version: int
    deadlines: tuple[tuple[str, int], ...]
    premedication: tuple[PremedStep, ...]
    drugs: tuple[DrugEntry, ...]


_tables: _RuleTables | None = None  # this process's copy (each gunicorn worker has its own)


def load_rule_config() -> RuleConfig:
    """The clinic's current rule data: one query while the catalogue, deadlines and premedication
    steps are unchanged since this process last read them (RuleDataVersion), four otherwise."""
    row = RuleSettings.objects.annotate(
        data_version=Subquery(RuleDataVersion.objects.filter(pk=1).values("version"))
    ).get(pk=1)
    tables = _rule_tables(row.data_version)
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
        deadlines=dict(tables.deadlines),
        premedication=tables.premedication,
        drugs=tables.drugs,
        data_version=row.data_version,
    )


def _rule_tables(version: int | None) -> _RuleTables:
    """The kept copy if it was read at `version`; else read them. A copy is kept only when read
    outside a transaction (so it is committed data: a rolled-back change can never be kept), and
    never without a version row."""
    global _tables
    if _tables is not None and version is not None and _tables.version == version:
        return _tables
    tables = _RuleTables(
        version=version or 0,
        deadlines=tuple((d.code, d.hours_before_start) for d in FlagDeadline.objects.all()),
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
                rxnorm=d.rxnorm,
            )
            for d in Drug.objects.order_by("name")
        ),
    )
    if version is not None and not connection.in_atomic_block:
        _tables = tables
    return tables


def rule_data_changed() -> None:
    """Every process reads the catalogue, deadlines and premedication steps again (called in the
    transaction of the change; see checklists/apps.py)."""
    RuleDataVersion.objects.filter(pk=1).update(version=F("version") + 1)


def rule_tables_forget() -> None:
    """Drop this process's copy (tests: each starts from its own database state)."""
    global _tables
    _tables = None
