"""Texts patients send: STOP / START (recorded, and the outbox obeys them), replies to the
day-before question matched to their case, "asked to talk" on the case page and the dashboard until
someone calls back, and Twilio's signed incoming-message webhook."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from checklists.models import Case
from checklists.services.cases import case_cancel
from notifications.inbound import keyword_meaning, reply_handled, sms_opted_out, sms_receive
from notifications.models import InboundSms, Notification, SmsOptOut
from notifications.panels import ASKED_TO_TALK_LIMIT, asked_to_talk_panel, sms_replies_panel
from notifications.reminder_plan import DAY_BEFORE
from notifications.services import notification_plan, notification_send
from notifications.sms.webhooks import SIGNATURE_HEADER, sign
from tests.factories import SignedInClient, StaffFactory, UserFactory
from tests.intake.support import next_start, store_case, verified_client

pytestmark = pytest.mark.django_db
PHONE = "+15550100001"  # the patient's number in tests.intake.support.store_case
STRANGER = "+15550199999"
INBOUND_URL = "http://testserver/sms/inbound/"
STOPPED = "Not sent: this number replied STOP (no texts until it replies START)."
_sids = iter(range(1, 10_000))


@pytest.fixture(autouse=True)
def webhook_token(settings) -> None:
    settings.TWILIO_AUTH_TOKEN = "webhook-token"


@pytest.fixture
def now() -> dt.datetime:
    return timezone.now()


@pytest.fixture
def case(config) -> Case:
    """A scheduled case starting tomorrow, its patient's number PHONE."""
    return store_case(config, "SMS-IN-1", start=next_start(days=1))


def receive(body: str, now: dt.datetime, phone: str = PHONE, sid: str | None = None) -> InboundSms:
    return sms_receive(provider_id=sid or f"SM{next(_sids):032d}", from_phone=phone, body=body, now=now)


def plan_sms(case: Case | None, planned_at: dt.datetime, kind: str = "reminder_3d") -> Notification:
    return notification_plan(
        case=case,
        kind=kind,
        channel=Notification.Channel.SMS,
        recipient=PHONE,
        subject="Reminder",
        body_text="PrepDesk: a reminder about your procedure.",
        planned_at=planned_at,
    )


def ask_day_before(case: Case, now: dt.datetime) -> Notification:
    """The day-before SMS, sent: the open question a "1" or "2" answers."""
    row = notification_send(notification_id=plan_sms(case, now - dt.timedelta(hours=1), kind=DAY_BEFORE).pk)
    assert row.status == Notification.Status.SENT
    return row


def inbound_post(fields: dict[str, str], signature: str | None = None):
    """Twilio's incoming-message webhook, as it posts it (form-encoded, signed over URL and fields)."""
    return Client().post(
        reverse("notifications:sms_inbound"),
        urlencode(fields),
        content_type="application/x-www-form-urlencoded",
        headers={SIGNATURE_HEADER: sign(INBOUND_URL, fields) if signature is None else signature},
    )


def staff(role: str = "coordinator") -> SignedInClient:
    client = SignedInClient()
    client.force_login(StaffFactory(username=f"in-{role}", role=role))
    return client


def case_page(client, case: Case) -> str:
    return client.get(reverse("checklists:case_detail", args=[case.uuid])).content.decode()


def asked_to_talk(client) -> str:
    """The dashboard's "patient asked to talk" panel ("" when the dashboard shows none)."""
    content = client.get(reverse("checklists:dashboard")).content.decode()
    start = content.find('<section id="asked-to-talk"')
    return "" if start < 0 else content[start : content.index("</section>", start)]


# --- What a text means -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body", ["STOP", "stop", "Stop.", "  stop  ", "PARAR", "BAJA", "báJa", "¡Baja!", "StopAll"]
)
def test_stop_and_its_synonyms_in_any_case_accents_or_punctuation_opt_out(body):
    assert keyword_meaning(body) == "stop"


@pytest.mark.parametrize("body", ["START", "start", "Unstop", "ALTA", "álta."])
def test_start_unstop_and_alta_opt_back_in(body):
    assert keyword_meaning(body) == "start"


@pytest.mark.parametrize("body", ["1", " 1 ", "1."])
def test_a_one_confirms(body):
    assert keyword_meaning(body) == "confirmed"


@pytest.mark.parametrize(
    "body", ["2", "Please stop calling", "stop it", "yes", "11", "", "1 but my ride is late"]
)
def test_a_two_or_any_other_text_asks_to_talk(body):
    assert keyword_meaning(body) == "talk"


# --- STOP and START --------------------------------------------------------------------------------


def test_stop_is_recorded_and_a_queued_sms_to_that_number_is_cancelled_with_the_reason(case, now, sms_outbox):
    queued = plan_sms(case, now)

    reply = receive("Stop", now)

    assert (reply.meaning, reply.case) == ("stop", case)
    opt_out = SmsOptOut.objects.get(phone=PHONE)
    assert (opt_out.keyword, opt_out.opted_out_at) == ("STOP", now)
    assert sms_opted_out(PHONE)
    sent = notification_send(notification_id=queued.pk)
    assert (sent.status, sent.error) == (Notification.Status.CANCELLED, STOPPED)
    assert sms_outbox == []


def test_an_email_to_an_opted_out_patient_still_goes(case, now):
    receive("PARAR", now)
    email = notification_plan(
        case=case,
        kind="reminder_3d",
        recipient="margaret@example.org",
        subject="Hi",
        body_text="Hi",
        planned_at=now,
    )

    assert notification_send(notification_id=email.pk).status == Notification.Status.SENT


def test_start_lifts_the_opt_out_and_texts_flow_again_and_the_history_keeps_both(case, now, sms_outbox):
    receive("BAJA", now)
    receive("START", now + dt.timedelta(minutes=5))

    assert not sms_opted_out(PHONE)
    assert not SmsOptOut.objects.exists()
    assert list(SmsOptOut.history.order_by("history_date").values_list("history_type", "keyword")) == [
        ("+", "BAJA"),
        ("-", "BAJA"),
    ]
    sent = notification_send(notification_id=plan_sms(case, now).pk)
    assert sent.status == Notification.Status.SENT
    assert [message.to for message in sms_outbox] == [PHONE]


def test_a_second_stop_keeps_the_first(now):
    receive("STOP", now, phone=STRANGER)
    receive("quit", now + dt.timedelta(hours=1), phone=STRANGER)

    opt_out = SmsOptOut.objects.get()
    assert (opt_out.keyword, opt_out.opted_out_at) == ("STOP", now)


def test_a_number_sent_in_national_format_is_stored_in_e164(now):
    reply = receive("STOP", now, phone="(555) 010-0001")

    assert reply.from_phone == PHONE
    assert sms_opted_out("+1 555 010 0001")


# --- Matching a reply to its case ----------------------------------------------------------------


def test_a_one_to_the_open_day_before_question_is_stored_on_that_case_as_confirmed(case, now):
    question = ask_day_before(case, now)

    reply = receive("1", now)

    assert (reply.case, reply.question, reply.meaning) == (case, question, "confirmed")
    assert reply.received_at == now


def test_the_latest_open_question_wins_when_the_number_has_two_cases(case, config, now):
    later = store_case(config, "SMS-IN-2", start=next_start(days=1, hour=15))
    ask_day_before(case, now - dt.timedelta(hours=2))
    latest = ask_day_before(later, now)

    reply = receive("2", now)

    assert (reply.case, reply.question) == (later, latest)


def test_a_question_about_an_appointment_over_a_day_ago_is_no_longer_open(config, now):
    past = store_case(config, "SMS-IN-OLD", start=next_start(days=1))
    ask_day_before(past, now)

    reply = receive("1", past.appointment.start + dt.timedelta(days=1, minutes=1))

    # Not the old question; and no case to come has this number, so it stays unmatched.
    assert (reply.case, reply.question) == (None, None)


def test_without_an_open_question_the_one_case_to_come_with_that_number_is_matched(case, now):
    reply = receive("Can I take my tablets?", now)

    assert (reply.case, reply.question, reply.meaning) == (case, None, "talk")


def test_a_one_without_an_open_question_confirms_nothing_and_asks_for_a_call(case, now):
    reply = receive("1", now)

    assert (reply.case, reply.meaning) == (case, "talk")


def test_without_an_open_question_two_cases_with_that_number_leave_the_reply_unmatched(case, config, now):
    store_case(config, "SMS-IN-2", start=next_start(days=8))

    assert receive("hello", now).case is None


def test_a_reply_from_an_unknown_number_is_stored_unmatched(case, now):
    reply = receive("who is this?", now, phone=STRANGER)

    assert (reply.case, reply.question, reply.from_phone, reply.body) == (
        None,
        None,
        STRANGER,
        "who is this?",
    )


def test_the_same_message_delivered_twice_is_stored_once(case, now):
    first = receive("STOP", now, sid="SM-retried")
    again = receive("START", now, sid="SM-retried")  # whatever the retry says, the first stands

    assert again.pk == first.pk
    assert InboundSms.objects.count() == 1
    assert sms_opted_out(PHONE)


# --- Asked to talk: the case page, the dashboard, "Called back" -----------------------------------


def test_a_two_and_free_text_show_on_the_case_page_and_the_dashboard(case, now):
    ask_day_before(case, now)
    two = receive("2", now)
    text = receive("My driver cancelled, can someone call me?", now + dt.timedelta(minutes=1))
    coordinator = staff()

    page = case_page(coordinator, case)
    panel = asked_to_talk(coordinator)

    assert (two.meaning, text.meaning) == ("talk", "talk")
    assert 'id="sms-replies"' in page and "My driver cancelled, can someone call me?" in page
    assert page.count("Asked to talk") == 2 and page.count(">Called back</button>") == 2
    # Newest first, linking to the texts on the case page.
    assert panel.index(f'data-reply="{text.pk}"') < panel.index(f'data-reply="{two.pk}"')
    assert f"{reverse('checklists:case_detail', args=[case.uuid])}#sms-replies" in panel
    assert "Okafor, Margaret" in panel and "My driver cancelled" in panel


def test_confirmed_stop_and_start_show_in_words_on_the_case_page(case, now):
    ask_day_before(case, now)
    for minutes, body in enumerate(("1", "STOP", "START")):
        receive(body, now + dt.timedelta(minutes=minutes))

    page = case_page(staff(), case)

    assert "Confirmed: fasting and driver set" in page
    assert "Replied STOP: no more texts" in page and "Replied START" in page
    assert ">Called back</button>" not in page
    assert page.index("Replied START") < page.index("Replied STOP")  # newest first


def test_called_back_takes_the_text_off_the_dashboard_and_records_who(case, now):
    reply = receive("2", now)
    clinician = staff("clinician")
    url = reverse("notifications:reply_handled", args=[case.uuid, reply.pk])

    response = clinician.post(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('checklists:case_detail', args=[case.uuid])}#sms-replies"
    reply.refresh_from_db()
    assert reply.handled_by.username == "in-clinician" and reply.handled_at is not None
    assert asked_to_talk(clinician) == ""
    assert "Called back" in case_page(clinician, case) and "by in-clinician" in case_page(clinician, case)


def test_marking_a_text_twice_keeps_the_first_person(case, now, coordinator, clinician):
    reply = receive("2", now)

    reply_handled(reply=reply, user=coordinator, now=now)
    reply = reply_handled(reply=reply, user=clinician, now=now + dt.timedelta(hours=1))

    assert (reply.handled_by, reply.handled_at) == (coordinator, now)


def test_a_talk_reply_of_a_cancelled_case_or_unmatched_is_not_on_the_dashboard(case, config, now):
    receive("call me please", now)
    receive("call me please", now, phone=STRANGER)
    case = Case.objects.get(pk=case.pk)
    case_cancel(case=case, version=case.version, config=config)

    assert asked_to_talk(staff()) == ""


def test_the_dashboard_shows_no_panel_when_nobody_asked_to_talk(case, now):
    receive("1", now)  # confirmed nothing (no question), so it asks to talk...
    InboundSms.objects.update(handled_at=now)  # ...and was dealt with

    assert asked_to_talk(staff()) == ""


def test_called_back_is_refused_to_a_patient_a_visitor_and_a_get(case, config, now):
    reply = receive("2", now)
    url = reverse("notifications:reply_handled", args=[case.uuid, reply.pk])
    patient = verified_client(Client(), case, config)
    visitor = SignedInClient()
    visitor.force_login(UserFactory(username="visitor"))

    assert staff().get(url).status_code == 405
    assert Client().post(url).status_code == 302  # to the login page
    assert patient.post(url).status_code == 302
    assert visitor.post(url).status_code == 403
    reply.refresh_from_db()
    assert reply.handled_at is None


def test_called_back_refuses_a_text_of_another_case(case, config, now):
    other = store_case(config, "SMS-IN-2", start=next_start(days=9))
    reply = receive("2", now)

    response = staff().post(reverse("notifications:reply_handled", args=[other.uuid, reply.pk]))

    assert response.status_code == 302
    reply.refresh_from_db()
    assert reply.handled_at is None


@pytest.mark.parametrize("count", [1, 60])
def test_each_panel_costs_one_query_for_one_text_or_sixty(
    case, now, coordinator, django_assert_num_queries, count
):
    for minute in range(count):
        receive(f"question {minute}", now + dt.timedelta(minutes=minute))
    request = RequestFactory().get("/")
    request.user = coordinator

    with django_assert_num_queries(1):
        dashboard = asked_to_talk_panel(request)
    with django_assert_num_queries(1):
        page = sms_replies_panel(request, case)

    assert dashboard.count("<li ") == min(count, ASKED_TO_TALK_LIMIT)
    assert page.count("<tr data-reply=") == count


# --- The webhook ---------------------------------------------------------------------------------


def test_a_correctly_signed_text_is_stored_and_answered_with_empty_twiml(case, now):
    ask_day_before(case, now)
    fields = {"MessageSid": "SM" + "cd" * 16, "From": PHONE, "To": "+15550000000", "Body": "1"}

    response = inbound_post(fields)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert response.content.decode().endswith("<Response/>")
    reply = InboundSms.objects.get()
    assert (reply.provider_id, reply.case, reply.meaning, reply.body) == (
        fields["MessageSid"],
        case,
        "confirmed",
        "1",
    )


def test_a_retried_webhook_stores_the_text_once(case):
    fields = {"MessageSid": "SM" + "ef" * 16, "From": PHONE, "Body": "STOP"}

    assert inbound_post(fields).status_code == 200
    assert inbound_post(fields).status_code == 200

    assert InboundSms.objects.count() == 1
    assert SmsOptOut.objects.count() == 1


def test_a_forged_signature_is_refused_and_nothing_is_stored(case, settings):
    fields = {"MessageSid": "SM" + "01" * 16, "From": PHONE, "Body": "STOP"}
    settings.TWILIO_AUTH_TOKEN = "someone-elses-token"
    forged = sign(INBOUND_URL, fields)
    settings.TWILIO_AUTH_TOKEN = "webhook-token"

    assert inbound_post(fields, signature=forged).status_code == 403
    assert inbound_post(fields, signature="").status_code == 403
    assert not InboundSms.objects.exists() and not SmsOptOut.objects.exists()


def test_a_signed_request_without_a_message_id_is_refused(case):
    assert inbound_post({"From": PHONE, "Body": "STOP"}).status_code == 400
    assert not InboundSms.objects.exists()


def test_the_webhook_takes_only_posts():
    assert Client().get(reverse("notifications:sms_inbound")).status_code == 405
