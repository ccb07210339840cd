from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from notifications.models import InboundSms, Notification, NotificationSettings, SmsOptOut


class _ReadOnly(admin.ModelAdmin):
    """A record (of what was sent, or what patients texted): never added, edited or deleted by hand."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(_ReadOnly):
    """The outbox."""

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


@admin.register(InboundSms)
class InboundSmsAdmin(_ReadOnly):
    """Texts patients sent (staff mark "Called back" on the case page)."""

    list_display = ("received_at", "from_phone", "case", "meaning", "handled_at", "handled_by")
    list_filter = ("meaning",)
    search_fields = ("from_phone", "case__reference", "provider_id")
    list_select_related = ("case", "handled_by")
    date_hierarchy = "received_at"


@admin.register(SmsOptOut)
class SmsOptOutAdmin(_ReadOnly, SimpleHistoryAdmin):
    """Numbers that replied STOP: only the patient's START lifts one (the provider blocks texts to
    them too, whatever is changed here); the history shows every STOP and START."""

    list_display = ("phone", "keyword", "opted_out_at")
    search_fields = ("phone",)
