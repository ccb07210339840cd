"""`export_fhir [--reference R ...]`: cases as FHIR R4 Bundles, one per line (NDJSON, as FHIR's
bulk data export writes them)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand
from django.utils import timezone

from checklists.management.casefile_command import add_reference_argument, fail, rule_config
from checklists.selectors.cases import cases_by_reference, missing_references
from fhir_r4.selectors import bundles


class Command(BaseCommand):
    help = "Print cases as FHIR R4 Bundles, one per line (default: every case that is not cancelled)."

    def add_arguments(self, parser) -> None:
        add_reference_argument(parser)

    def handle(self, *args, reference: list[str], **options) -> None:
        config = rule_config()
        missing = missing_references(reference) if reference else []
        if missing:  # before any output: a failed export prints nothing on stdout
            fail(f"--reference: no case {', '.join(missing)}")
        for found in bundles(cases_by_reference(reference), config=config, now=timezone.now()):
            self.stdout.write(json.dumps(found, ensure_ascii=False))
