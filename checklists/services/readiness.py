"""Stored readiness (models.Readiness): made stale by every change to a case's inputs, computed again
where a list needs it, and never trusted when it may be stale.

The protocol that keeps a stale answer from being trusted, without locks:
- a change to a case's inputs bumps its row's `generation` in the change's own transaction
  (checklists/apps.py, on every history row: admin, services, shell);
- a computation first makes sure the row exists (its own statement, committed before anything
  is read when run outside a transaction, as requests and commands are), reads the generation,
  then reads the case and evaluates it, and stores the answer marked `computed_generation = <the
  one read>` (and only `WHERE generation = <the one read>`): after a change in between, the
  generation is ahead of the mark, and the row stays stale for the next reader. Answers are
  stored 500 at a time in one statement, which leaves alone a row another transaction holds
  locked (PostgreSQL): it too stays stale, unless that transaction was storing it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import F

from checklists import casedata as cd
from checklists import rules
from checklists.catalog import RuleConfig
from checklists.models import Case, Readiness
from checklists.selectors.cases import CHUNK_SIZE, cases_data
from checklists.selectors.readiness import StoredAnswer, is_fresh


def readiness_inputs_changed(case_ids: Iterable[int]) -> None:
    """Whatever is stored for these cases is stale from this transaction's commit on."""
    Readiness.objects.filter(case_id__any_of=list(case_ids)).update(generation=F("generation") + 1)


def readiness_make_fresh(case_ids: Iterable[int], *, as_of: dt.datetime, config: RuleConfig) -> int:
    """Compute and store the readiness of those of `case_ids` whose stored answer is not fresh;
    how many were computed. One query when all are fresh; else 6 per `CHUNK_SIZE` cases computed
    (5 reading them as the engine does, 1 storing their answers), and 2 more when some have no
    row yet (creating the rows, then reading their generation)."""
    case_ids = list(case_ids)
    judged = ("generation", "computed_generation", "rules_version", "time_zone", "valid_until")
    rows = Readiness.objects.filter(case_id__any_of=case_ids).values_list("case_id", *judged)
    stored = {pk: StoredAnswer(*answer, flags=[]) for pk, *answer in rows}
    stale = {
        pk: answer.generation
        for pk, answer in stored.items()
        if not is_fresh(answer, as_of=as_of, config=config)
    }
    missing = [pk for pk in case_ids if pk not in stored]
    if missing:  # the rows first, then their generation (the protocol above)
        Readiness.objects.bulk_create((Readiness(case_id=pk) for pk in missing), ignore_conflicts=True)
        stale.update(Readiness.objects.filter(case_id__any_of=missing).values_list("case_id", "generation"))
    ids = list(stale)
    for i in range(0, len(ids), CHUNK_SIZE):
        answers = {}
        for pk, data in cases_data(ids[i : i + CHUNK_SIZE]).items():
            flags = rules.evaluate(data, config, as_of)
            answers[pk] = (
                stale[pk],
                {
                    "computed_generation": stale[pk],
                    "computed_at": as_of,
                    **stored_fields(data, flags, as_of, config),
                },
            )
        _readiness_store(answers)
    return len(stale)


def _readiness_store(answers: dict[int, tuple[int, dict]]) -> None:
    """Write each case's columns (`{case_id: (generation read, columns)}`, the columns of
    `stored_fields`) in one statement, each row only `WHERE generation = <the one read>`: an UPDATE
    from the answers as a table `v`, one commit for the lot instead of one per case.

    On PostgreSQL a row another transaction holds locked is skipped, not waited for: it is being
    changed (so it stays stale, which is safe) or stored by another computation, and waiting while
    holding the rows already written could deadlock with a multi-case change (an import).
    """
    if not answers:
        return
    q = connection.ops.quote_name
    table = q(Readiness._meta.db_table)
    fields = [Readiness._meta.get_field(name) for name in next(iter(answers.values()))[1]]
    if connection.vendor == "postgresql":
        header, source, params = _answers_by_column(answers, fields)
        unlocked = (
            f" AND {table}.case_id IN (SELECT case_id FROM {table} WHERE case_id IN (SELECT case_id FROM v)"
            " FOR UPDATE SKIP LOCKED)"
        )
    else:
        header, source, params = _answers_by_row(answers, fields)
        unlocked = ""
    sets = ", ".join(f"{q(f.column)} = v.{q(f.column)}" for f in fields)
    sql = (
        f"WITH v ({header}) AS ({source}) UPDATE {table} SET {sets}"
        f" FROM v WHERE {table}.case_id = v.case_id AND {table}.generation = v.generation_read{unlocked}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _answers_by_column(answers: dict[int, tuple[int, dict]], fields: list) -> tuple[str, str, list]:
    """PostgreSQL: one array per column (`unnest`), and the flags as one JSON document picked
    apart by row number: quoting hundreds of JSON texts into an array cost more than the UPDATE.
    The other columns are numbers, flags, texts and aware datetimes, as psycopg sends them (each
    array is cast to its column's type), so Django's per-value preparation is skipped."""
    q = connection.ops.quote_name
    scalar = [f for f in fields if f.name != "flags"]
    kinds = ("bigint", "bigint", *(f.db_type(connection) for f in scalar))
    arrays = ", ".join(f"CAST(%s AS {kind}[])" for kind in kinds)
    rows = [
        (pk, generation, *(values[f.name] for f in scalar)) for pk, (generation, values) in answers.items()
    ]
    names = ", ".join(q(f.column) for f in scalar)
    flags = json.dumps([values["flags"] for _, values in answers.values()])
    source = (
        f"SELECT u.*, CAST(%s AS jsonb) -> CAST(u.n - 1 AS integer)"
        f" FROM unnest({arrays}) WITH ORDINALITY AS u(case_id, generation_read, {names}, n)"
    )
    return (
        f"case_id, generation_read, {names}, n, {q('flags')}",
        source,
        [flags, *map(list, zip(*rows, strict=True))],
    )


def _answers_by_row(answers: dict[int, tuple[int, dict]], fields: list) -> tuple[str, str, list]:
    """SQLite (from 3.33): a VALUES list, a row per case."""
    q = connection.ops.quote_name
    one = f"({', '.join(['%s'] * (len(fields) + 2))})"
    params = [
        param
        for pk, (generation, values) in answers.items()
        for param in (pk, generation, *(f.get_db_prep_save(values[f.name], connection) for f in fields))
    ]
    names = ", ".join(q(f.column) for f in fields)
    return f"case_id, generation_read, {names}", f"VALUES {', '.join([one] * len(answers))}", params


def stored_fields(
    data: cd.CaseData, flags: tuple[rules.Flag, ...], as_of: dt.datetime, config: RuleConfig
) -> dict:
    """The columns of a Readiness row for `flags`, the engine's answer for `data` at `as_of`."""
    top = flags[0] if flags else None
    blockers = sum(flag.severity == rules.BLOCKER for flag in flags)
    return {
        "rules_version": config.data_version,
        "time_zone": config.time_zone.key,
        "valid_until": valid_until(data, as_of, config),
        "ready": rules.is_ready(flags),
        "blockers": blockers,
        "warnings": len(flags) - blockers,
        "open_patient": any(flag.owner == rules.PATIENT for flag in flags),
        "open_coordinator": any(flag.owner == rules.COORDINATOR for flag in flags),
        "open_clinician": any(flag.owner == rules.CLINICIAN for flag in flags),
        "top_code": top.code if top else "",
        "top_owner": top.owner if top else "",
        "top_due": top.due if top else None,
        "flags": [flag.as_json(config.time_zone) for flag in flags],
    }


def valid_until(data: cd.CaseData, as_of: dt.datetime, config: RuleConfig) -> dt.datetime | None:
    """The first moment the date alone could change the answer: midnight for an unscheduled case
    (its labs and age are judged on today), or when something recorded for later takes effect
    (the engine ignores an intake, sign-off, driver confirmation or lab dated after `as_of`)."""
    tz = config.time_zone
    today = as_of.astimezone(tz).date()
    moments = [at for at in _recorded_moments(data, tz) if at > as_of]
    if rules.timeline_for(data, config) is None:
        moments.append(dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0), tzinfo=tz))
    return min(moments, default=None)


def _recorded_moments(data: cd.CaseData, tz: dt.tzinfo) -> Iterable[dt.datetime]:
    if data.intake is not None:
        yield data.intake.submitted_at
    if data.driver is not None and data.driver.confirmed_at is not None:
        yield data.driver.confirmed_at
    yield from (signoff.at for signoff in data.signoffs)
    yield from (dt.datetime.combine(lab.taken_on, dt.time(0), tzinfo=tz) for lab in data.labs)


@dataclass
class DriftReport:
    """`readiness_check`: how many stored answers are fresh, stale, and fresh but wrong."""

    checked: int = 0
    fresh: int = 0
    stale: int = 0
    drifted: list[str] = field(default_factory=list)  # case references

    def __str__(self) -> str:
        return (
            f"checked {self.checked} case(s): {self.fresh} stored answer(s) fresh, {self.stale} stale "
            f"(computed again when next listed), {len(self.drifted)} drifted"
        )


ACTIVE = (Case.Status.DRAFT, Case.Status.SCHEDULED)


def readiness_check(*, as_of: dt.datetime, config: RuleConfig) -> DriftReport:
    """Evaluate every active case live and compare each fresh stored answer with it (every
    column but `valid_until`; `overdue` is never stored). Writes nothing."""
    report = DriftReport()
    ids = list(Case.objects.filter(status__in=ACTIVE).order_by("pk").values_list("pk", flat=True))
    for i in range(0, len(ids), CHUNK_SIZE):
        chunk = ids[i : i + CHUNK_SIZE]
        rows = Readiness.objects.in_bulk(chunk)
        fresh_ids = [pk for pk in chunk if is_fresh(rows.get(pk), as_of=as_of, config=config)]
        report.checked += len(chunk)
        report.fresh += len(fresh_ids)
        report.stale += len(chunk) - len(fresh_ids)
        cases = cases_data(fresh_ids)
        for data, row in ((cases[pk], rows[pk]) for pk in fresh_ids if pk in cases):
            expected = stored_fields(data, rules.evaluate(data, config, as_of), as_of, config)
            stored = {name: getattr(row, name) for name in expected}
            if _comparable(stored) != _comparable(expected):
                report.drifted.append(data.reference)
    return report


def readiness_refresh(*, as_of: dt.datetime, config: RuleConfig) -> tuple[int, int]:
    """Make every active case's stored answer fresh (after a rule or catalogue change, or to
    warm a new database); (computed, active cases)."""
    ids = list(Case.objects.filter(status__in=ACTIVE).order_by("pk").values_list("pk", flat=True))
    computed = sum(
        readiness_make_fresh(ids[i : i + CHUNK_SIZE], as_of=as_of, config=config)
        for i in range(0, len(ids), CHUNK_SIZE)
    )
    return computed, len(ids)


def _comparable(fields: dict) -> dict:
    flags = [{k: v for k, v in flag.items() if k != "overdue"} for flag in fields["flags"]]
    return {k: v for k, v in fields.items() if k != "valid_until"} | {"flags": flags}
