"""`export_cases [--reference R ...]`: cases in the case format, ready for `import_cases`."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from checklists.casefile import document_chunks
from checklists.management.casefile_command import fail, rule_config
from checklists.selectors.cases import case_to_data, cases_by_reference, missing_references

# Cases loaded (with their prefetched rows) per round of queries: memory stays bounded by this,
# not by the number of cases exported.
CHUNK_SIZE = 500


class Command(BaseCommand):
    help = "Print cases in the JSON case format (default: every case that is not cancelled)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--reference", nargs="+", action="extend", default=[], metavar="R", help="Only these cases."
        )

    def handle(self, *args, reference: list[str], **options) -> None:
        config = rule_config()
        # Before any output: a failed export prints nothing on stdout.
        missing = missing_references(reference) if reference else []
        if missing:
            fail(f"--reference: no case {', '.join(missing)}")
        cases = cases_by_reference(reference).iterator(chunk_size=CHUNK_SIZE)
        for chunk in document_chunks((case_to_data(case) for case in cases), time_zone=config.time_zone):
            self.stdout.write(chunk, ending="")
        self.stdout.write("\n", ending="")
