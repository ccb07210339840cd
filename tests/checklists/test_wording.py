"""Staff wording of dates and times: one module, used by flags, refusals and the case pages."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from checklists import wording

NEW_YORK = ZoneInfo("America/New_York")


def test_a_day_is_worded_with_english_names_whatever_the_process_locale():
    assert wording.day_text(dt.date(2026, 12, 1)) == "Tue 1 Dec 2026"
    assert wording.day_text(dt.date(2026, 12, 1), year=False) == "Tue 1 Dec"


def test_a_moment_is_shown_in_the_clinic_zone():
    moment = dt.datetime(2026, 12, 1, 14, 0, tzinfo=dt.UTC)
    assert wording.moment_text(moment, NEW_YORK) == "Tue 1 Dec 2026 09:00"
    assert wording.clock_text(moment, NEW_YORK) == "09:00"


def test_midnight_is_never_a_bare_00_00():
    midnight = dt.datetime(2026, 12, 1, 0, 0, tzinfo=NEW_YORK)
    assert wording.moment_text(midnight, NEW_YORK) == "midnight between Mon 30 Nov and Tue 1 Dec 2026"
    assert wording.due_text(midnight, NEW_YORK) == "before Tue 1 Dec 2026 begins"
    assert wording.due_text(midnight, NEW_YORK, year=False) == "before Tue 1 Dec begins"


def test_a_booked_slot_names_its_day_start_and_end():
    start = dt.datetime(2026, 12, 1, 9, 0, tzinfo=NEW_YORK)
    assert wording.slot_text(start, start + dt.timedelta(hours=2), NEW_YORK) == "Tue 01 Dec 2026 09:00–11:00"
