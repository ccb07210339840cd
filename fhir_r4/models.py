"""API tokens: how another system (the EHR's interface engine) reads the FHIR API.

A token is shown once when an admin creates it and never stored: only its SHA-256 hash, so a copy
of the database reads nothing. Its prefix is stored in clear so admins (and the access log) can
tell tokens apart.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

PREFIX_LENGTH = 8


class ApiToken(models.Model):
    class Scope(models.TextChoices):
        READ = "read", "Read"
        READ_WRITE = "read_write", "Read and write"

    name = models.CharField(max_length=80, help_text="The system that uses it, e.g. “Epic interface”.")
    prefix = models.CharField(
        max_length=PREFIX_LENGTH, unique=True, help_text="The token's first characters, shown in lists."
    )
    token_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the whole token, hex.")
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.READ)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    # last_used_at moves at most once a minute and is not worth a history row each time.
    history = HistoricalRecords(excluded_fields=["last_used_at"])

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"


class RequestCount(models.Model):
    """API requests counted in one clock minute under one name: a token's requests, or the refused
    tokens from one client address. Kept in the database so every worker process counts into the
    same row (a per-process cache would let each worker allow the whole rate); rows of past minutes
    are deleted as new minutes start."""

    name = models.CharField(max_length=100)
    minute = models.BigIntegerField(help_text="Unix time // 60.")
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "minute"], name="request_count_once")]
        indexes = [models.Index(fields=["minute"], name="request_count_minute")]

    def __str__(self) -> str:
        return f"{self.name} @ {self.minute}: {self.hits}"
