"""Admin: intake links (read-only: tokens are issued from the case page) and progress."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from intake.models import IntakeLink, IntakeProgress


@admin.register(IntakeLink)
class IntakeLinkAdmin(SimpleHistoryAdmin):
    list_display = (
        "case",
        "created_at",
        "expires_at",
        "revoked_at",
        "verified_at",
        "failed_attempts",
        "locked_at",
    )
    list_filter = ("revoked_at", "locked_at")
    search_fields = ("case__reference",)
    list_select_related = ("case",)
    readonly_fields = ("token_hash", "created_at", "created_by", "verified_at", "last_used_at")

    def has_add_permission(self, request) -> bool:
        return False  # a link is only useful with its token, which only the case page shows


@admin.register(IntakeProgress)
class IntakeProgressAdmin(SimpleHistoryAdmin):
    list_display = ("case", "step", "furthest_step", "updated_at")
    search_fields = ("case__reference",)
    list_select_related = ("case",)
