"""`export_cases [--reference R ...]`: cases in the case format, ready for `import_cases`."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from checklists.casefile import document_chunks
from checklists.management.casefile_command import add_reference_argument, fail, rule_config
from checklists.selectors.cases import cases_by_reference, cases_data_iter, missing_references

# Cases read (with their lines) per round of queries: memory stays bounded by this, not by the
# number of cases exported.
CHUNK_SIZE = 500


class Command(BaseCommand):
    help = "Print cases in the JSON case format (default: every case that is not cancelled)."

    def add_arguments(self, parser) -> None:
        add_reference_argument(parser)

    def handle(self, *args, reference: list[str], **options) -> None:
        config = rule_config()
        # Before any output: a failed export prints nothing on stdout.
        missing = missing_references(reference) if reference else []
        if missing:
            fail(f"--reference: no case {', '.join(missing)}")
        cases = cases_data_iter(cases_by_reference(reference), chunk_size=CHUNK_SIZE)
        for chunk in document_chunks(cases, time_zone=config.time_zone):
            self.stdout.write(chunk, ending="")
        self.stdout.write("\n", ending="")
