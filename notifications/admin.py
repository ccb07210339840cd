from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from notifications.models import Notification, NotificationSettings


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """The outbox: a record of what was sent, never edited or deleted by hand."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    list_display = (
        "kind",
        "case",
        "channel",
        "recipient",
        "segments",
        "planned_at",
        "status",
        "attempts",
        "sent_at",
    )
    list_filter = ("status", "kind", "channel")
    search_fields = ("recipient", "case__reference", "subject", "provider_id")
    list_select_related = ("case",)
    date_hierarchy = "planned_at"


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(SimpleHistoryAdmin):
    """A single row: the clinic edits the reminder and digest times, never adds or deletes the row."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
