"""The reminder sweep's case query and one whole sweep on the bench database. Run by hand after
`bench/seed.py N`:

    .venv/bin/python bench/sweep.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prepdesk_bench .venv/bin/python bench/sweep.py

Goal (issue 12): the case query flat in N, under 10 ms at 100k cases. The whole sweep writes
outbox rows (console email backend): run it on a bench database only.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import time

import benchkit

benchkit.django_setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from notifications import selectors  # noqa: E402
from notifications.sweep import notifications_sweep  # noqa: E402

RUNS = 20


def explained_ms(sql: str) -> float:
    """What EXPLAIN ANALYZE (without per-node timing, which costs more than the nodes) says the
    statement took (planning and execution), in ms; on SQLite, the statement's wall time."""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            started = time.perf_counter()
            cursor.execute(sql)
            cursor.fetchall()
            return (time.perf_counter() - started) * 1000
        cursor.execute(f"EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) {sql}")
        (plan,) = cursor.fetchone()
        plan = json.loads(plan) if isinstance(plan, str) else plan
        return plan[0]["Planning Time"] + plan[0]["Execution Time"]


def main() -> None:
    now = dt.datetime.now(dt.UTC)
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        cases = selectors.sweep_cases(
            now=now, until=now + dt.timedelta(days=8), submitted_since=now - dt.timedelta(hours=2)
        )
        timings.append((time.perf_counter() - started) * 1000)
    # The case query alone (the first statement: which cases, with patient, slot, intake, driver
    # joined), as the database times it, apart from the engine's four list queries and Python.
    with CaptureQueriesContext(connection) as selected:
        selectors.sweep_cases(
            now=now, until=now + dt.timedelta(days=8), submitted_since=now - dt.timedelta(hours=2)
        )
    case_query = [explained_ms(selected.captured_queries[0]["sql"]) for _ in range(RUNS)]
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        report = notifications_sweep(now=now)
        whole = time.perf_counter() - started
    print(f"{benchkit.database_label()}: sweep case query, {len(cases)} cases due in 8 days")
    median, most = statistics.median(case_query), max(case_query)
    print(f"  case query (database)     p50 {median:7.1f} ms  max {most:7.1f} ms")
    print(f"  case query + engine rows  p50 {statistics.median(timings):7.1f} ms  max {max(timings):7.1f} ms")
    print(f"  one whole sweep           {whole * 1000:7.0f} ms, {len(queries)} queries: {report}")


if __name__ == "__main__":
    main()
