"""`import_cases FILE`: validate the whole file, then create or update its cases in one transaction."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand

from checklists.casefile import CaseFileError, read_case_file
from checklists.management.casefile_command import case_prefix, fail, rule_config
from checklists.services.imports import CaseConflict, cases_import


class Command(BaseCommand):
    help = "Import a case file: all of it or, at the first invalid field, nothing."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help='A case file (one case, or {"cases": [...]}).')

    def handle(self, *args, file: str, **options) -> None:
        config = rule_config()
        try:
            # "Now" in the clinic's zone: a lab dated today there is not in the future.
            cases = read_case_file(
                file,
                as_of=dt.datetime.now(dt.UTC),
                time_zone=config.time_zone,
                phone_region=settings.CLINIC_PHONE_REGION,
            )
        except CaseFileError as error:
            fail(str(error))
        try:
            result = cases_import(cases=cases, config=config)
        except CaseConflict as conflict:
            fail(f"{case_prefix(file, conflict.index)}{conflict.field}: {conflict.message}")
        for room in result.rooms_created:
            self.stdout.write(f"Created room {room!r}.")
        self.stdout.write(
            f"Imported {len(cases)} case{'s' if len(cases) != 1 else ''}: "
            f"{len(result.created)} created, {len(result.updated)} updated."
        )
