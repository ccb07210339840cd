"""Reading stored readiness (models.Readiness): which rows are fresh, and their flags."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from django.db.models import Exists, F, OuterRef, Q, QuerySet

from checklists import rules
from checklists.catalog import RuleConfig
from checklists.models import Readiness


class StoredAnswer(NamedTuple):
    """What judges a stored answer and shows its flags, read as plain values (a list's rows)."""

    generation: int
    computed_generation: int | None
    rules_version: int | None
    time_zone: str
    valid_until: dt.datetime | None
    flags: list[dict]


def fresh(*, as_of: dt.datetime, config: RuleConfig, prefix: str = "") -> Q:
    """Rows computed at their case's current generation, with these rules and this clinic time
    zone, and not yet past the moment the date alone could change them. `prefix` names the
    relation from another model ("readiness__"). A config not read from the database (no
    version) trusts nothing."""
    if config.data_version is None:
        return Q(pk__in=[])
    return Q(
        **{
            f"{prefix}computed_generation": F(f"{prefix}generation"),
            f"{prefix}rules_version": config.data_version,
            f"{prefix}time_zone": config.time_zone.key,
        }
    ) & (Q(**{f"{prefix}valid_until__isnull": True}) | Q(**{f"{prefix}valid_until__gt": as_of}))


def without_fresh_answer(cases: QuerySet, *, as_of: dt.datetime, config: RuleConfig) -> QuerySet:
    """`cases` less those with a fresh stored answer: an anti-join probing each one's readiness
    row, so the cost follows the rows of `cases`, with no list of ids sent to the database."""
    answered = Readiness.objects.filter(fresh(as_of=as_of, config=config), case_id=OuterRef("pk"))
    return cases.exclude(Exists(answered))


def is_fresh(readiness: Readiness | StoredAnswer | None, *, as_of: dt.datetime, config: RuleConfig) -> bool:
    """`fresh`, for a row already read."""
    return (
        readiness is not None
        and config.data_version is not None
        and readiness.computed_generation == readiness.generation
        and readiness.rules_version == config.data_version
        and readiness.time_zone == config.time_zone.key
        and (readiness.valid_until is None or readiness.valid_until > as_of)
    )


def stored_flags(readiness: Readiness | StoredAnswer, *, as_of: dt.datetime) -> tuple[rules.Flag, ...]:
    """The stored flags as the engine's, `overdue` judged now (it is never stored)."""
    flags = []
    for flag in readiness.flags:
        due = dt.datetime.fromisoformat(flag["due"]) if flag["due"] else None
        flags.append(
            rules.Flag(
                code=flag["code"],
                severity=flag["severity"],
                owner=flag["owner"],
                due=due,
                overdue=due is not None and due < as_of,
                message=flag["message"],
                data=flag["data"],
            )
        )
    return tuple(flags)
