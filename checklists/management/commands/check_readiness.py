"""`check_readiness [--as-of ISO]`: compare every active case's stored readiness with a live
evaluation; exit 1 and name the cases if any fresh stored answer differs (it never should)."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from checklists.management.casefile_command import parse_as_of, rule_config
from checklists.services.readiness import readiness_check


class Command(BaseCommand):
    help = "Report stored readiness that differs from a live evaluation (drift); writes nothing."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--as-of", dest="as_of", help="ISO 8601 with a UTC offset (default: now).")

    def handle(self, *args, as_of: str | None, **options) -> None:
        report = readiness_check(as_of=parse_as_of(as_of), config=rule_config())
        self.stdout.write(str(report))
        if report.drifted:
            sys.stderr.write(f"drift: {', '.join(report.drifted)}\n")
            raise SystemExit(1)
