"""How the readiness engine and the dashboard scale with the number of cases. Run by hand:

    .venv/bin/python bench/evaluate_scaling.py            # SQLite in a temp file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prepdesk_bench .venv/bin/python bench/evaluate_scaling.py

Prints time per case and ratios; the goal is roughly linear time with a constant query count.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SQLITE_PATH", str(Path(tempfile.mkdtemp()) / "bench.sqlite3"))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from checklists.models import Case  # noqa: E402
from checklists.selectors.cases import case_queryset, cases_evaluate  # noqa: E402
from checklists.selectors.catalogue import load_rule_config  # noqa: E402
from checklists.services.imports import cases_import  # noqa: E402
from tests.factories import full_case  # noqa: E402

SIZES = (10, 100, 400)


def best_of(fn, repeat: int = 3) -> float:
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        timings.append(time.perf_counter() - start)
    return min(timings)


def main() -> None:
    call_command("migrate", verbosity=0)
    config = load_rule_config()
    from django.contrib.auth.models import Group, User

    user, _ = User.objects.get_or_create(username="bench")
    user.groups.add(Group.objects.get_or_create(name="coordinator")[0])
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    now = dt.datetime.now(dt.UTC)
    first = (now + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    made = 0
    baseline = None
    print(f"database: {connection.vendor}")
    print(f"{'cases':>6} {'evaluate ms/case':>17} {'queries':>8} {'dashboard ms':>13} {'ratio/case':>11}")
    for size in SIZES:
        # Six two-level cases a day, back to back in one room, over the next days.
        new = [
            full_case(f"B-{i:05d}", first + dt.timedelta(days=i // 6, hours=6 + 2 * (i % 6)))
            for i in range(made, size)
        ]
        cases_import(cases=new, config=config)
        made = size
        assert Case.objects.count() == size
        reset_queries()  # DEBUG's query log is capped; start the count from empty
        with CaptureQueriesContext(connection) as queries:
            cases_evaluate(case_queryset(), as_of=now)
        query_count = len(queries)
        evaluate = best_of(lambda: cases_evaluate(case_queryset(), as_of=now))
        to = (first + dt.timedelta(days=size // 6 + 1)).date().isoformat()
        dashboard = best_of(lambda to=to: client.get("/dashboard/", {"to": to}))
        per_case = evaluate / size * 1000
        baseline = baseline or per_case
        ratio = per_case / baseline
        print(f"{size:>6} {per_case:>17.2f} {query_count:>8} {dashboard * 1000:>13.0f} {ratio:>11.2f}")


if __name__ == "__main__":
    main()
