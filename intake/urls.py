"""Every path of the intake (namespace `intake`): the link, the patient's steps (one per row of
`intake.steps.STEPS`, at `/intake/<url_name>/`), after submitting, and the staff's link actions.
URLs and names are contracts."""

from django.urls import path

from intake.steps import STEPS
from intake.views import after, driver, link, staff, steps

app_name = "intake"

urlpatterns = [
    path("i/<str:token>/", link.open_link, name="open"),
    path("d/<str:token>/", driver.driver_page, name="driver_link"),
    path("intake/", link.start, name="start"),
    path("intake/language/", link.language, name="language"),
    *(
        path(f"intake/{step.url_name}/", steps.step_page, {"number": step.number}, name=step.url_name)
        for step in STEPS
    ),
    path("intake/medicines/hint/", steps.medicine_hint, name="medicine_hint"),
    path("intake/done/", after.done, name="done"),
    path("intake/instructions/print/", after.instructions_print, name="print"),
    path("intake/appointment.ics", after.calendar, name="ics"),
    path("cases/<uuid:case_uuid>/intake-link/send/", staff.link_send, name="link_send"),
    path("cases/<uuid:case_uuid>/intake-link/sent/", staff.link_sent, name="link_sent"),
    path("cases/<uuid:case_uuid>/intake-link/revoke/", staff.link_revoke, name="link_revoke"),
    path("cases/<uuid:case_uuid>/outbox/resend/", staff.outbox_resend, name="outbox_resend"),
]
