"""The readiness engine end to end on the bench database: cases per second loading them (model
instances through `case_to_data`, what the lists did before stored readiness, and rows through
`cases_data`, what `refresh_readiness` and the export use) and evaluating, the engine alone on
loaded data, and a `refresh_readiness` of every active case. Run by hand after `bench/seed.py N`:

    .venv/bin/python bench/engine.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prepdesk_bench .venv/bin/python bench/engine.py

Goal (issue 12): at least 5,000 cases/s end to end.
"""

from __future__ import annotations

import datetime as dt
import time

import benchkit

benchkit.django_setup()

from checklists import rules  # noqa: E402
from checklists.models import Case, Readiness  # noqa: E402
from checklists.selectors.cases import case_queryset, case_to_data, cases_data  # noqa: E402
from checklists.selectors.catalogue import load_rule_config  # noqa: E402
from checklists.services.readiness import readiness_refresh  # noqa: E402

CHUNK = 500


def main() -> None:
    config = load_rule_config()
    now = dt.datetime.now(dt.UTC)
    active = Case.objects.filter(status__in=[Case.Status.DRAFT, Case.Status.SCHEDULED]).order_by("pk")
    ids = list(active.values_list("pk", flat=True))

    started = time.perf_counter()
    data = {}
    for i in range(0, len(ids), CHUNK):
        data |= {case.pk: case_to_data(case) for case in case_queryset().filter(pk__in=ids[i : i + CHUNK])}
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    rows = cases_data(ids)
    read = time.perf_counter() - started
    assert rows == data, "cases_data and case_to_data disagree"
    started = time.perf_counter()
    for case in data.values():
        rules.evaluate(case, config, now)
    evaluated = time.perf_counter() - started

    Readiness.objects.filter(case_id__in=ids).update(computed_generation=None)  # all stale
    started = time.perf_counter()
    computed, _ = readiness_refresh(as_of=now, config=config)
    refreshed = time.perf_counter() - started

    n = len(ids)
    print(f"{benchkit.database_label()}: {n} active cases")
    print(f"  load (ORM -> CaseData)   {loaded:7.2f} s  {n / loaded:8.0f} cases/s")
    print(f"  load (rows -> CaseData)  {read:7.2f} s  {n / read:8.0f} cases/s")
    print(f"  evaluate (engine alone)  {evaluated:7.2f} s  {n / evaluated:8.0f} cases/s")
    print(f"  end to end, ORM          {loaded + evaluated:7.2f} s  {n / (loaded + evaluated):8.0f} cases/s")
    print(f"  end to end, rows         {read + evaluated:7.2f} s  {n / (read + evaluated):8.0f} cases/s")
    print(f"  refresh_readiness        {refreshed:7.2f} s  {computed / refreshed:8.0f} cases/s stored")


if __name__ == "__main__":
    main()
