"""The reads behind the FHIR exports: cases as engine data with their uuids and open flags."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence

from django.db.models import QuerySet

from checklists import rules
from checklists.catalog import RuleConfig
from checklists.models import Case
from checklists.selectors.cases import cases_data_iter
from fhir_r4.export import case_bundle

CHUNK_SIZE = 500  # cases read (with their lines) per round of queries


def bundles(
    cases: QuerySet[Case], *, config: RuleConfig, now: dt.datetime, chunk_size: int = CHUNK_SIZE
) -> Iterator[dict]:
    """One Bundle per case, in the queryset's order, flags judged at `now`: the case rows in one
    streamed query, their uuids in one, then four queries per `chunk_size` cases."""
    uuids = dict(cases.values_list("reference", "uuid"))
    for case in cases_data_iter(cases, chunk_size=chunk_size):
        flags = rules.evaluate(case, config, now)
        yield case_bundle(case, flags, case_uuid=str(uuids[case.reference]), config=config)


def cases_by_uuid(uuids: Sequence[str]) -> QuerySet[Case]:
    return Case.objects.filter(uuid__in=uuids).order_by("reference")
