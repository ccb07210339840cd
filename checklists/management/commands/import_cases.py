"""`import_cases FILE`: validate the whole file, then create or update its cases in one transaction."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from django.conf import settings
from django.core.management.base import BaseCommand, OutputWrapper

from checklists.casefile import CaseFileError, read_case_file
from checklists.management.casefile_command import case_prefix, fail, rule_config
from checklists.services.imports import CaseConflict, cases_import


class Command(BaseCommand):
    help = "Import a case file: all of it or, at the first invalid field, nothing."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help='A case file (one case, or {"cases": [...]}).')

    def handle(self, *args, file: str, **options) -> None:
        config = rule_config()
        # On a terminal only: what scripts read (stdout, and stderr's one-line errors) stays as it was.
        status = Status(self.stderr, shown=bool(options["verbosity"]) and self.stderr.isatty())
        try:
            status.show("Reading the file…")
            try:
                # "Now" in the clinic's zone: a lab dated today there is not in the future.
                cases = read_case_file(
                    file,
                    as_of=dt.datetime.now(dt.UTC),
                    time_zone=config.time_zone,
                    phone_region=settings.CLINIC_PHONE_REGION,
                )
            except CaseFileError as error:
                status.clear()
                fail(str(error))
            status.show(f"Checking {len(cases):,} case{'s' if len(cases) != 1 else ''}…")
            try:
                result = cases_import(cases=cases, config=config, progress=status.cases_written(len(cases)))
            except CaseConflict as conflict:
                status.clear()
                fail(f"{case_prefix(file, conflict.index)}{conflict.field}: {conflict.message}")
            status.done()
        finally:
            status.clear()
        for room in result.rooms_created:
            self.stdout.write(f"Created room {room!r}.")
        self.stdout.write(
            f"Imported {len(cases)} case{'s' if len(cases) != 1 else ''}: "
            f"{len(result.created)} created, {len(result.updated)} updated."
        )


class Status:
    """What the command is doing, on one terminal line written over as it goes (as `loaddata -v 3`
    counts objects): reading, checking, then the cases written, the rate and about how long is
    left. Writes nothing unless `shown`."""

    def __init__(self, out: OutputWrapper, *, shown: bool) -> None:
        self.out, self.shown = out, shown
        self.width = 0  # of the line on the terminal, so a shorter one blanks the rest

    def show(self, line: str) -> None:
        if self.shown:
            self.out.write("\r" + line.ljust(self.width), style_func=_plain, ending="")
            self.out.flush()
            self.width = len(line)

    def cases_written(self, total: int) -> Callable[[int], None]:
        """The import's `progress`: told 0 as writing starts, then the cases written so far."""
        started = time.monotonic()

        def written(done: int) -> None:
            nonlocal started
            if done == 0:
                started = time.monotonic()  # the rate is the writing's, not the reading's
            line = f"Writing cases: {done:,} of {total:,} ({done / max(total, 1):.0%})"
            if done:
                rate = done / max(time.monotonic() - started, 1e-3)
                line += f", {rate:,.0f} a second, about {(total - done) / rate:,.0f} s left"
            self.show(line)

        return written

    def done(self) -> None:
        """Keep the last line (every case written), ending it."""
        if self.width:
            self.out.write("", style_func=_plain)
            self.width = 0

    def clear(self) -> None:
        """Blank the line, for an error or the summary to take its place."""
        if self.width:
            self.out.write("\r" + " " * self.width + "\r", style_func=_plain, ending="")
            self.out.flush()
            self.width = 0


def _plain(text: str) -> str:
    return text  # not the ERROR colour Django gives stderr
