"""`evaluate_case FILE [--as-of ISO]`: the readiness of every case in a file, as JSON; writes nothing."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.management.base import BaseCommand

from checklists import rules
from checklists.casefile import CaseFileError, read_case_file
from checklists.management.casefile_command import fail, parse_as_of, rule_config


class Command(BaseCommand):
    help = "Evaluate the cases in a case file without writing to the database; prints flags as JSON."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help='A case file (one case, or {"cases": [...]}).')
        parser.add_argument(
            "--as-of", dest="as_of", help="Moment of evaluation, ISO 8601 with a UTC offset (default: now)."
        )

    def handle(self, *args, file: str, as_of: str | None, **options) -> None:
        moment = parse_as_of(as_of)
        config = rule_config()
        try:
            cases = read_case_file(
                file, as_of=moment, time_zone=config.time_zone, phone_region=settings.CLINIC_PHONE_REGION
            )
        except CaseFileError as error:
            fail(str(error))
        results = []
        for case in cases:
            flags = rules.evaluate(case, config, moment)
            results.append(
                {
                    "reference": case.reference,
                    "readiness": "ready" if rules.is_ready(flags) else "not_ready",
                    "flags": [flag.as_json(config.time_zone) for flag in flags],
                }
            )
        self.stdout.write(json.dumps({"cases": results}, indent=2, ensure_ascii=False))
