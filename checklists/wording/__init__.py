"""How PrepDesk words dates and times for staff: flags, case pages, refusals, calendar files.

Pure (no Django, so the readiness engine can use it) and in English with fixed day and month
names (strftime's %a/%b follow the process locale). Times are shown in the zone given, which is
the clinic's. The patient's words, in the patient's language, are `checklists.wording.patient`.
"""

from __future__ import annotations

import datetime as dt
import functools

# The staff style in Django's date-format syntax, for templates: clinic/formats/<language>/formats.py
# names them SHORT_DATE_FORMAT, SHORT_DATETIME_FORMAT and TIME_FORMAT, and a test holds the
# functions below to the same output.
DAY_FORMAT = "D j M Y"
MOMENT_FORMAT = "D j M Y H:i"
CLOCK_FORMAT = "H:i"
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day_text(day: dt.date, *, year: bool = True) -> str:
    """'Tue 1 Dec 2026' (or 'Tue 1 Dec')."""
    text = f"{DAY_NAMES[day.weekday()]} {day.day} {MONTH_NAMES[day.month - 1]}"
    return f"{text} {day.year}" if year else text


def clock_text(moment: dt.datetime, tz: dt.tzinfo) -> str:
    """'09:00' in `tz`."""
    return f"{moment.astimezone(tz):%H:%M}"


def moment_text(moment: dt.datetime, tz: dt.tzinfo, *, year: bool = True) -> str:
    """'Mon 30 Nov 2026 09:00'; midnight as 'midnight between Mon 30 Nov and Tue 1 Dec 2026'."""
    local = moment.astimezone(tz)
    if local.time() == dt.time(0):
        before = local.date() - dt.timedelta(days=1)
        return f"midnight between {day_text(before, year=False)} and {day_text(local.date(), year=year)}"
    return f"{day_text(local.date(), year=year)} {local:%H:%M}"


@functools.lru_cache(maxsize=4096)  # the engine words each flag's deadline; cases share them
def due_text(due: dt.datetime, tz: dt.tzinfo, *, year: bool = True) -> str:
    """'Mon 30 Nov 2026 09:00', and a midnight deadline as 'before Tue 1 Dec 2026 begins' (never 00:00)."""
    local = due.astimezone(tz)
    if local.time() == dt.time(0):
        return f"before {day_text(local.date(), year=year)} begins"
    return f"{day_text(local.date(), year=year)} {local:%H:%M}"


def stamp_text(moment: dt.datetime, tz: dt.tzinfo) -> str:
    """'Tue 1 Dec 2026 09:00': when something was saved or booked (refusals name it), midnight as 00:00."""
    local = moment.astimezone(tz)
    return f"{day_text(local.date())} {local:%H:%M}"


def slot_text(start: dt.datetime, end: dt.datetime, tz: dt.tzinfo) -> str:
    """'Tue 1 Dec 2026 09:00–11:00': a booked slot."""
    return f"{stamp_text(start, tz)}–{clock_text(end, tz)}"
