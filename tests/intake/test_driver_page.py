"""The driver's own page (`/d/<token>/`): what it shows, the two answers, and who it opens for."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from checklists import casedata as cd
from checklists import rules
from checklists.driver_links import token_for
from checklists.models import AccessLog, Case, Driver
from checklists.selectors.cases import case_queryset, case_to_data
from checklists.services.case_page import driver_save
from checklists.services.cases import case_cancel
from tests.factories import SignedInClient
from tests.intake.support import next_start, store_case

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("utc_clinic")]
DRIVER = cd.DriverData("Samuel Okafor", "+15550100002", "son")


@pytest.fixture
def case(config) -> Case:
    return store_case(
        config,
        start=next_start(days=5, hour=9),
        driver=DRIVER,
        medications=(cd.MedicationData("Eliquis 5mg"),),
        room="IR Suite 1",
    )


def link(case: Case) -> str:
    driver = Driver.objects.select_related("case").get(case=case)
    return f"/d/{token_for(driver)}/"


def codes(case: Case, config) -> set[str]:
    data = case_to_data(case_queryset().get(pk=case.pk))
    return {flag.code for flag in rules.evaluate(data, config, timezone.now())}


def test_the_page_says_who_when_and_where_and_nothing_else_of_the_record(client, case):
    page = client.get(link(case)).content.decode()

    assert "Margaret O. asked you to drive them home" in page
    start = case.appointment.start
    assert f"{start + dt.timedelta(hours=3):%H:%M}" in page  # one level: 1 h, then 2 h lying flat
    assert f"{start:%B}" in page
    assert "Yes, I'll drive" in page and "I can't" in page
    for private in (
        "Okafor Margaret",
        "Eliquis",
        "1948",
        "+15550100001",
        "margaret@example.org",
        case.reference,
    ):
        assert private not in page


def test_yes_confirms_the_driver_by_link_and_clears_the_flag(client, case, config):
    assert "DRIVER_UNCONFIRMED" in codes(case, config)

    response = client.post(link(case), {"answer": "yes"})

    assert response.status_code == 302
    driver = Driver.objects.get(case=case)
    assert driver.confirmed_by_driver and driver.confirmed_at is not None
    assert not {"DRIVER_UNCONFIRMED", "DRIVER_DECLINED"} & codes(case, config)
    page = client.get(response["Location"]).content.decode()
    assert "The clinic knows you will drive" in page and "You said: Yes, I'll drive." in page


def test_i_cant_raises_driver_declined_and_tells_every_coordinator_at_once(client, case, config, coordinator):
    coordinator.email = "cora@clinic.example"
    coordinator.save()

    client.post(link(case), {"answer": "no"})

    assert "DRIVER_DECLINED" in codes(case, config)
    assert "DRIVER_UNCONFIRMED" not in codes(case, config)
    [email] = mail.outbox
    assert email.to == ["cora@clinic.example"]
    assert email.subject == f"Driver can't drive: case {case.reference}"
    assert "Samuel Okafor" in email.body and f"/cases/{case.uuid}/" in email.body
    client.post(link(case), {"answer": "no"})  # the same answer again tells nobody twice
    assert len(mail.outbox) == 1


def test_an_answer_can_change_until_a_day_before_then_only_by_phone(client, case):
    client.post(link(case), {"answer": "no"})
    late = case.appointment.start - dt.timedelta(hours=23)

    with time_machine.travel(late, tick=False):
        page = client.get(link(case)).content.decode()
        refused = client.post(link(case), {"answer": "yes"}).content.decode()

    assert "You said: I can't." in page and 'value="yes"' not in page
    assert "To change your answer now, please call the clinic" in page
    assert "too late to change your answer here" in refused
    assert Driver.objects.get(case=case).confirmed_at is None


@pytest.mark.parametrize(
    "broken",
    [
        lambda token: token[:-1] + ("0" if token[-1] != "0" else "1"),  # a changed MAC
        lambda token: f"{int(token.split('-')[0]) + 1}-{token.split('-')[1]}",  # another driver's id
        lambda token: "not-a-token",
        lambda token: token.split("-")[0],
    ],
)
def test_a_tampered_or_guessed_link_opens_nothing(client, case, config, broken):
    other = store_case(config, "P-2", start=next_start(days=6), driver=DRIVER)
    assert other.driver.pk == case.driver.pk + 1
    token = link(case).split("/")[2]

    response = client.get(f"/d/{broken(token)}/")

    assert response.status_code == 404
    assert "This link is not working" in response.content.decode()
    assert "Margaret" not in response.content.decode()


def test_a_link_sent_to_a_driver_who_was_replaced_stops_working(client, case, config):
    old = link(case)
    driver_save(
        case=case,
        version=case.version,
        name="Ruth Okafor",
        relationship="",
        phone="+15550100003",
        config=config,
    )

    assert client.get(old).status_code == 404
    assert client.post(old, {"answer": "yes"}).status_code == 404
    assert Driver.objects.get(case=case).confirmed_at is None
    assert client.get(link(case)).status_code == 200


def test_the_link_expires_after_the_procedure_day_and_with_a_cancelled_case(
    client, case, coordinator, config
):
    url = link(case)
    day_after = dt.datetime.combine(case.appointment.start.date() + dt.timedelta(days=1), dt.time(0), dt.UTC)
    with time_machine.travel(day_after - dt.timedelta(seconds=1), tick=False):
        assert client.get(url).status_code == 200
    with time_machine.travel(day_after, tick=False):
        assert client.get(url).status_code == 404

    case_cancel(case=case, version=case.version, config=config)
    assert client.get(url).status_code == 404


def test_each_view_is_logged_without_the_working_link(client, case):
    url = link(case)
    client.get(url)

    entry = AccessLog.objects.get(action="driver.link")
    assert (entry.case_id, entry.user) == (case.pk, None)
    assert url.split("/")[2] not in entry.path


def test_the_case_page_says_the_driver_answered_through_their_link(client, case, coordinator, config):
    staff = SignedInClient()
    staff.force_login(coordinator)
    client.post(link(case), {"answer": "no"})

    page = staff.get(f"/cases/{case.uuid}/").content.decode()

    assert 'the driver answered "I can\'t" through their link' in page
    assert "Driver said they can&#x27;t" in page and 'href="#driver">Record another driver' in page


def test_the_page_speaks_spanish_when_the_drivers_browser_does(client, case):
    page = client.get(link(case), HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert "Margaret O. le pidió que le lleve a casa" in page
    assert "Sí, le llevaré" in page and "No puedo" in page
