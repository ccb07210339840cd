"""Intake URLs (namespace `intake`): the link, the patient's steps, and the staff actions."""

from django.urls import path

from intake import views_patient as patient
from intake import views_staff as staff

app_name = "intake"

urlpatterns = [
    path("i/<str:token>/", patient.open_link, name="open"),
    path("intake/", patient.start, name="start"),
    path("intake/language/", patient.language, name="language"),
    path("intake/about/", patient.about, name="about"),
    path("intake/medicines/", patient.medicines, name="medicines"),
    path("intake/medicines/hint/", patient.medicine_hint, name="medicine_hint"),
    path("intake/allergies/", patient.allergies, name="allergies"),
    path("intake/health/", patient.health, name="health"),
    path("intake/driver/", patient.driver, name="driver"),
    path("intake/instructions/", patient.instructions, name="instructions"),
    path("intake/review/", patient.review, name="review"),
    path("intake/done/", patient.done, name="done"),
    path("intake/instructions/print/", patient.instructions_print, name="print"),
    path("intake/appointment.ics", patient.calendar, name="ics"),
    path("cases/<uuid:case_uuid>/intake-link/send/", staff.link_send, name="link_send"),
    path("cases/<uuid:case_uuid>/intake-link/revoke/", staff.link_revoke, name="link_revoke"),
]
