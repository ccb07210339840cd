"""The outbox's URLs: where the SMS provider reports delivery (named in each text it is sent) and
forwards the texts patients send; and the staff's "Called back" on such a text."""

from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("sms/status/", views.sms_status, name="sms_status"),
    path("sms/inbound/", views.sms_inbound, name="sms_inbound"),
    path(
        "cases/<uuid:case_uuid>/sms-replies/<int:reply_id>/handled/",
        views.reply_handled_view,
        name="reply_handled",
    ),
    path("cases/<uuid:case_uuid>/driver/ready-text/", views.driver_ready_view, name="driver_ready"),
]
