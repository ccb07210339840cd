"""How staff pages, flags and emails word dates and times (the clinic's zone, fixed English names)."""

from __future__ import annotations

import datetime as dt

from checklists.catalog import RuleConfig


def local_text(moment: dt.datetime, config: RuleConfig) -> str:
    return moment.astimezone(config.time_zone).strftime("%a %d %b %Y %H:%M")
