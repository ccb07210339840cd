"""What the case-file commands share: one-line errors with exit status 2, and the rule data."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import NoReturn

from django.db import DatabaseError

from checklists.catalog import RuleConfig
from checklists.models import RuleSettings
from checklists.selectors.catalogue import load_rule_config

EXIT_INVALID = 2


def fail(message: str) -> NoReturn:
    """Print one line on stderr and exit 2 (the case format's error contract)."""
    sys.stderr.write(message.replace("\n", " ") + "\n")
    raise SystemExit(EXIT_INVALID)


def add_reference_argument(parser) -> None:
    """`--reference R ...`: the export commands' choice of cases (default: every case not cancelled)."""
    parser.add_argument(
        "--reference", nargs="+", action="extend", default=[], metavar="R", help="Only these cases."
    )


def rule_config() -> RuleConfig:
    try:
        return load_rule_config()
    except (DatabaseError, RuleSettings.DoesNotExist):
        fail("database: not set up (run `python manage.py migrate`)")


def parse_as_of(value: str | None) -> dt.datetime:
    if value is None:
        return dt.datetime.now(dt.UTC)
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        fail(f"--as-of: {value!r} is not an ISO 8601 date-time")
    if moment.tzinfo is None or moment.utcoffset() is None:
        fail(f"--as-of: {value!r} must carry a UTC offset, e.g. 2026-11-21T09:00:00+00:00")
    return moment


def case_prefix(path: str, index: int) -> str:
    """The JSON path prefix of case `index`: "" in a single-case file, "cases[i]." in a list."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        doc = None
    return f"cases[{index}]." if isinstance(doc, dict) and "cases" in doc else ""
