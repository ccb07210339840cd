"""The dashboard's, day view's and sweep's case queries cost what the page or the sweep needs, not
what the table holds: on PostgreSQL with 10,000 cases, every query they make can read cases,
appointments, patients and intakes through an index, so their cost follows the rows shown.

Each captured query is run again under EXPLAIN ANALYZE planned as index lookups (sequential
scans, hash and merge joins discouraged), and the rows its scans read from each big table are
counted: a query no index can narrow ("in range OR unscheduled" across a join, as before) still
reads all 10,000.
Left to itself at 10,000 rows PostgreSQL may hash-join a few hundred rows instead (cheaper on a
table that small); bench/RESULTS.md has the timings as the table grows."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from checklists.models import Appointment, Case, Intake, Patient, Room
from checklists.selectors.dashboard import DashboardFilters, case_rows, dashboard_cases, room_days
from notifications import selectors as sweep_selectors

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans are PostgreSQL's"),
]
CASES = 10_000
BIG_TABLES = ("checklists_case", "checklists_appointment", "checklists_patient", "checklists_intake")
FIRST = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)
PLAN_ONLY_BY_INDEX = ("enable_seqscan", "enable_hashjoin", "enable_mergejoin")
READ_LIMIT = 500  # rows from any one big table, for pages of ~70 cases: 5 % of it


@pytest.fixture
def ten_thousand_cases(config):
    """10,000 cases: 98 in 100 booked, three hours apart per room, from January 2026; the rest
    drafts without a slot; half have a submitted intake."""
    rooms = [Room.objects.get_or_create(name=f"Suite {n}")[0] for n in range(3)]
    patients = Patient.objects.bulk_create(
        Patient(first_name="Ann", last_name=f"Lee {i}", date_of_birth=dt.date(1950, 1, 1))
        for i in range(CASES)
    )
    cases = Case.objects.bulk_create(
        Case(
            reference=f"B-{i:05d}",
            patient=patient,
            levels=["L1"],
            status=Case.Status.DRAFT if i % 1000 == 0 else Case.Status.SCHEDULED,
        )
        for i, patient in enumerate(patients)
    )
    Appointment.objects.bulk_create(
        Appointment(
            case=case,
            room=rooms[i % 3],
            start=FIRST + dt.timedelta(hours=8 * (i // 3)),
            end=FIRST + dt.timedelta(hours=8 * (i // 3) + 2),
        )
        for i, case in enumerate(cases)
        if i % 1000
    )
    Intake.objects.bulk_create(
        Intake(case=case, submitted_at=FIRST + dt.timedelta(hours=8 * (i // 3)) - dt.timedelta(days=3))
        for i, case in enumerate(cases)
        if i % 2
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def booked(start: dt.datetime, *, days: int) -> int:
    end = start + dt.timedelta(days=days)
    return Appointment.objects.filter(start__gte=start, start__lt=end).count()


def submitted(start: dt.datetime, end: dt.datetime) -> int:
    """Intakes submitted in [start, end] of cases not booked in the sweep's window (counted apart)."""
    return Intake.objects.filter(
        submitted_at__range=(start, end), case__appointment__start__gt=end + dt.timedelta(days=8)
    ).count()


def rows_read(plan: dict) -> dict[str, int]:
    """Rows each big table's scans read in an EXPLAIN ANALYZE plan (kept or filtered away)."""
    read: dict[str, int] = {}
    table = plan.get("Relation Name")
    if table in BIG_TABLES:
        rows = plan["Actual Rows"] + plan.get("Rows Removed by Filter", 0)
        read[table] = rows * plan.get("Actual Loops", 1)
    for child in plan.get("Plans", ()):
        for name, rows in rows_read(child).items():
            read[name] = read.get(name, 0) + rows
    return read


def most_rows_read(queries: list[dict]) -> int:
    """The most rows any one query read from one big table, planned as index lookups joined row
    by row (sequential scans, hash and merge joins discouraged): a query no index can narrow still
    reads the whole table, so this counts the rows the query needs, not the planner's choice for a
    table this small."""
    most = 0
    with connection.cursor() as cursor:
        for setting in PLAN_ONLY_BY_INDEX:
            cursor.execute(f"SET {setting} = off")
        for query in queries:
            if query["sql"].lstrip("( ").upper().startswith("SELECT"):
                cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {query['sql']}")
                (explained,) = cursor.fetchone()
                explained = json.loads(explained) if isinstance(explained, str) else explained
                most = max(most, *rows_read(explained[0]["Plan"]).values(), 0)
        for setting in PLAN_ONLY_BY_INDEX:
            cursor.execute(f"RESET {setting}")
    return most


def test_the_dashboard_reads_a_week_of_cases_through_indexes(ten_thousand_cases, config):
    week = DashboardFilters(from_date=dt.date(2026, 6, 1), to_date=dt.date(2026, 6, 7))

    with CaptureQueriesContext(connection) as captured:
        lists = dashboard_cases(filters=week, as_of=FIRST, config=config)
        upcoming, unscheduled = (case_rows(cases, as_of=FIRST, config=config) for cases in lists)

    assert len(upcoming) == booked(dt.datetime(2026, 6, 1, tzinfo=dt.UTC), days=7) > 60
    assert len(unscheduled) == CASES // 1000
    assert most_rows_read(captured.captured_queries) <= READ_LIMIT


def test_the_day_view_reads_one_day_through_indexes(ten_thousand_cases, config):
    with CaptureQueriesContext(connection) as captured:
        days = room_days(day=dt.date(2026, 6, 3), as_of=FIRST, config=config)

    assert sum(day.case_count for day in days) == booked(dt.datetime(2026, 6, 3, tzinfo=dt.UTC), days=1) > 8
    assert most_rows_read(captured.captured_queries) <= READ_LIMIT


def test_the_sweep_reads_only_the_cases_with_something_due(ten_thousand_cases):
    now = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)

    with CaptureQueriesContext(connection) as captured:
        cases = sweep_selectors.sweep_cases(
            now=now, until=now + dt.timedelta(days=8), submitted_since=now - dt.timedelta(hours=2)
        )

    assert len(cases) == booked(now, days=8) + submitted(now - dt.timedelta(hours=2), now) > 60
    assert most_rows_read(captured.captured_queries) <= READ_LIMIT
