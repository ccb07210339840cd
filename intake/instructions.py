"""The patient's own instructions, in plain words and their language, from the readiness engine.

Every time comes from `rules.build_context` (the same numbers staff see); this module only words
them: "02:00 on Tuesday 24 November".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from checklists import rules
from checklists.casedata import ANTICOAGULANT_CLASSES, CaseData
from checklists.catalog import PROBABLE, DrugEntry, Reading, RuleConfig, drug_label
from checklists.wording.patient import day_words, moment_words

# Classes whose medicines have a stop date: the patient is asked when they plan their last dose.
HOLD_CLASSES = frozenset({*ANTICOAGULANT_CLASSES, "nsaid", "herbal_bleeding", "herbal_other", "sglt2"})


def _class_words(drug: DrugEntry) -> str | None:
    """What a medicine of this class means for the procedure, in plain words ('%(name)s' to fill)."""
    if drug.drug_class in ANTICOAGULANT_CLASSES:
        return _("%(name)s is a blood thinner. The clinic will tell you when to stop it.")
    return {
        "nsaid": _(
            "%(name)s is an anti-inflammatory pain medicine that can make you bleed more. You will "
            "need to stop it for some days before the procedure."
        ),
        "herbal_bleeding": _(
            "%(name)s is a supplement that can make you bleed more. You will need to stop it "
            "for some days before the procedure."
        ),
        "herbal_other": _(
            "%(name)s is a supplement that can change how other medicines or the sedation work. The "
            "clinic will tell you when to stop it."
        ),
        "sglt2": _("%(name)s is a diabetes medicine that must be stopped a few days before the procedure."),
        "glp1": _(
            "%(name)s is a diabetes or weight-loss medicine. The doctor will tell you what to do "
            "with it before the procedure."
        ),
        "metformin": _("%(name)s is a diabetes medicine. The doctor will tell you whether to take it."),
        "insulin": _("%(name)s is insulin. The doctor will give you a plan for the time you cannot eat."),
        "sulfonylurea": _(
            "%(name)s is a diabetes medicine. The doctor will give you a plan for the time you cannot eat."
        ),
    }.get(drug.drug_class)


def medicine_words(reading: Reading, *, stop: str = "", planned: bool = False) -> list[str]:
    """What we read a medicine as, in plain words, and what it means for the procedure.

    "We read this as apixaban. Eliquis (apixaban) is a blood thinner ..."; a probable match asks the
    patient to check the spelling; an unknown name says a doctor will look at it. A medicine that
    stops says what the patient is told (`stop`, from `stop_sentence`), or, when the patient gave a
    last-dose date (`planned`), that the clinic checks it: never "will tell you" next to a date.
    """
    name = reading.text.strip()
    if not name:
        return []
    if not reading.recognised:
        if reading.suggestion is not None:
            return [
                _("Did you mean %(drug)s? Please check the spelling; a doctor will look at it.")
                % {"drug": reading.suggestion.drug.name}
            ]
        return [_("We did not recognise this name. Please check the spelling; a doctor will look at it.")]
    words = []
    for match in reading.matches:
        if match.how == PROBABLE:
            words.append(
                _("We read this as %(drug)s. Please check the spelling.") % {"drug": match.drug.name}
            )
        else:
            words.append(_("We read this as %(drug)s.") % {"drug": match.drug.name})
        text = _class_words(match.drug)
        if match.drug.drug_class in HOLD_CLASSES and stop:
            words.append(stop)
            continue
        if match.drug.drug_class in HOLD_CLASSES and planned:
            text = _(
                "%(name)s must be stopped before the procedure. The clinic will check the date you gave."
            )
        if text is not None:
            words.append(text % {"name": drug_label(name, match.drug)})
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
    premedication_pending: bool = False  # needed, not yet prescribed: no times to show


def instructions_for(data: CaseData, config: RuleConfig, as_of: dt.datetime) -> Instructions:
    """The patient's times and medicine stops, worded in the active language."""
    ctx = rules.build_context(data, config, as_of)
    tz = config.time_zone
    holds = [stop_sentence(stop, tz) for stop in rules.medicine_stops(ctx)]
    advice = [
        _("%(name)s: the doctor will tell you what to do with it before the procedure.")
        % {"name": drug_label(m.medication.name, d)}
        for m, d in ctx.drugs_of_class("glp1", "metformin", "insulin")
    ]
    advice = list(dict.fromkeys(advice))
    # Times only once a clinician has prescribed it; until then "your care team will tell you".
    doses = rules.premedication_for(ctx)
    prescribed = "contrast_premedication_prescribed" in ctx.signoffs
    premedication = [
        _("%(drug)s at %(when)s") % {"drug": dose.drug_in(get_language()), "when": moment_words(dose.at, tz)}
        for dose in doses
        if dose.at is not None and prescribed
    ]
    timeline = ctx.timeline
    if timeline is None:
        return Instructions(scheduled=False, holds=holds, advice=advice, premedication_pending=bool(doses))
    return Instructions(
        scheduled=True,
        start=moment_words(timeline.start, tz),
        arrival=moment_words(timeline.arrival_at, tz),
        food_stop=moment_words(timeline.food_stop_at, tz),
        clear_liquids_stop=moment_words(timeline.clear_liquids_stop_at, tz),
        pickup=moment_words(timeline.pickup_at, tz),
        start_at=timeline.start,
        holds=holds,
        advice=advice,
        premedication=premedication,
        premedication_pending=bool(doses) and not prescribed,
    )


def stop_sentence(stop: rules.MedicineStop, tz: ZoneInfo) -> str:
    """One medicine line's stop instruction, or the plan to keep taking it."""
    label = stop.medication.name
    if len(stop.drugs) == 1:
        label = drug_label(label, stop.drugs[0])
    if stop.keep_taking:
        return _("%(name)s: keep taking it as usual. Your doctor has decided you should not stop it.") % {
            "name": label
        }
    if stop.awaiting_plan:
        return _(
            "%(name)s: keep taking it for now. The clinic will tell you the day of your last dose once "
            "the doctor has checked it."
        ) % {"name": label}
    if stop.last_dose_at is not None:
        return _("%(name)s: take your last dose no later than %(when)s.") % {
            "name": label,
            "when": moment_words(stop.last_dose_at, tz),
        }
    if stop.last_dose_on is not None:
        return _("%(name)s: take your last dose on %(day)s. Do not take it after that day.") % {
            "name": label,
            "day": day_words(stop.last_dose_on),
        }
    return _("%(name)s: the clinic will tell you when to stop it once your appointment is booked.") % {
        "name": label
    }
