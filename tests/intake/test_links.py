"""The patient's intake link: random and hashed, expiring, revocable, locked after five wrong
dates of birth, and sent, re-sent and revoked by staff from the case page."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from checklists.models import AccessLog, Case, Patient
from intake import services as intake_services
from intake.models import IntakeLink
from notifications.models import Notification
from tests.intake.support import DOB_FORM, issue, next_start, store_case

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 16, 15, 0, tzinfo=dt.UTC)  # a Monday


@pytest.fixture
def staff_user(coordinator):
    return coordinator


def _page_text(response) -> str:
    """The page without its per-request CSRF tokens, for comparing two responses."""
    return re.sub(r'(csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]+"', "", response.content.decode())


def _wrong(client, n: int = 1):
    for _ in range(n):
        response = client.post("/intake/", {"day": "1", "month": "1", "year": "1950"})
    return response


# --- The token -----------------------------------------------------------------------------------


def test_a_token_is_random_long_and_only_its_hash_is_stored(config, client, staff_user):
    case = store_case(config, start=next_start())
    client.force_login(staff_user)

    client.post(reverse("intake:link_send", args=[case.uuid]))
    first_url = mail.outbox[0].body.split("/i/")[1].split("/")[0]
    client.post(reverse("intake:link_send", args=[case.uuid]), {"again": "1"})
    second_url = mail.outbox[1].body.split("/i/")[1].split("/")[0]

    assert first_url != second_url
    assert len(first_url) >= 43  # 32 random bytes, URL-safe base64: 256 bits
    link = IntakeLink.objects.filter(revoked_at__isnull=True).get()
    assert link.token_hash == hashlib.sha256(second_url.encode()).hexdigest()
    # Stored nowhere in plain: not on the link, not in the outbox's copy of the email.
    for token in (first_url, second_url):
        assert not IntakeLink.objects.filter(token_hash__contains=token).exists()
        assert not Notification.objects.filter(body_text__contains=token).exists()
        assert not Notification.objects.filter(body_html__contains=token).exists()
        assert not IntakeLink.history.filter(token_hash=token).exists()


def test_a_link_for_a_scheduled_case_works_until_the_end_of_the_procedure_day_in_clinic_time(
    config, settings
):
    settings.CLINIC_TIME_ZONE = "America/New_York"
    from checklists.selectors.catalogue import load_rule_config

    config = load_rule_config()
    start = dt.datetime(2026, 11, 20, 14, 0, tzinfo=dt.UTC)  # Friday 09:00 in New York
    case = store_case(config, start=start)

    link, _ = intake_services.intake_link_issue(case=case, user=None, now=NOW, config=config)

    # 23:59:59 on Friday in New York is 04:59:59 UTC on Saturday.
    assert link.expires_at == dt.datetime(2026, 11, 21, 4, 59, 59, tzinfo=dt.UTC)


def test_a_link_for_an_unscheduled_case_works_for_fourteen_days_or_the_clinics_setting(config, settings):
    case = store_case(config)

    link, _ = intake_services.intake_link_issue(case=case, user=None, now=NOW, config=config)
    assert link.expires_at == NOW + dt.timedelta(days=14)

    settings.INTAKE_LINK_UNSCHEDULED_DAYS = 3
    link, _ = intake_services.intake_link_issue(case=case, user=None, now=NOW, config=config)
    assert link.expires_at == NOW + dt.timedelta(days=3)


def test_an_expired_link_opens_nothing(config, client):
    case = store_case(config)
    with time_machine.travel(NOW, tick=False):
        token = issue(case, config, now=NOW)
    with time_machine.travel(NOW + dt.timedelta(days=14, seconds=1), tick=False):
        response = client.get(f"/i/{token}/", follow=True)
        assert "This link is not working" in response.content.decode()
        assert "Date of birth" not in response.content.decode()
        # Nor does a session that opened it in time go on working after it expires.
    with time_machine.travel(NOW + dt.timedelta(days=13), tick=False):
        client.get(f"/i/{token}/")
        client.post("/intake/", DOB_FORM)
        assert client.get("/intake/about/").status_code == 200
    with time_machine.travel(NOW + dt.timedelta(days=14, seconds=1), tick=False):
        response = client.get("/intake/about/", follow=True)
        assert "This link is not working" in response.content.decode()


def test_a_revoked_link_stops_working_even_mid_intake(config, client, staff_user):
    case = store_case(config, start=next_start())
    token = issue(case, config)
    client.get(f"/i/{token}/")
    client.post("/intake/", DOB_FORM)
    assert client.get("/intake/about/").status_code == 200

    intake_services.intake_link_revoke(case=case, now=dt.datetime.now(dt.UTC))

    response = client.get("/intake/about/", follow=True)
    assert "This link is not working" in response.content.decode()
    response = client.get(f"/i/{token}/", follow=True)
    assert "This link is not working" in response.content.decode()


def test_issuing_a_new_link_stops_the_old_one(config, client):
    case = store_case(config, start=next_start())
    old = issue(case, config)
    new = issue(case, config)

    assert "This link is not working" in client.get(f"/i/{old}/", follow=True).content.decode()
    assert "Date of birth" in client.get(f"/i/{new}/", follow=True).content.decode()
    assert IntakeLink.objects.filter(case=case, revoked_at__isnull=True).count() == 1


def test_unknown_expired_and_revoked_links_show_the_very_same_page(config, client):
    expired_case = store_case(config, "P-EXP")
    revoked_case = store_case(config, "P-REV", start=next_start())
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=20)
    expired = issue(expired_case, config, now=past)
    revoked = issue(revoked_case, config)
    intake_services.intake_link_revoke(case=revoked_case, now=dt.datetime.now(dt.UTC))

    pages = []
    for token in ("x" * 43, expired, revoked):
        response = client.get(f"/i/{token}/")
        assert response.status_code == 302 and response.url == "/intake/"
        pages.append(client.get("/intake/"))
    assert {p.status_code for p in pages} == {200}
    assert _page_text(pages[0]) == _page_text(pages[1]) == _page_text(pages[2])
    assert "This link is not working" in pages[0].content.decode()
    assert "Margaret" not in pages[0].content.decode()


def test_the_token_moves_into_the_session_and_the_url_without_it_is_shown(config, client):
    case = store_case(config, start=next_start())
    token = issue(case, config)
    client.get("/intake/")  # a session before the link is opened
    before = client.session.session_key

    response = client.get(f"/i/{token}/")

    assert response.status_code == 302
    assert response.url == "/intake/" and token not in response.url
    assert client.session.session_key != before  # a new session key for the link
    assert token not in str(dict(client.session.items()))
    page = client.get(response.url)
    assert "Date of birth" in page.content.decode() and token not in page.content.decode()
    assert page["Cache-Control"].startswith("max-age=0")


# --- Date of birth -------------------------------------------------------------------------------


def test_the_right_date_of_birth_opens_the_intake_and_clears_earlier_mistakes(config, client):
    case = store_case(config, start=next_start())
    token = issue(case, config)
    client.get(f"/i/{token}/")
    response = _wrong(client, 2)
    assert "You have 3 more tries" in response.content.decode()

    response = client.post("/intake/", DOB_FORM)

    assert response.status_code == 302 and response.url == "/intake/about/"
    link = IntakeLink.objects.get()
    assert link.verified_at is not None and link.failed_attempts == 0
    assert "Margaret" in client.get("/intake/about/").content.decode()


def test_an_impossible_date_is_explained_and_not_counted_as_a_try(config, client):
    case = store_case(config, start=next_start())
    client.get(f"/i/{issue(case, config)}/")

    response = client.post("/intake/", {"day": "31", "month": "2", "year": "1948"})

    assert "That date does not exist" in response.content.decode()
    assert 'aria-describedby="dob-hint dob-error"' in response.content.decode()
    assert IntakeLink.objects.get().failed_attempts == 0


def test_five_wrong_dates_of_birth_lock_the_link_and_tell_the_coordinators(config, client, staff_user):
    case = store_case(config, start=next_start())
    token = issue(case, config)
    client.get(f"/i/{token}/")

    response = _wrong(client, 4)
    assert "You have 1 more try" in response.content.decode()
    response = _wrong(client)

    assert "This link is locked" in response.content.decode()
    assert "call the clinic" in response.content.decode()
    link = IntakeLink.objects.get()
    assert link.locked_at is not None and link.failed_attempts == 5
    # The right date now changes nothing, in this session or a new one.
    assert "This link is locked" in client.post("/intake/", DOB_FORM).content.decode()
    client.cookies.clear()
    assert "This link is locked" in client.get(f"/i/{token}/", follow=True).content.decode()
    assert client.get("/intake/about/").url == "/intake/"
    notice = Notification.objects.get(kind="link_locked")
    assert (notice.case, notice.recipient) == (case, "cora@clinic.example")
    assert notice.status == Notification.Status.SENT
    assert any("locked" in m.subject for m in mail.outbox)

    # The case page shows the lock; a new link works again.
    client.force_login(staff_user)
    page = client.get(reverse("checklists:case_detail", args=[case.uuid])).content.decode()
    assert "Locked</strong> after 5 wrong dates of birth" in page
    new = issue(case, config)
    client.logout()
    client.get(f"/i/{new}/")
    assert client.post("/intake/", DOB_FORM).status_code == 302


# --- Staff: send, re-send, revoke -----------------------------------------------------------------


def test_staff_send_the_link_by_email_in_the_patients_language_and_see_it_once(config, client, staff_user):
    case = store_case(config, start=next_start(), language="es")
    client.force_login(staff_user)

    response = client.post(reverse("intake:link_send", args=[case.uuid]), follow=True)

    page = response.content.decode()
    assert response.redirect_chain == [(f"/cases/{case.uuid}/intake-link/sent/", 302)]
    url = re.search(r"http://testserver/i/[\w-]+/", page).group(0)
    assert "Emailed to margaret@example.org" in page
    assert page.count(url) == 2  # the link, and its text; never in a message
    assert url not in str(dict(client.session))  # dropped from the session once shown
    (email,) = mail.outbox
    assert email.to == ["margaret@example.org"]
    assert url in email.body and "Fecha" not in email.subject
    assert "Sus preguntas antes del procedimiento" in email.subject
    assert "Se le pedirá su fecha de nacimiento" in email.body
    assert '<html lang="es">' in email.alternatives[0].content  # the HTML part says its language
    notification = Notification.objects.get(kind="intake_invitation")
    assert (notification.language, notification.status) == ("es", Notification.Status.SENT)
    assert AccessLog.objects.filter(action="intake.link_send", case=case).exists()
    # The full link works for the patient.
    client.logout()
    assert (
        "Fecha de nacimiento"
        in client.get(url.replace("http://testserver", ""), follow=True).content.decode()
    )


def test_a_patient_without_email_gets_a_link_to_read_out_by_phone(config, client, staff_user):
    case = store_case(config, start=next_start(), email=None)
    client.force_login(staff_user)

    response = client.post(reverse("intake:link_send", args=[case.uuid]), follow=True)

    assert (
        "No email address or number agreed to texts on file: read the link out" in response.content.decode()
    )
    assert "/i/" in response.content.decode()
    assert mail.outbox == [] and not Notification.objects.exists()


def test_a_patient_who_agreed_to_texts_gets_the_link_by_text_and_the_outbox_keeps_no_link(
    config, client, staff_user, sms_outbox
):
    case = store_case(config, start=next_start(), email=None)
    Patient.objects.update(message_channel="sms", sms_confirmed_phone="+15550100001")
    client.force_login(staff_user)

    page = client.post(reverse("intake:link_send", args=[case.uuid]), follow=True).content.decode()

    [text] = sms_outbox
    assert text.to == "+15550100001" and "/i/" in text.body
    assert "Texted to +15550100001 in English." in page
    row = Notification.objects.get()
    assert (row.channel, row.kind) == ("sms", "intake_invitation") and "/i/" not in row.body_text


def test_refreshing_the_sent_page_sends_nothing_and_a_quick_second_send_asks_first(
    config, client, staff_user
):
    case = store_case(config, start=next_start())
    client.force_login(staff_user)
    sent = client.post(reverse("intake:link_send", args=[case.uuid]))
    link = IntakeLink.objects.get()

    assert "/i/" in client.get(sent.url).content.decode()  # shown once ...
    refreshed = client.get(sent.url).content.decode()  # ... and the browser's refresh: a GET
    double = client.post(reverse("intake:link_send", args=[case.uuid]), follow=True).content.decode()

    assert 'data-link-shown="already"' in refreshed and "/i/" not in refreshed
    assert "The intake link was sent just now" in double and "Send again anyway" in double
    assert len(mail.outbox) == 1
    assert IntakeLink.objects.get() == link and link.revoked_at is None  # the emailed link still works

    client.post(reverse("intake:link_send", args=[case.uuid]), {"again": "1"})
    assert len(mail.outbox) == 2 and IntakeLink.objects.filter(revoked_at__isnull=True).count() == 1


def test_a_link_a_command_printed_moments_ago_is_replaced_without_asking(config, client, staff_user):
    case = store_case(config, start=next_start())
    issue(case, config)  # as seed_demo does: printed in a terminal, never sent to the patient
    client.force_login(staff_user)

    page = client.get(reverse("checklists:case_detail", args=[case.uuid])).content.decode()
    client.post(reverse("intake:link_send", args=[case.uuid]))

    assert "by a command;\n      not emailed." in page
    assert "Send a new link" in page and "Send again anyway" not in page
    assert len(mail.outbox) == 1


def test_staff_revoke_the_link_from_the_case_page(config, client, staff_user):
    case = store_case(config, start=next_start())
    token = issue(case, config)
    client.force_login(staff_user)

    response = client.post(reverse("intake:link_revoke", args=[case.uuid]), follow=True)

    assert "Intake link revoked" in response.content.decode()
    assert "Revoked</strong>" in response.content.decode()
    client.logout()
    assert "This link is not working" in client.get(f"/i/{token}/", follow=True).content.decode()


def test_only_logged_in_staff_can_send_or_revoke(config, client, django_user_model):
    case = store_case(config, start=next_start())
    for name in ("link_send", "link_revoke"):
        url = reverse(f"intake:{name}", args=[case.uuid])
        response = client.post(url)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    client.force_login(django_user_model.objects.create_user("visitor", password="unused-1"))
    assert client.post(reverse("intake:link_send", args=[case.uuid])).status_code == 403
    assert not IntakeLink.objects.exists()
    assert client.get(reverse("intake:link_send", args=[case.uuid])).status_code in (403, 405)


def test_a_cancelled_case_gets_no_link_and_its_link_stops(config, client, staff_user):
    case = store_case(config, start=next_start())
    token = issue(case, config)
    Case.objects.filter(pk=case.pk).update(status=Case.Status.CANCELLED)
    client.force_login(staff_user)

    response = client.post(reverse("intake:link_send", args=[case.uuid]), follow=True)

    assert "no intake link can be sent" in response.content.decode()
    client.logout()
    assert "This link is not working" in client.get(f"/i/{token}/", follow=True).content.decode()


def test_the_case_page_shows_the_link_state_and_the_outbox(config, client, staff_user):
    case = store_case(config, start=next_start())
    client.force_login(staff_user)
    page = client.get(reverse("checklists:case_detail", args=[case.uuid])).content.decode()
    assert "No link sent yet." in page and "No messages for this case yet." in page

    client.post(reverse("intake:link_send", args=[case.uuid]))
    page = client.get(reverse("checklists:case_detail", args=[case.uuid])).content.decode()

    assert "<strong>Active</strong> until" in page and "not opened yet" in page
    assert 'data-kind="intake_invitation"' in page and "<td>Intake link (invitation)</td>" in page
    assert "by cora;\n      emailed to margaret@example.org (sent)." in page
    assert ">Sent<" in page
    assert "Send again anyway" in page and "Revoke the link" in page  # sent moments ago: asks first


def test_the_case_page_says_a_link_for_reading_out_was_not_emailed_and_lists_the_lock_notice(
    config, client, staff_user
):
    case = store_case(config, start=next_start(), email=None)
    client.force_login(staff_user)
    sent = client.post(reverse("intake:link_send", args=[case.uuid]), follow=True).content.decode()
    token = re.search(r"/i/([\w-]+)/", sent).group(1)  # read out to the patient
    client.logout()
    client.get(f"/i/{token}/")
    _wrong(client, 5)

    client.force_login(staff_user)
    page = client.get(reverse("checklists:case_detail", args=[case.uuid])).content.decode()

    assert "not emailed: no email address on file, so it is read out to the patient by phone." in page
    assert "emailed to" not in page and "No messages for this case yet." not in page
    assert "<td>Intake link locked (to the coordinator)</td><td>cora@clinic.example</td>" in page


def test_seed_demo_prints_a_working_patient_link(run_command, client):
    result = run_command("seed_demo")

    match = re.search(r"http://127\.0\.0\.1:8000(/i/[\w-]+/)", result.stdout)
    assert match, result.stdout
    dob = re.search(r"date of birth (\d{4})-(\d\d)-(\d\d)", result.stdout)
    year, month, day = dob.groups()
    client.get(match.group(1))
    response = client.post("/intake/", {"day": day, "month": str(int(month)), "year": year})
    assert response.status_code == 302 and response.url.startswith("/intake/")
    # Run again: a fresh link, and the previous one stops working.
    second = run_command("seed_demo")
    assert re.search(r"/i/[\w-]+/", second.stdout).group(0) != match.group(1)


def test_opening_a_patient_link_in_a_staff_browser_does_not_lengthen_the_staff_idle_limit(
    config, client, staff_user, settings
):
    case = store_case(config, start=next_start())
    client.force_login(staff_user)
    client.get(f"/i/{issue(case, config)}/")
    client.post("/intake/", DOB_FORM)  # the patient's session would idle for 60 minutes

    client.get(reverse("checklists:dashboard"))

    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert client.session.get_expiry_age() == 30 * 60
