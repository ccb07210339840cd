"""Staff wording of dates and times: one module, used by flags, refusals and the case pages."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from django.utils.formats import date_format, time_format

from checklists import wording
from checklists.wording.patient import day_words

NEW_YORK = ZoneInfo("America/New_York")
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


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
    assert wording.slot_text(start, start + dt.timedelta(hours=2), NEW_YORK) == "Tue 1 Dec 2026 09:00–11:00"


# --- One style: templates, Python and messages say a date the same way -------------------------


@pytest.mark.parametrize(
    "moment",
    [dt.datetime(2026, 12, 1, 14, 5, tzinfo=dt.UTC), dt.datetime(2027, 3, 14, 22, 45, tzinfo=dt.UTC)],
)
def test_the_templates_named_formats_write_what_the_staff_wording_writes(moment):
    local = moment.astimezone(NEW_YORK)
    with translation.override("en"):
        assert date_format(local, "SHORT_DATETIME_FORMAT") == wording.moment_text(moment, NEW_YORK)
        assert date_format(local.date(), "SHORT_DATE_FORMAT") == wording.day_text(local.date())
        assert time_format(local, "TIME_FORMAT") == wording.clock_text(moment, NEW_YORK)


def test_a_patient_reads_the_day_written_out_in_their_language():
    day = dt.date(2026, 12, 1)
    with translation.override("en"):
        assert day_words(day) == "Tuesday 1 December"
        assert date_format(day, "DATE_FORMAT") == "Tuesday 1 December 2026"
    with translation.override("es"):
        assert day_words(day) == "martes 1 de diciembre"
        assert date_format(day, "DATE_FORMAT") == "martes 1 de diciembre de 2026"


def test_every_template_writes_dates_with_one_of_the_clinics_named_formats():
    named = {"SHORT_DATE_FORMAT", "SHORT_DATETIME_FORMAT", "TIME_FORMAT", "DATE_FORMAT", "MONTH_DAY_FORMAT"}
    weekday_alone = {"l"}  # "del martes" inside a sentence
    found = {
        (path.relative_to(TEMPLATES).as_posix(), fmt)
        for path in TEMPLATES.rglob("*.*")
        for fmt in re.findall(r"\|(?:date|time):\"([^\"]*)\"", path.read_text(encoding="utf-8"))
    }
    assert found and not {(path, fmt) for path, fmt in found if fmt not in named | weekday_alone}
    assert not [path for path in TEMPLATES.rglob("*.*") if re.search(r"\|date\s*}}", path.read_text("utf-8"))]
