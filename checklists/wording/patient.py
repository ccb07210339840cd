"""How PrepDesk words days and times for a patient, in the patient's language (the active one).

Used by the intake pages and the patient's emails; staff wording is `checklists.wording`.
"""

from __future__ import annotations

import datetime as dt

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from checklists.wording import clock_text


def day_words(day: dt.date) -> str:
    """'Tuesday 24 November' / 'martes 24 de noviembre' (the clinic's MONTH_DAY_FORMAT)."""
    return date_format(day, "MONTH_DAY_FORMAT")


def moment_words(moment: dt.datetime, tz: dt.tzinfo) -> str:
    """'02:00 on Tuesday 24 November' in `tz` (the clinic's zone)."""
    local = moment.astimezone(tz)
    return _("%(time)s on %(day)s") % {"time": clock_text(local, tz), "day": day_words(local.date())}
