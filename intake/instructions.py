"""The patient's own instructions, in plain words and their language, from the readiness engine.

Every time comes from `rules.build_context` (the same numbers staff see); this module only words
them: "02:00 on Tuesday 24 November".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from checklists import rules
from checklists.casedata import CaseData
from checklists.catalog import ANTICOAGULANT_CLASSES, DrugEntry, RuleConfig, normalize_name

# Classes whose medicines have a stop date: the patient is asked when they plan their last dose.
HOLD_CLASSES = frozenset({*ANTICOAGULANT_CLASSES, "herbal_bleeding", "sglt2"})


def format_day(day: dt.date) -> str:
    """'Tuesday 24 November' / 'martes 24 de noviembre' (in the active language)."""
    return date_format(day, pgettext("patient day, Django date format", "l j F"))


def format_moment(moment: dt.datetime, tz: ZoneInfo) -> str:
    """'02:00 on Tuesday 24 November' in the clinic's time zone."""
    local = moment.astimezone(tz)
    return _("%(time)s on %(day)s") % {"time": f"{local:%H:%M}", "day": format_day(local.date())}


def format_time(moment: dt.datetime, tz: ZoneInfo) -> str:
    return f"{moment.astimezone(tz):%H:%M}"


def _label(name: str, drug: DrugEntry) -> str:
    return name if normalize_name(name) == drug.name else f"{name} ({drug.name})"


def medicine_words(name: str, drugs: tuple[DrugEntry, ...]) -> list[str]:
    """What a recognised medicine is, in plain words; empty when the catalogue does not know it."""
    words = []
    for drug in drugs:
        label = _label(name, drug)
        if drug.drug_class in ANTICOAGULANT_CLASSES:
            text = _("%(name)s is a blood thinner. The clinic will tell you when to stop it.")
        elif drug.drug_class == "herbal_bleeding":
            text = _(
                "%(name)s is a supplement that can make you bleed more. You will need to stop it "
                "for some days before the procedure."
            )
        elif drug.drug_class == "sglt2":
            text = _("%(name)s is a diabetes medicine that must be stopped a few days before the procedure.")
        elif drug.drug_class == "glp1":
            text = _(
                "%(name)s is a diabetes or weight-loss medicine. The doctor will tell you what to do "
                "with it before the procedure."
            )
        elif drug.drug_class == "metformin":
            text = _("%(name)s is a diabetes medicine. The doctor will tell you whether to take it.")
        elif drug.drug_class == "insulin":
            text = _("%(name)s is insulin. The doctor will give you a plan for the time you cannot eat.")
        else:
            continue
        words.append(text % {"name": label})
    return words


def needs_last_dose(drugs: tuple[DrugEntry, ...]) -> bool:
    return any(d.drug_class in HOLD_CLASSES for d in drugs)


@dataclass(frozen=True)
class Instructions:
    """Everything the instructions step, the printable page and the email say about times."""

    scheduled: bool
    start: str = ""
    arrival: str = ""
    food_stop: str = ""
    clear_liquids_stop: str = ""
    pickup: str = ""
    start_at: dt.datetime | None = None
    holds: list[str] = field(default_factory=list)
    advice: list[str] = field(default_factory=list)  # medicines the doctor will advise on
    premedication: list[str] = field(default_factory=list)


def instructions_for(data: CaseData, config: RuleConfig, as_of: dt.datetime) -> Instructions:
    """The patient's times and medicine stops, worded in the active language."""
    ctx = rules.build_context(data, config, as_of)
    tz = config.time_zone
    holds = []
    for hold in sorted(ctx.holds, key=lambda h: (h.last_dose_on or dt.date.max, h.medication.name)):
        label = _label(hold.medication.name, hold.drug)
        if hold.last_dose_at is not None:
            text = _("%(name)s: take your last dose no later than %(when)s.") % {
                "name": label,
                "when": format_moment(hold.last_dose_at, tz),
            }
        elif hold.last_dose_on is not None:
            text = _("%(name)s: take your last dose on %(day)s. Do not take it after that day.") % {
                "name": label,
                "day": format_day(hold.last_dose_on),
            }
        else:
            text = _(
                "%(name)s: the clinic will tell you when to stop it once your appointment is booked."
            ) % {"name": label}
        holds.append(text)
    advice = [
        _("%(name)s: the doctor will tell you what to do with it before the procedure.")
        % {"name": _label(m.medication.name, d)}
        for m, d in ctx.drugs_of_class("glp1", "metformin", "insulin")
    ]
    advice = list(dict.fromkeys(advice))
    premedication = [
        _("%(drug)s at %(when)s") % {"drug": dose.drug, "when": format_moment(dose.at, tz)}
        for dose in rules.premedication_for(ctx)
        if dose.at is not None
    ]
    timeline = ctx.timeline
    if timeline is None:
        return Instructions(scheduled=False, holds=holds, advice=advice)
    return Instructions(
        scheduled=True,
        start=format_moment(timeline.start, tz),
        arrival=format_moment(timeline.arrival_at, tz),
        food_stop=format_moment(timeline.food_stop_at, tz),
        clear_liquids_stop=format_moment(timeline.clear_liquids_stop_at, tz),
        pickup=format_moment(timeline.pickup_at, tz),
        start_at=timeline.start,
        holds=holds,
        advice=advice,
        premedication=premedication,
    )
