"""The audit trail: every staff view of patient data logged by one mechanism (the admin and htmx
actions included), readable and exportable by admins, and never edited or deleted in the app."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from checklists.audit_csv import neutralised
from checklists.models import AccessLog, Case, Patient
from notifications.models import Notification
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 16, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def case(db):
    return CaseFactory(reference="AUD-1", patient__first_name="Ann", patient__last_name="Lee")


def actions() -> list[tuple[str, str, str]]:
    return list(AccessLog.objects.order_by("pk").values_list("action", "case_reference", "patient_name"))


def test_an_htmx_action_on_a_case_is_logged_with_the_case_and_patient(client, clinician, case):
    client.force_login(clinician)

    client.post(
        reverse("checklists:case_signoff_record", args=[case.uuid]),
        {"item": "labs_reviewed"},
        HTTP_HX_REQUEST="true",
    )

    assert actions() == [("checklists.case_signoff_record", "AUD-1", "Lee, Ann")]
    assert AccessLog.objects.get().user == clinician


def test_a_refused_request_is_not_logged_as_a_view(client, case, django_user_model):
    client.force_login(django_user_model.objects.create_user("no-role"))

    assert client.get(reverse("checklists:case_detail", args=[case.uuid])).status_code == 403
    assert actions() == []


def test_the_admins_lists_and_pages_of_patient_data_are_logged(admin_client, case):
    admin_client.get(reverse("admin:checklists_patient_changelist"))
    admin_client.get(reverse("admin:checklists_patient_change", args=[case.patient.pk]))
    admin_client.get(reverse("admin:checklists_case_change", args=[case.pk]))
    admin_client.get(reverse("admin:checklists_case_history", args=[case.pk]))
    admin_client.get(reverse("admin:checklists_room_changelist"))  # not patient data

    assert actions() == [
        ("admin.patient.list", "", ""),
        ("admin.patient.view", "", "Lee, Ann"),
        ("admin.case.view", "AUD-1", "Lee, Ann"),
        ("admin.case.history", "AUD-1", "Lee, Ann"),
    ]


def test_a_log_row_still_names_the_case_and_patient_when_the_case_is_gone(client, coordinator, case):
    client.force_login(coordinator)
    client.get(reverse("checklists:case_detail", args=[case.uuid]))

    Case.objects.filter(pk=case.pk).delete()

    row = AccessLog.objects.get()
    assert (row.case, row.case_reference, row.patient_name, row.action) == (
        None,
        "AUD-1",
        "Lee, Ann",
        "case.view",
    )


def test_nobody_can_change_or_delete_audit_records_or_delete_patients_in_the_admin(admin_client, case):
    log = AccessLog.objects.create(action="case.view", path="/x/", case=case, case_reference="AUD-1")
    note = Notification.objects.create(
        case=case, kind="day_before", recipient="a@b.c", subject="s", body_text="b", planned_at=NOW
    )
    history = case.history.first()

    assert admin_client.get(reverse("admin:checklists_accesslog_changelist")).status_code == 200
    assert admin_client.post(reverse("admin:checklists_accesslog_delete", args=[log.pk])).status_code == 403
    assert (
        admin_client.post(reverse("admin:checklists_accesslog_change", args=[log.pk]), {}).status_code == 403
    )
    assert admin_client.get(reverse("admin:checklists_accesslog_add")).status_code == 403
    assert (
        admin_client.post(reverse("admin:notifications_notification_delete", args=[note.pk])).status_code
        == 403
    )
    assert admin_client.post(reverse("admin:checklists_case_delete", args=[case.pk])).status_code == 403
    assert (
        admin_client.post(reverse("admin:checklists_patient_delete", args=[case.patient.pk])).status_code
        == 403
    )
    revert = reverse("admin:checklists_case_simple_history", args=[case.pk, history.history_id])
    admin_client.post(revert, {"reference": "CHANGED", "levels": '["L2"]'})
    assert Case.objects.get().reference == "AUD-1" and Patient.objects.count() == 1
    assert AccessLog.objects.filter(pk=log.pk).exists() and Notification.objects.filter(pk=note.pk).exists()


def test_the_access_log_exports_a_date_range_as_csv_with_formulas_neutralised(admin_client, settings, case):
    settings.TIME_ZONE = "America/New_York"
    for moment, action in (
        (dt.datetime(2026, 11, 2, 4, 30, tzinfo=dt.UTC), "before"),  # Sun 1 Nov 23:30 in New York
        (dt.datetime(2026, 11, 2, 5, 30, tzinfo=dt.UTC), "case.view"),  # Mon 2 Nov 00:30
        (dt.datetime(2026, 11, 4, 4, 59, tzinfo=dt.UTC), "case.sheet"),  # Tue 3 Nov 23:59
        (dt.datetime(2026, 11, 4, 5, 0, tzinfo=dt.UTC), "after"),  # Wed 4 Nov 00:00
    ):
        with time_machine.travel(moment, tick=False):
            AccessLog.objects.create(
                action=action, path="/cases/", case_reference="AUD-1", patient_name='=HYPERLINK("x")'
            )

    response = admin_client.get(
        reverse("admin:checklists_accesslog_export"), {"from": "2026-11-02", "to": "2026-11-03"}
    )

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert response["Content-Type"] == "text/csv"
    assert rows[0] == ["When", "User", "Action", "Case", "Patient", "Path", "IP address"]
    assert [row[2] for row in rows[1:]] == ["case.view", "case.sheet"]
    assert rows[1][0] == "Mon 2 Nov 2026 00:30" and rows[1][4] == '\'=HYPERLINK("x")'


def test_an_export_without_a_readable_range_says_which_date_is_wrong(admin_client):
    response = admin_client.get(
        reverse("admin:checklists_accesslog_export"), {"from": "2026-11-05", "to": "2026-11-01"}, follow=True
    )

    assert "Export: To: The last day is before the first." in response.content.decode()


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1"])
def test_a_cell_a_spreadsheet_would_run_is_written_as_text(cell):
    assert neutralised(cell) == f"'{cell}"
    assert neutralised("Lee, Ann") == "Lee, Ann"


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the append-only trigger exists only on PostgreSQL"
)
def test_postgresql_itself_refuses_to_change_or_delete_an_access_log_row(client, coordinator, case):
    """Runs when DATABASE_URL points at PostgreSQL (CI does): SQL behind the app's back cannot
    rewrite or remove the trail; removing the case only empties the row's link to it."""
    client.force_login(coordinator)
    client.get(reverse("checklists:case_detail", args=[case.uuid]))
    row = AccessLog.objects.get()

    for change in (
        lambda: AccessLog.objects.filter(pk=row.pk).update(action="nothing to see"),
        lambda: AccessLog.objects.filter(pk=row.pk).update(patient_name=""),
        lambda: AccessLog.objects.filter(pk=row.pk).delete(),
    ):
        with pytest.raises(DatabaseError, match="pgtrigger: Cannot"), transaction.atomic():
            change()

    Case.objects.filter(pk=case.pk).delete()
    assert AccessLog.objects.filter(
        pk=row.pk, case=None, action="case.view", patient_name="Lee, Ann"
    ).exists()
