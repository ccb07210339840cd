"""The patient's intake link and how far they got through the steps.

A link's token is never stored: only its SHA-256 hash, so a copy of the database opens no case.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from checklists.models import Case
from checklists.wording import stamp_text


class IntakeLink(models.Model):
    """One link sent to one patient for one case; issuing a new one revokes the old."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="intake_links")
    token_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the token, hex.")
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(
        null=True, blank=True, help_text="When the patient last confirmed their date of birth."
    )
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    locked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["last_used_at"])

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # At most one link per case can work: issuing revokes the previous one first.
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(revoked_at__isnull=True),
                name="one_unrevoked_intake_link_per_case",
            )
        ]

    def __str__(self) -> str:
        created = stamp_text(self.created_at, timezone.get_current_timezone())
        return f"Intake link for {self.case} (created {created})"


class IntakeProgress(models.Model):
    """Where the patient is in the steps, so reopening the link resumes there."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="intake_progress")
    step = models.PositiveSmallIntegerField(
        default=1, help_text="The step to show when the link is reopened."
    )
    furthest_step = models.PositiveSmallIntegerField(default=1, help_text="The furthest step reached.")
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "intake progress"
        constraints = [
            models.CheckConstraint(condition=Q(step__gte=1, step__lte=7), name="intake_progress_step_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.case}: step {self.step}"
