"""Every path of the staff workspace (namespace `checklists`); URLs and names are contracts."""

from django.urls import path

from checklists.views import case_detail, cases, dashboard, home, sheet

app_name = "checklists"

urlpatterns = [
    path("", home.home, name="home"),
    path("dashboard/", dashboard.DashboardView.as_view(), name="dashboard"),
    path("schedule/", dashboard.DayView.as_view(), name="schedule"),
    path("cases/new/", cases.case_create, name="case_create"),
    path("cases/times/", cases.case_times_preview, name="case_times_preview"),
    path("cases/<uuid:case_uuid>/edit/", cases.case_edit, name="case_edit"),
    path("cases/<uuid:case_uuid>/cancel/", cases.case_cancel, name="case_cancel"),
    path("cases/<uuid:case_uuid>/", case_detail.case_detail, name="case_detail"),
    path("cases/<uuid:case_uuid>/editors/<str:section>/", case_detail.case_editor, name="case_editor"),
    path("cases/<uuid:case_uuid>/signoffs/", case_detail.signoff_record, name="case_signoff_record"),
    path(
        "cases/<uuid:case_uuid>/signoffs/<str:item>/withdraw/",
        case_detail.signoff_withdraw,
        name="case_signoff_withdraw",
    ),
    path("cases/<uuid:case_uuid>/driver/", case_detail.driver_save, name="case_driver_save"),
    path("cases/<uuid:case_uuid>/driver/confirm/", case_detail.driver_confirm, name="case_driver_confirm"),
    path("cases/<uuid:case_uuid>/driver/remove/", case_detail.driver_remove, name="case_driver_remove"),
    path("cases/<uuid:case_uuid>/labs/", case_detail.lab_add, name="case_lab_add"),
    path("cases/<uuid:case_uuid>/medications/", case_detail.medications_save, name="case_medications_save"),
    path(
        "cases/<uuid:case_uuid>/medications/resolve/",
        case_detail.medication_resolve,
        name="case_medication_resolve",
    ),
    path("cases/<uuid:case_uuid>/allergies/", case_detail.allergies_save, name="case_allergies_save"),
    path("cases/<uuid:case_uuid>/intake/", case_detail.intake_save, name="case_intake_save"),
    path("cases/<uuid:case_uuid>/sheet/", sheet.case_sheet, name="case_sheet"),
    path("cases/<uuid:case_uuid>/appointment.ics", sheet.case_ics, name="case_ics"),
    path("cases/<uuid:case_uuid>/history/", sheet.case_history, name="case_history"),
]
