"""The outbox: one row for every message PrepDesk sends or means to send.

Unique per (case, kind, planned time), so however many workers or sweeps run, a message is
created, and therefore sent, at most once.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from checklists.models import Case


class Notification(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", "Email"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"  # will be retried
        CANCELLED = "cancelled", "Cancelled"

    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(
        max_length=50, help_text="e.g. intake_invitation, reminder_7d, digest_coordinator"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    recipient = models.CharField(max_length=254)
    language = models.CharField(max_length=2, default="en")
    subject = models.CharField(max_length=200)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    planned_at = models.DateTimeField(db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-planned_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kind", "planned_at"], name="one_notification_per_case_kind_time"
            ),
            models.UniqueConstraint(
                fields=["kind", "planned_at", "recipient"],
                condition=Q(case__isnull=True),
                name="one_caseless_notification_per_kind_time_recipient",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient} ({self.status})"
