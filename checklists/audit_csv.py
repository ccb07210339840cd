"""The access log as CSV for an auditor: one row per view, cells a spreadsheet cannot run."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator

from checklists.wording import stamp_text

HEADER = ("When", "User", "Action", "Case", "Patient", "Path", "IP address")
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection, OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(cell: str) -> str:
    """'=HYPERLINK(...)' -> "'=HYPERLINK(...)": shown as text, never run."""
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell


def access_log_rows(rows: Iterable, tz: dt.tzinfo) -> Iterator[list[str]]:
    yield list(HEADER)
    for row in rows:
        cells = (
            stamp_text(row.at, tz),
            row.user.get_username() if row.user else "",
            row.action,
            row.case_reference,
            row.patient_name,
            row.path,
            row.ip or "",
        )
        yield [neutralised(str(cell)) for cell in cells]


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[list[str]]) -> Iterator[str]:
    """Each row as one CSV line, for a streaming response."""
    writer = csv.writer(_Echo())
    return (writer.writerow(row) for row in rows)
