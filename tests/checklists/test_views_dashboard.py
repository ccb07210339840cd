"""The dashboard (upcoming cases, their readiness and filters) and the day schedule per room."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
import time_machine

from checklists import casedata as cd
from checklists.models import AccessLog, Case, Readiness
from checklists.services.cases import case_cancel
from checklists.services.imports import cases_import
from tests.factories import RoomFactory, StaffFactory, full_case, store_cases

# Expected clock times are written in UTC, the clinic zone of these tests.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("utc_clinic")]
UTC = dt.UTC
NOW = dt.datetime(2026, 3, 9, 12, 0, tzinfo=UTC)  # Monday; the clinic zone is UTC unless a test says so
TODAY = NOW.date()

# Whatever the number of cases, once their readiness is stored: session, user, groups (read once,
# at the first role check), 4 for the clinic's rule data (1 when a process kept it, never inside
# a test's transaction), per list a count, a page of ids (sorted on narrow rows) and the page's
# cases with patient, slot, room and readiness joined (6: no answer is computed, all are fresh),
# the access log row, the rooms (the filter's choices), the session save (3, in a savepoint), and
# 2 for two-factor sign-in (a coordinator without an app owes no code: her app, backup codes),
# and 1 for the "patient asked to talk" panel (settings.DASHBOARD_PANELS; empty, it shows nothing).
# The schedule: the same, but one list (the day's ids and the rows), and the rooms.
DASHBOARD_QUERIES = 21
SCHEDULE_QUERIES = 16


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory(username="dash.coordinator", role="coordinator"))
    return client


def at(days: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(TODAY + dt.timedelta(days=days), dt.time(hour, minute), tzinfo=UTC)


def ready_case(
    reference: str,
    start: dt.datetime | None,
    *,
    room: str = "IR Suite 1",
    first: str = "Ruth",
    last: str = "Ready",
    levels: tuple[str, ...] = ("L1",),
) -> cd.CaseData:
    """A case with nothing left to do (no flag at all) when `start` is given."""
    return cd.CaseData(
        reference=reference,
        patient=cd.PatientData(first, last, dt.date(1945, 5, 1), sex="male"),
        procedure=cd.ProcedureData(levels=levels),
        appointment=cd.AppointmentData(start=start, room=room) if start else None,
        intake=cd.IntakeData(
            submitted_at=NOW - dt.timedelta(days=1),
            medications_complete=True,
            no_known_allergies=True,
            fasting_acknowledged=True,
            can_lie_prone=True,
        ),
        driver=cd.DriverData("Sam", "+15551234567", confirmed_at=NOW - dt.timedelta(hours=1)),
        labs=(cd.LabData("inr", 1.0, TODAY), cd.LabData("platelets", 220, TODAY)),
    )


def store(*cases: cd.CaseData, config) -> None:
    cases_import(cases=list(cases), config=config)


def row(response, reference: str) -> str:
    """The HTML of the table row showing `reference` (fails if it is not on the page)."""
    match = re.search(rf'<tr[^>]*data-case="{re.escape(reference)}".*?</tr>', response.content.decode(), re.S)
    assert match, f"{reference} is not listed"
    return match.group(0)


def listed(response) -> list[str]:
    return re.findall(r'data-case="([^"]+)"', response.content.decode())


def section(response, heading_id: str) -> str:
    html = response.content.decode()
    start = html.index(f'id="{heading_id}"')
    return html[start : html.index("</section>", start)]


# --- Who may look ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/dashboard/", "/schedule/"])
def test_anonymous_visitors_are_sent_to_the_login_page_and_back(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next={url}"


@pytest.mark.parametrize("url", ["/dashboard/", "/schedule/"])
def test_a_user_in_no_staff_group_is_refused(client, django_user_model, url):
    client.force_login(django_user_model.objects.create_user("visitor"))

    assert client.get(url).status_code == 403


@pytest.mark.parametrize(("url", "action"), [("/dashboard/", "dashboard"), ("/schedule/", "schedule")])
def test_every_look_at_the_dashboard_or_schedule_is_logged(staff_client, url, action):
    staff_client.get(url)

    log = AccessLog.objects.get()
    assert (log.action, log.user.username, log.path) == (action, "dash.coordinator", url)


# --- Dashboard: what a row says -------------------------------------------------------------------


def test_an_upcoming_case_shows_its_readiness_counts_and_most_urgent_flag(staff_client, config):
    store(full_case("C-1", at(2, 9)), config=config)

    response = staff_client.get("/dashboard/")

    case = Case.objects.get(reference="C-1")
    html = row(response, "C-1")
    assert "Not ready" in html
    assert f'href="/cases/{case.uuid}/"' in html
    assert "Lee-C-1, Ann" in html
    assert "T12, L1" in html
    assert "09:00" in html and "IR Suite 1" in html
    # The blocker due first: without an eGFR apixaban stops after Saturday; six blockers, two warnings.
    assert 'data-flag-code="ANTICOAGULANT_HOLD_PLAN"' in html
    assert "<strong>Blood thinner: hold plan needed</strong>" in html  # in words; the code in small print
    assert "Clinician" in html and "due before Sat 7 Mar 2026 begins" in html
    assert re.findall(r'<td class="text-end">(\d+)</td>', html) == ["6", "2"]
    assert "Wednesday 11 March 2026" in response.content.decode()  # the day heading


def test_overdue_flags_are_marked_in_words(staff_client, config):
    store(full_case("C-1", at(2, 9)), config=config)

    html = row(staff_client.get("/dashboard/"), "C-1")

    assert "row-overdue" in html
    assert "Overdue" in html


def test_a_case_with_nothing_left_to_do_shows_ready_and_no_open_flag(staff_client, config):
    store(ready_case("R-1", at(1, 8)), config=config)

    html = row(staff_client.get("/dashboard/"), "R-1")

    assert "Ready" in html and "Not ready" not in html
    assert "None open" in html
    assert "Overdue" not in html


def test_the_page_offers_a_new_case_button(staff_client):
    assert 'href="/cases/new/"' in staff_client.get("/dashboard/").content.decode()


def test_cases_are_grouped_by_day_in_time_order(staff_client, config):
    store(
        ready_case("LATE", at(1, 14), last="Late"),
        ready_case("EARLY", at(1, 8), last="Early"),
        ready_case("NEXT", at(3, 8), last="Next"),
        config=config,
    )

    response = staff_client.get("/dashboard/")

    assert listed(response) == ["EARLY", "LATE", "NEXT"]
    html = response.content.decode()
    assert html.index("Tuesday 10 March 2026") < html.index("EARLY") < html.index("Thursday 12 March 2026")


def test_cancelled_cases_are_never_shown(staff_client, config):
    store(ready_case("GONE", at(1, 8)), ready_case("DRAFT-GONE", None), config=config)
    for case in Case.objects.all():
        case_cancel(case=case, version=case.version, config=config)

    assert listed(staff_client.get("/dashboard/")) == []
    assert listed(staff_client.get(f"/schedule/?date={TODAY + dt.timedelta(days=1)}")) == []


# --- Dashboard: filters ---------------------------------------------------------------------------


def test_the_default_range_is_today_and_the_next_fourteen_days(staff_client, config):
    store(
        ready_case("EARLIER-TODAY", at(0, 8)),
        ready_case("DAY-14", at(14, 17)),
        ready_case("DAY-15", at(15, 8)),
        ready_case("YESTERDAY", at(-1, 8)),
        config=config,
    )

    assert listed(staff_client.get("/dashboard/")) == ["EARLIER-TODAY", "DAY-14"]


def test_a_chosen_date_range_lists_only_its_days(staff_client, config):
    store(
        ready_case("D1", at(1, 8)), ready_case("D20", at(20, 8)), ready_case("D30", at(30, 8)), config=config
    )

    response = staff_client.get("/dashboard/", {"from_date": "2026-03-20", "to_date": "2026-03-29"})

    assert listed(response) == ["D20"]


def test_a_range_ending_before_it_starts_is_refused_and_the_default_shown(staff_client, config):
    store(ready_case("D1", at(1, 8)), config=config)

    response = staff_client.get("/dashboard/", {"from_date": "2026-03-20", "to_date": "2026-03-01"})

    assert response.status_code == 200
    assert "Choose a date on or after the From date." in response.content.decode()
    assert listed(response) == []  # 20 March plus the default fortnight


def test_not_ready_only_hides_ready_cases(staff_client, config):
    store(ready_case("READY", at(1, 8)), full_case("BLOCKED", at(2, 8)), config=config)

    assert listed(staff_client.get("/dashboard/")) == ["READY", "BLOCKED"]
    assert listed(staff_client.get("/dashboard/", {"not_ready": "on"})) == ["BLOCKED"]


@pytest.mark.parametrize(
    ("owner", "expected"),
    [("patient", ["NO-DRIVER"]), ("coordinator", ["UNCONFIRMED"]), ("clinician", ["PRONE"])],
)
def test_the_owner_filter_keeps_cases_with_an_open_flag_for_that_owner(staff_client, config, owner, expected):
    ready = ready_case("READY", at(1, 8))
    store(
        ready,
        dataclasses.replace(ready_case("NO-DRIVER", at(1, 10)), driver=None),
        dataclasses.replace(
            ready_case("UNCONFIRMED", at(1, 12)), driver=cd.DriverData("Sam", "+15551234567")
        ),
        dataclasses.replace(
            ready_case("PRONE", at(1, 14)), intake=dataclasses.replace(ready.intake, can_lie_prone=False)
        ),
        config=config,
    )

    assert listed(staff_client.get("/dashboard/", {"owner": owner})) == expected


def test_a_clinician_lands_on_their_own_items_and_can_still_see_everyone(client, clinician, config):
    ready = ready_case("READY", at(1, 8))
    store(
        ready,
        dataclasses.replace(
            ready_case("PRONE", at(1, 14)), intake=dataclasses.replace(ready.intake, can_lie_prone=False)
        ),
        config=config,
    )
    client.force_login(clinician)

    landing = client.get("/dashboard/")

    assert listed(landing) == ["PRONE"]
    assert landing.context["form"]["owner"].value() == "clinician"
    assert listed(client.get("/dashboard/", {"owner": ""})) == ["READY", "PRONE"]  # "Anyone"


def test_the_room_filter_keeps_that_rooms_cases(staff_client, config):
    store(ready_case("ONE", at(1, 8)), ready_case("TWO", at(1, 8), room="IR Suite 2"), config=config)

    assert listed(staff_client.get("/dashboard/", {"room": "IR Suite 2"})) == ["TWO"]


@pytest.mark.parametrize(
    ("search", "expected"),
    [("okaf", ["A-100"]), ("MARGARET", ["A-100"]), ("b-2", ["B-200"]), ("Okafor, Margaret", ["A-100"])],
)
def test_search_matches_patient_names_and_references(staff_client, config, search, expected):
    store(
        ready_case("A-100", at(1, 8), first="Margaret", last="Okafor"),
        ready_case("B-200", at(1, 10), first="Harold", last="Lindqvist"),
        config=config,
    )

    assert listed(staff_client.get("/dashboard/", {"q": search})) == expected


def test_unscheduled_cases_are_listed_apart_with_their_blockers(staff_client, config):
    store(ready_case("SLOTTED", at(1, 8)), ready_case("WAITING", None, last="Waiting"), config=config)

    response = staff_client.get("/dashboard/")

    waiting = section(response, "unscheduled-heading")
    assert 'data-case="WAITING"' in waiting and 'data-case="SLOTTED"' not in waiting
    assert "Not ready" in row(response, "WAITING")
    assert re.findall(r'<td class="text-end">(\d+)</td>', row(response, "WAITING")) == ["1", "0"]


def test_fifty_one_cases_make_two_pages_and_page_links_keep_the_filters(staff_client, config):
    store_cases(51, config, at(1, 0))

    first = staff_client.get("/dashboard/", {"not_ready": "on"})
    second = staff_client.get("/dashboard/", {"not_ready": "on", "page": "2"})

    assert len(listed(first)) == 50
    assert listed(second) == ["Q-050"]
    assert "Page 1 of 2" in first.content.decode()
    assert 'href="?not_ready=on&amp;page=2"' in first.content.decode()


@pytest.mark.parametrize("count", [1, 55])
def test_the_dashboard_costs_the_same_queries_for_one_case_or_fifty_five(
    staff_client, config, django_assert_num_queries, count
):
    store_cases(count, config, at(1, 8))
    store(ready_case("WAITING", None), config=config)
    staff_client.get("/dashboard/")  # evaluates each case once and stores its readiness

    with django_assert_num_queries(DASHBOARD_QUERIES):
        response = staff_client.get("/dashboard/")

    assert len(listed(response)) == min(count, 50) + 1


@pytest.mark.parametrize("count", [1, 55])
def test_a_not_ready_list_costs_the_same_queries_for_one_case_or_fifty_five(
    staff_client, config, django_assert_num_queries, count
):
    store_cases(count, config, at(1, 8))
    store(ready_case("WAITING", None), config=config)
    staff_client.get("/dashboard/?not_ready=on")

    # Per list, the cases without a fresh answer (none) are found by one query first.
    with django_assert_num_queries(DASHBOARD_QUERIES + 2):
        response = staff_client.get("/dashboard/?not_ready=on")

    assert len(listed(response)) == min(count, 50) + 1  # the unscheduled case has no slot yet


@pytest.mark.parametrize("count", [1, 55])
def test_after_a_change_the_dashboard_evaluates_only_the_case_that_changed(
    staff_client, config, django_assert_num_queries, count
):
    store_cases(count, config, at(1, 8))
    store(ready_case("WAITING", None), config=config)
    staff_client.get("/dashboard/")
    changed = Case.objects.get(reference="Q-000")
    changed.levels = ["L1", "L2"]
    changed.save()  # as any service or the admin would: its history row makes it stale

    # For the one stale case on the page: its stored row judged again, with its generation (1),
    # its rows as the engine reads them (5), its stored readiness (1), and the stored answer read
    # back (1). Its row exists: nothing is created.
    with django_assert_num_queries(DASHBOARD_QUERIES + 8):
        response = staff_client.get("/dashboard/")

    assert len(listed(response)) == min(count, 50) + 1


def test_the_dashboard_computes_the_answers_of_the_page_it_shows_not_of_the_whole_range(staff_client, config):
    store_cases(55, config, at(1, 8))
    store(ready_case("WAITING", None), config=config)

    staff_client.get("/dashboard/")

    # The first page's 50 slots and the one unscheduled case; the five on page two wait for it.
    assert Readiness.objects.filter(computed_generation__isnull=False).count() == 51
    assert "Q-054" in listed(staff_client.get("/dashboard/?page=2"))
    assert Readiness.objects.filter(computed_generation__isnull=False).count() == 56


def test_a_not_ready_list_computes_every_answer_in_its_range_so_its_count_is_exact(staff_client, config):
    store_cases(55, config, at(1, 8))
    store(ready_case("READY", at(2, 8), room="IR Suite 2"), config=config)

    response = staff_client.get("/dashboard/?not_ready=on")

    assert Readiness.objects.filter(computed_generation__isnull=False).count() == 56
    assert "56 cases" not in response.content.decode() and "55 cases" in response.content.decode()
    shown = listed(response) + listed(staff_client.get("/dashboard/?not_ready=on&page=2"))
    assert len(shown) == 55 and "READY" not in shown


# --- Day schedule ---------------------------------------------------------------------------------


def test_the_schedule_shows_each_rooms_cases_in_time_order_with_the_free_time_between(staff_client, config):
    store(
        ready_case("AFTERNOON", at(1, 14), last="Afternoon"),
        ready_case("MORNING", at(1, 10), last="Morning", levels=("T12", "L1")),
        ready_case("OTHER-ROOM", at(1, 9), room="IR Suite 2"),
        config=config,
    )

    response = staff_client.get("/schedule/", {"date": "2026-03-10"})

    html = response.content.decode()
    suite_1 = section(response, f"room-{Case.objects.get(reference='MORNING').appointment.room.pk}")
    assert re.findall(r'data-case="([^"]+)"', suite_1) == ["MORNING", "AFTERNOON"]
    free = re.findall(r"Free \d\d:\d\d–\d\d:\d\d", suite_1)
    assert free == ["Free 08:00–10:00", "Free 12:00–14:00", "Free 15:00–18:00"]
    assert "10:00–12:00" in row(response, "MORNING")
    assert "Ready" in row(response, "MORNING")
    assert html.index("IR Suite 1") < html.index("IR Suite 2")
    assert "Tuesday 10 March 2026" in html


def test_a_room_without_cases_is_free_all_day(staff_client, config):
    store(ready_case("X", at(5, 9)), config=config)

    assert "Free 08:00–18:00" in staff_client.get("/schedule/").content.decode()


def test_the_schedule_defaults_to_today_and_links_the_days_around_it(staff_client):
    html = staff_client.get("/schedule/").content.decode()

    assert "Monday 9 March 2026" in html
    assert 'href="/schedule/?date=2026-03-08"' in html
    assert 'href="/schedule/?date=2026-03-10"' in html


@pytest.mark.parametrize("value", ["tomorrow", "2026-02-30"])
def test_an_unreadable_date_shows_a_message_and_todays_schedule(staff_client, value):
    response = staff_client.get("/schedule/", {"date": value})

    html = response.content.decode()
    assert response.status_code == 200
    assert "That date could not be read (use YYYY-MM-DD); showing today." in html
    assert "Monday 9 March 2026" in html


@pytest.mark.parametrize("count", [1, 55])
def test_the_schedule_costs_the_same_queries_for_one_case_or_many(
    staff_client, config, django_assert_num_queries, count
):
    store_cases(count, config, at(1, 0))

    # The first look computes the day's answers, however many: which are fresh (1), their rows
    # made sure of (1), their generations (1), their rows as the engine reads them (5), the
    # answers stored (1) and read back (1).
    with django_assert_num_queries(SCHEDULE_QUERIES + 10):
        first = staff_client.get("/schedule/", {"date": "2026-03-10"})
    with django_assert_num_queries(SCHEDULE_QUERIES):
        response = staff_client.get("/schedule/", {"date": "2026-03-10"})

    assert len(listed(response)) == len(listed(first)) == min(count, 12)


# --- The clinic's time zone -----------------------------------------------------------------------


def test_days_and_free_time_follow_the_clinic_time_zone(staff_client, config, settings):
    settings.CLINIC_TIME_ZONE = settings.TIME_ZONE = "America/New_York"
    # 00:30 UTC on Wednesday is 20:30 on Tuesday evening in New York (EDT since 8 March).
    store(ready_case("EVENING", dt.datetime(2026, 3, 11, 0, 30, tzinfo=UTC)), config=config)

    dashboard = staff_client.get("/dashboard/", {"from_date": "2026-03-10", "to_date": "2026-03-10"})
    schedule = staff_client.get("/schedule/", {"date": "2026-03-10"})

    assert listed(dashboard) == ["EVENING"]
    assert "Tuesday 10 March 2026" in dashboard.content.decode()
    assert "20:30" in row(dashboard, "EVENING")
    assert "20:30–21:30" in row(schedule, "EVENING")
    assert "Free 08:00–18:00" in schedule.content.decode()


def test_cases_on_several_days_share_one_table_with_a_row_per_day(staff_client, config):
    store(ready_case("MON", at(1, 8)), ready_case("TUE", at(2, 8)), config=config)

    html = staff_client.get("/dashboard/").content.decode()
    upcoming = html[: html.index('id="unscheduled-heading"')]

    assert upcoming.count("<table") == 1 and upcoming.count("<thead>") == 1  # columns line up
    assert upcoming.count('class="day-row"') == 2


# --- Rows kept rendered (CaseRow.fragment_key) are never stale -------------------------------------


def test_a_listed_case_shows_each_change_on_the_next_look(staff_client, config):
    store(ready_case("K-1", at(1, 8)), config=config)
    before = row(staff_client.get("/dashboard/"), "K-1")
    assert "Ready, Ruth" in before and "Not ready" not in before

    changed = dataclasses.replace(ready_case("K-1", at(1, 8), last="Renamed"), driver=None)
    store(changed, config=config)
    after = staff_client.get("/dashboard/")
    schedule = staff_client.get(f"/schedule/?date={at(1, 8).date()}")

    for html in (row(after, "K-1"), row(schedule, "K-1")):
        assert "Renamed, Ruth" in html and "Ready, Ruth" not in html
        assert "Not ready" in html


def test_a_listed_case_turns_overdue_as_its_deadline_passes(staff_client, config):
    """Minutes apart, so the first look's row is still kept when the second asks for it."""
    store(full_case("K-2", at(9, 9)), config=config)
    staff_client.get("/dashboard/")
    due = min(dt.datetime.fromisoformat(flag["due"]) for flag in Readiness.objects.get().flags if flag["due"])
    url = f"/dashboard/?from_date={due.date()}&to_date={at(9, 9).date()}"
    user = StaffFactory(username="dash.later", role="coordinator")

    with time_machine.travel(due - dt.timedelta(minutes=1), tick=False):
        staff_client.force_login(user)  # another day's login
        assert "Overdue" not in row(staff_client.get(url), "K-2")
    with time_machine.travel(due + dt.timedelta(minutes=1), tick=False):
        html = row(staff_client.get(url), "K-2")

    assert "row-overdue" in html and "Overdue" in html


def test_the_filters_offer_a_room_added_since_they_were_last_shown(staff_client, config):
    store(ready_case("K-3", at(1, 8)), config=config)
    assert "IR Suite 9" not in staff_client.get("/dashboard/").content.decode()

    RoomFactory(name="IR Suite 9")
    html = staff_client.get("/dashboard/").content.decode()

    assert '<option value="IR Suite 9">IR Suite 9</option>' in html
