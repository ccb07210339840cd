"""The case's History tab: for admins, who changed what and when, before → after, in words."""

from __future__ import annotations

import pytest
from django.urls import reverse

from checklists.models import Case
from tests.intake.support import next_start, store_case

pytestmark = pytest.mark.django_db


def test_an_admin_reads_who_changed_what_before_and_after(admin_client, config, coordinator):
    case = store_case(config, start=next_start())
    case.status, case._history_user = Case.Status.CANCELLED, coordinator
    case.save()
    patient = case.patient
    patient.last_name, patient._history_user = "Okafor-Reyes", coordinator
    patient.save()

    case_page = admin_client.get(reverse("checklists:case_detail", args=[case.uuid])).content.decode()
    page = admin_client.get(reverse("checklists:case_history", args=[case.uuid])).content.decode()

    assert reverse("checklists:case_history", args=[case.uuid]) in case_page
    assert "<strong>Status</strong>: Scheduled → Cancelled" in page
    assert "<strong>Last name</strong>: Okafor → Okafor-Reyes" in page
    assert page.count("<td>cora</td>") == 2
    assert "Case created" in page and "Medicine" not in page  # no medicines on this case
    assert page.index("Okafor-Reyes") < page.index("Scheduled → Cancelled")  # newest first


def test_staff_who_are_not_admins_see_no_history_tab_and_cannot_open_it(client, config, coordinator):
    case = store_case(config, start=next_start())
    client.force_login(coordinator)

    case_page = client.get(reverse("checklists:case_detail", args=[case.uuid])).content.decode()

    assert reverse("checklists:case_history", args=[case.uuid]) not in case_page
    assert client.get(reverse("checklists:case_history", args=[case.uuid])).status_code == 403
