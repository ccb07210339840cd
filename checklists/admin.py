"""Django admin: the clinic's rule data and, for admins, every stored record (with history)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from checklists import models
from checklists.audit_csv import access_log_rows, csv_lines
from checklists.selectors.catalogue import load_rule_config, unrecognised_medication_names
from checklists.services.catalogue import drug_name_add


@admin.register(models.Room)
class RoomAdmin(SimpleHistoryAdmin):
    list_display = ("name", "location", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "location")


class NoDeleteMixin:
    """Patient data is never hard-deleted from the admin: a case is cancelled (archived) instead,
    so its history and access log keep something to point at."""

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyMixin(NoDeleteMixin):
    """An audit record: looked at and filtered, never added or changed."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(models.Patient)
class PatientAdmin(NoDeleteMixin, SimpleHistoryAdmin):
    list_display = ("last_name", "first_name", "date_of_birth", "sex", "phone", "email", "language")
    list_filter = ("sex", "language")
    search_fields = ("last_name", "first_name", "email", "phone")


class MedicationInline(admin.TabularInline):
    model = models.Medication
    extra = 0
    fields = ("position", "name", "dose", "frequency", "last_dose_planned")


class AllergyInline(admin.TabularInline):
    model = models.Allergy
    extra = 0


class LabResultInline(admin.TabularInline):
    model = models.LabResult
    extra = 0


class SignOffInline(admin.TabularInline):
    model = models.SignOff
    extra = 0
    fields = ("item", "by", "at", "note", "withdrawn_at")


@admin.register(models.Case)
class CaseAdmin(NoDeleteMixin, SimpleHistoryAdmin):
    list_display = (
        "reference",
        "patient",
        "kind",
        "levels",
        "anesthesia",
        "contrast_planned",
        "status",
        "start",
    )
    list_filter = ("status", "kind", "anesthesia", "contrast_planned", "appointment__room")
    search_fields = ("reference", "patient__last_name", "patient__first_name")
    list_select_related = ("patient", "appointment")
    readonly_fields = ("uuid", "version", "created_at", "updated_at")
    inlines = (MedicationInline, AllergyInline, LabResultInline, SignOffInline)

    @admin.display(ordering="appointment__start", description="Start")
    def start(self, obj: models.Case):
        appointment = getattr(obj, "appointment", None)
        return appointment.start if appointment else None


@admin.register(models.Appointment)
class AppointmentAdmin(SimpleHistoryAdmin):
    list_display = ("case", "room", "start", "end", "is_active")
    list_filter = ("room", "is_active")
    search_fields = ("case__reference", "case__patient__last_name")
    list_select_related = ("case", "room")
    date_hierarchy = "start"


@admin.register(models.Medication)
class MedicationAdmin(SimpleHistoryAdmin):
    list_display = ("name", "case", "dose", "frequency", "last_dose_planned", "classes")
    list_filter = ("drugs__drug_class",)
    search_fields = ("name", "case__reference")
    list_select_related = ("case",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("drugs")

    @admin.display(description="Catalogue match")
    def classes(self, obj: models.Medication) -> str:
        return ", ".join(f"{d.name} ({d.drug_class})" for d in obj.drugs.all()) or "unclassified"


@admin.register(models.Allergy)
class AllergyAdmin(SimpleHistoryAdmin):
    list_display = ("case", "category", "substance", "reaction", "severity")
    list_filter = ("category", "severity")
    search_fields = ("case__reference", "substance", "reaction")
    list_select_related = ("case",)


@admin.register(models.Intake)
class IntakeAdmin(SimpleHistoryAdmin):
    list_display = (
        "case",
        "submitted_at",
        "medications_complete",
        "no_known_allergies",
        "fasting_acknowledged",
    )
    list_filter = ("medications_complete", "no_known_allergies", "fasting_acknowledged", "diabetes")
    search_fields = ("case__reference",)
    list_select_related = ("case",)


@admin.register(models.Driver)
class DriverAdmin(SimpleHistoryAdmin):
    list_display = ("name", "case", "relationship", "phone", "confirmed_at", "confirmed_by")
    list_filter = ("confirmed_at",)
    search_fields = ("name", "phone", "case__reference")
    list_select_related = ("case", "confirmed_by")


@admin.register(models.LabResult)
class LabResultAdmin(SimpleHistoryAdmin):
    list_display = ("case", "test", "value", "taken_on")
    list_filter = ("test",)
    search_fields = ("case__reference",)
    list_select_related = ("case",)
    date_hierarchy = "taken_on"


@admin.register(models.SignOff)
class SignOffAdmin(SimpleHistoryAdmin):
    list_display = ("case", "item", "by", "at", "withdrawn_at")
    list_filter = ("item", "withdrawn_at")
    search_fields = ("case__reference", "by", "note")
    list_select_related = ("case",)


@admin.register(models.Drug)
class DrugAdmin(SimpleHistoryAdmin):
    list_display = (
        "name",
        "drug_class",
        "aliases",
        "hold_days",
        "hold_hours",
        "renal_egfr_below",
        "renal_hold_days",
        "rxnorm",
    )
    list_filter = ("drug_class",)
    search_fields = ("name", "aliases", "rxnorm")
    change_list_template = "admin/checklists/drug/change_list.html"

    def get_urls(self):
        own = [
            path(
                "unrecognised/",
                self.admin_site.admin_view(self.unrecognised_view),
                name="checklists_drug_unrecognised",
            )
        ]
        return own + super().get_urls()

    def unrecognised_view(self, request: HttpRequest) -> HttpResponse:
        """Names typed on medicine lines that nothing in the catalogue reads, most frequent first;
        one click adds one as a name of a drug (audited, like any catalogue change)."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        config = load_rule_config()
        if request.method == "POST":
            name, drug = request.POST.get("name", ""), request.POST.get("drug", "")
            try:
                drug_name_add(drug_name=drug, name=name, user=request.user, config=config)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, f"“{name}” is now a name of {drug}.")
            return redirect("admin:checklists_drug_unrecognised")
        context = {
            **self.admin_site.each_context(request),
            "title": "Medicine names not recognised",
            "opts": self.model._meta,
            "names": unrecognised_medication_names(config),
            "drugs": sorted(config.drugs, key=lambda d: d.name),
        }
        return render(request, "admin/checklists/drug/unrecognised.html", context)


@admin.register(models.RuleSettings)
class RuleSettingsAdmin(SimpleHistoryAdmin):
    """A single row: the clinic edits it, never adds or deletes it."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(models.FlagDeadline)
class FlagDeadlineAdmin(SimpleHistoryAdmin):
    list_display = ("code", "hours_before_start")
    list_editable = ("hours_before_start",)
    search_fields = ("code",)

    def has_add_permission(self, request) -> bool:
        return False  # codes are the engine's; only their timing is the clinic's


@admin.register(models.PremedicationStep)
class PremedicationStepAdmin(SimpleHistoryAdmin):
    list_display = ("position", "drug", "hours_before_start")
    list_editable = ("drug", "hours_before_start")
    list_display_links = ("position",)


class AccessLogExportForm(forms.Form):
    from_day = forms.DateField(label="From")
    to_day = forms.DateField(label="To")

    def clean(self):
        data = super().clean()
        if data.get("from_day") and data.get("to_day") and data["to_day"] < data["from_day"]:
            self.add_error("to_day", "The last day is before the first.")
        return data


@admin.register(models.AccessLog)
class AccessLogAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Who viewed which patient's data: filter by user, case, action and day; export a range."""

    list_display = ("at", "user", "action", "case_reference", "patient_name", "ip", "path")
    list_filter = ("action", ("user", admin.RelatedOnlyFieldListFilter), "at")
    search_fields = ("case_reference", "patient_name", "user__username", "path")
    date_hierarchy = "at"
    list_select_related = ("user",)
    change_list_template = "admin/checklists/accesslog/change_list.html"

    def get_urls(self):
        own = [
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name="checklists_accesslog_export",
            )
        ]
        return own + super().get_urls()

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """The rows of the days from..to (both included, the clinic's days) as CSV."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = AccessLogExportForm({"from_day": request.GET.get("from"), "to_day": request.GET.get("to")})
        if not form.is_valid():
            problems = "; ".join(
                f"{form.fields[name].label if name in form.fields else 'Dates'}: {' '.join(errs)}"
                for name, errs in form.errors.items()
            )
            messages.error(request, f"Export: {problems}")
            return redirect("admin:checklists_accesslog_changelist")
        tz = timezone.get_current_timezone()
        first, last = form.cleaned_data["from_day"], form.cleaned_data["to_day"]
        since = dt.datetime.combine(first, dt.time(0), tzinfo=tz)
        until = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
        rows = (
            models.AccessLog.objects.filter(at__gte=since, at__lt=until)
            .select_related("user")
            .order_by("at", "pk")
            .iterator(chunk_size=2000)
        )
        response = StreamingHttpResponse(csv_lines(access_log_rows(rows, tz)), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="access-log-{first}-to-{last}.csv"'
        return response


admin.site.site_header = "PrepDesk administration"
