"""`refresh_readiness`: compute the stored readiness of every active case that is not fresh (after
a rule or catalogue change, or to warm a new database; the lists also do it as they go)."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from checklists.management.casefile_command import rule_config
from checklists.services.readiness import readiness_refresh


class Command(BaseCommand):
    help = "Compute the stored readiness of every active case whose stored answer is not fresh."

    def handle(self, *args, **options) -> None:
        computed, active = readiness_refresh(as_of=timezone.now(), config=rule_config())
        self.stdout.write(f"Readiness computed for {computed} of {active} active case(s).")
