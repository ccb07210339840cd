"""`export_cases [--reference R ...]`: cases in the case format, ready for `import_cases`."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from checklists.casefile import cases_to_document
from checklists.management.casefile_command import fail, rule_config
from checklists.selectors.cases import case_to_data, cases_by_reference


class Command(BaseCommand):
    help = "Print cases in the JSON case format (default: every case that is not cancelled)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--reference", nargs="+", action="extend", default=[], metavar="R", help="Only these cases."
        )

    def handle(self, *args, reference: list[str], **options) -> None:
        config = rule_config()
        cases = list(cases_by_reference(reference))
        missing = sorted(set(reference) - {case.reference for case in cases})
        if missing:
            fail(f"--reference: no case {', '.join(missing)}")
        document = cases_to_document((case_to_data(case) for case in cases), time_zone=config.time_zone)
        self.stdout.write(json.dumps(document, indent=2, ensure_ascii=False))
