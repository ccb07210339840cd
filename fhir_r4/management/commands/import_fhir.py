"""`import_fhir FILE [--reference R ...] [--levels L1,L2 ...]`: FHIR R4 Bundles become cases.

FILE holds one Bundle, or one per line (NDJSON, as `export_fhir` writes). Every Bundle is read
first; if any is invalid nothing is written. Then the cases are imported as `import_cases` would
(one transaction, overlap refusal). Errors are one line on stderr, exit 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from checklists.casedata import CaseData
from checklists.casefile import CaseFileError
from checklists.management.casefile_command import fail, rule_config
from checklists.services.imports import CaseConflict, cases_import
from fhir_r4.importing import bundle_to_case, element_path


class Command(BaseCommand):
    help = "Import FHIR R4 Bundles (one, or one per line): all of them or, at the first error, nothing."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="A FHIR Bundle as JSON, or NDJSON (one Bundle per line).")
        parser.add_argument(
            "--reference",
            nargs="+",
            default=[],
            metavar="R",
            help="The case reference of each Bundle, in file order (else the Bundle's identifier).",
        )
        parser.add_argument(
            "--levels",
            nargs="+",
            default=[],
            metavar="L1,L2",
            help="The vertebral levels of each Bundle's case, in file order, e.g. T12,L1.",
        )

    def handle(self, *args, file: str, reference: list[str], levels: list[str], **options) -> None:
        config = rule_config()
        bundles = _read(file)
        for option, given in (("--reference", reference), ("--levels", levels)):
            if given and len(given) != len(bundles):
                fail(f"{option}: give one per Bundle ({len(bundles)} in {file}, {len(given)} given)")
        now = timezone.now()
        cases: list[CaseData] = []
        asked: list[tuple[str | None, list[str] | None]] = []
        for i, (where, doc) in enumerate(bundles):
            ask = (reference[i] if reference else None, levels[i].split(",") if levels else None)
            try:
                cases.append(
                    bundle_to_case(
                        doc,
                        reference=ask[0],
                        levels=ask[1],
                        as_of=now,
                        config=config,
                        phone_region=settings.CLINIC_PHONE_REGION,
                    )
                )
            except CaseFileError as error:
                fail(f"{file}: {where}{error}")
            asked.append(ask)
        try:
            result = cases_import(cases=cases, config=config)
        except CaseConflict as conflict:
            where, doc = bundles[conflict.index]
            reference_, levels_ = asked[conflict.index]
            path = element_path(doc, conflict.field, reference=reference_, levels=levels_)
            fail(f"{file}: {where}{path}: {conflict.message}")
        for room in result.rooms_created:
            self.stdout.write(f"Created room {room!r}.")
        self.stdout.write(
            f"Imported {len(cases)} case{'s' if len(cases) != 1 else ''}: "
            f"created [{', '.join(result.created)}], updated [{', '.join(result.updated)}]."
        )


def _read(file: str) -> list[tuple[str, Any]]:
    """The Bundles of FILE, each with its place for errors: "" for a one-Bundle file, else "line K: "."""
    try:
        text = Path(file).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        fail(f"{file}: not UTF-8 text (byte {exc.start})")
    except OSError as exc:
        fail(f"{file}: cannot read file: {exc.strerror or exc}")
    lines = [(k, line) for k, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not lines:
        fail(f"{file}: no Bundle")
    try:
        first = json.loads(lines[0][1])
    except ValueError:
        first = None
    if len(lines) == 1 or not isinstance(first, dict):  # one Bundle, perhaps over many lines
        return [("", _loads(text, file, ""))]
    return [(f"line {k}: ", _loads(line, file, f"line {k}: ")) for k, line in lines]


def _loads(text: str, file: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        place = f"column {exc.colno}" if where else f"line {exc.lineno}, column {exc.colno}"
        fail(f"{file}: {where}invalid JSON at {place}: {exc.msg}")
    except (RecursionError, ValueError):
        fail(f"{file}: {where}invalid JSON")
