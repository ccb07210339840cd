"""Staff text the driver on the day: "ready to be collected in about 30 minutes"."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from checklists import casedata as cd
from checklists.models import Case
from notifications.models import Notification
from tests.factories import SignedInClient
from tests.intake.support import store_case

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("utc_clinic")]
START = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
ON_THE_DAY = dt.datetime(2026, 11, 25, 11, 30, tzinfo=dt.UTC)
DRIVER = cd.DriverData("Samuel Okafor", "+12125550142", confirmed_at=START - dt.timedelta(days=2))


def signed_in(coordinator) -> SignedInClient:
    """Signed in at the moment the test travelled to (a staff session idles out after 30 minutes)."""
    client = SignedInClient()
    client.force_login(coordinator)
    return client


def test_on_the_day_one_click_texts_the_confirmed_driver_once(config, coordinator, sms_outbox):
    case = store_case(config, start=START, driver=DRIVER)
    url = f"/cases/{case.uuid}/driver/ready-text/"

    with time_machine.travel(ON_THE_DAY, tick=False):
        staff = signed_in(coordinator)
        assert (
            "ready to be collected in about 30 minutes</button>"
            in staff.get(f"/cases/{case.uuid}/").content.decode()
        )
        page = staff.post(url, follow=True).content.decode()
        again = staff.post(url, follow=True).content.decode()

    [text] = sms_outbox
    assert text.to == "+12125550142"
    assert text.body.endswith("Margaret O. will be ready to be collected in about 30 minutes.")
    assert "Texted Samuel Okafor: ready to be collected in about 30 minutes." in page
    assert "The driver was texted a moment ago: nothing was sent again." in again
    assert Notification.objects.get().kind == "ready_for_pickup"


@pytest.mark.parametrize(
    ("driver", "moment", "problem"),
    [
        (DRIVER, START - dt.timedelta(days=1), "The driver can be texted on the procedure day only."),
        (cd.DriverData("Samuel Okafor", "+12125550142"), ON_THE_DAY, "No confirmed driver to text."),
        (
            cd.DriverData("Samuel Okafor", "+442079460018", confirmed_at=START - dt.timedelta(days=2)),
            ON_THE_DAY,
            "The driver&#x27;s number cannot take texts: phone them.",
        ),
    ],
)
def test_no_button_and_no_text_another_day_or_without_a_confirmed_mobile(
    config, coordinator, sms_outbox, driver, moment, problem
):
    case = store_case(config, start=START, driver=driver)

    with time_machine.travel(moment, tick=False):
        staff = signed_in(coordinator)
        shown = staff.get(f"/cases/{case.uuid}/").content.decode()
        page = staff.post(f"/cases/{case.uuid}/driver/ready-text/", follow=True).content.decode()

    assert "ready to be collected in about 30 minutes</button>" not in shown
    assert problem in page
    assert sms_outbox == [] and not Notification.objects.exists()
    assert Case.objects.get(pk=case.pk).status == Case.Status.SCHEDULED
