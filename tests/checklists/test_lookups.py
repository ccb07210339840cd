"""`__any_of` (checklists/lookups.py): what `__in` finds, sent as one array on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from checklists.models import Case, Medication
from tests.factories import store_cases

pytestmark = pytest.mark.django_db
START = dt.datetime(2026, 3, 9, 8, 0, tzinfo=dt.UTC)


def test_any_of_finds_what_in_finds(config):
    store_cases(4, config, START)
    first, _, third, _ = Case.objects.order_by("pk").values_list("pk", flat=True)
    asked = [third, first, 10**12, None, first]

    for model, field in ((Case, "pk"), (Medication, "case_id")):
        found = set(model.objects.filter(**{f"{field}__any_of": asked}).values_list("pk", flat=True))
        assert found == set(model.objects.filter(**{f"{field}__in": asked}).values_list("pk", flat=True))
        assert found
    assert not Case.objects.filter(pk__any_of=[]).exists()
    assert not Case.objects.filter(pk__any_of=[None]).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the array parameter is PostgreSQL's")
def test_on_postgresql_any_of_sends_the_values_as_one_array(config):
    store_cases(2, config, START)
    ids = [*Case.objects.values_list("pk", flat=True), *range(10**12, 10**12 + 498)]  # 500

    with CaptureQueriesContext(connection) as queries:
        found = list(Case.objects.filter(pk__any_of=ids).values_list("pk", flat=True))

    assert set(found) == set(Case.objects.values_list("pk", flat=True))
    sql = queries.captured_queries[0]["sql"]
    assert "= ANY(" in sql and " IN (" not in sql
