from django.contrib import admin

from notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("kind", "case", "recipient", "planned_at", "status", "attempts", "sent_at")
    list_filter = ("status", "kind", "channel")
    search_fields = ("recipient", "case__reference", "subject")
    list_select_related = ("case",)
    date_hierarchy = "planned_at"
