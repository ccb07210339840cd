"""Two-factor sign-in (issue 11): an authenticator app (TOTP) after the password, mandatory for
admins and clinicians, optional for coordinators unless the clinic makes it the rule, backup codes,
and the demo logins exempt only while DEBUG is on. Every sign-in here goes through the real login
page with a plain `Client` (the suite's own client skips both factors)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from checklists.models import AccessLog, SignOff
from checklists.permissions import DEMO_GROUP
from tests.factories import CaseFactory, StaffFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery-9"
NOW = dt.datetime(2026, 11, 18, 14, 0, 5, tzinfo=dt.UTC)
SETUP = reverse("two_factor:setup")
VERIFY = reverse("two_factor:verify")
MANAGE = reverse("two_factor:manage")


@pytest.fixture
def frozen():
    """TOTP codes follow the clock: hold it still, and move it on by hand."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def staff(username: str, role: str = "clinician", **kw):
    return StaffFactory(username=username, role=role, raw_password=PASSWORD, **kw)


def password_sign_in(username: str, next_url: str = "") -> tuple[Client, str]:
    """A browser that typed the right password: the client and where it was sent."""
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD, "next": next_url})
    assert response.status_code == 302, response.content.decode()[:500]
    return client, client.get(response.url).get("Location", "")


def app_code(device: TOTPDevice, *, steps_later: int = 0) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift + steps_later):06d}"


def set_up_app(client: Client, user) -> tuple[TOTPDevice, list[str]]:
    """Open the setup page, answer with the app's code; the device and the backup codes shown."""
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=user)
    page = client.post(SETUP, {"code": app_code(device), "next": "/dashboard/"}).content.decode()
    codes = re.findall(r'<li class="col py-1">([a-z2-7]{4} [a-z2-7]{4})</li>', page)
    return device, codes


def test_a_clinician_with_a_password_alone_sees_no_patient_data_and_is_sent_to_set_up(frozen):
    staff("dr.kim")
    case = CaseFactory()
    case_url = reverse("checklists:case_detail", args=[case.uuid])

    client, sent_to = password_sign_in("dr.kim", next_url=case_url)

    assert sent_to == f"{SETUP}?next={case_url.replace('/', '%2F')}"
    for url in (case_url, "/dashboard/", "/schedule/", "/admin/", MANAGE, reverse("password_change")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(SETUP), url
    htmx = client.post(
        reverse("checklists:case_signoff_record", args=[case.uuid]),
        {"item": "labs_reviewed"},
        HTTP_HX_REQUEST="true",
    )
    assert htmx["HX-Redirect"].startswith(SETUP)
    assert not AccessLog.objects.exists()
    assert not SignOff.objects.exists()


def test_setting_up_shows_a_qr_code_and_the_key_and_a_right_code_turns_it_on(frozen):
    user = staff("dr.kim")
    client, _ = password_sign_in("dr.kim")

    page = client.get(SETUP).content.decode()
    device = TOTPDevice.objects.get(user=user)
    assert "<svg" in page and "It is required for clinicians." in page
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1)
    assert len(secret.replace(" ", "")) == 32
    assert client.get(SETUP).content.decode().count(secret) == 1  # same key on a reload: no re-scan

    wrong = client.post(SETUP, {"code": "000000"})
    assert "That code is not right" in wrong.content.decode()
    assert not TOTPDevice.objects.get(user=user).confirmed

    frozen.shift(2)  # past the one-second pause after a wrong code
    _, codes = set_up_app(client, user)

    assert TOTPDevice.objects.get(user=user).confirmed
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/dashboard/").status_code == 200
    assert device.pk == TOTPDevice.objects.get(user=user).pk


def test_next_sign_in_asks_for_the_apps_code_and_lands_on_the_page_asked_for(frozen):
    user = staff("dr.kim")
    case = CaseFactory()
    setup_client, _ = password_sign_in("dr.kim")
    device, _ = set_up_app(setup_client, user)
    frozen.shift(30)
    case_url = reverse("checklists:case_detail", args=[case.uuid])

    client, sent_to = password_sign_in("dr.kim", next_url=case_url)
    assert sent_to.startswith(VERIFY)
    assert client.get(case_url)["Location"].startswith(VERIFY)
    answer = client.post(sent_to, {"code": app_code(device), "next": case_url})

    assert answer["Location"] == case_url
    assert client.get(case_url).status_code == 200
    assert AccessLog.objects.filter(action="case.view", user=user).count() == 1


def test_a_code_works_once_and_a_code_from_the_next_half_minute_works_after_it(frozen):
    user = staff("dr.kim")
    device, _ = set_up_app(password_sign_in("dr.kim")[0], user)
    code = app_code(device)  # the code that set the app up: already used

    client, verify_url = password_sign_in("dr.kim")
    refused = client.post(verify_url, {"code": code})

    assert "That code is not right" in refused.content.decode()
    frozen.shift(30)
    device.refresh_from_db()
    assert client.post(verify_url, {"code": app_code(device)})["Location"] == "/dashboard/"


def test_wrong_codes_make_the_next_try_wait_longer_each_time(frozen):
    user = staff("dr.kim")
    device, _ = set_up_app(password_sign_in("dr.kim")[0], user)
    frozen.shift(30)
    client, verify_url = password_sign_in("dr.kim")

    client.post(verify_url, {"code": "111111"})
    locked = client.post(verify_url, {"code": app_code(device)}).content.decode()
    assert "Too many wrong codes. Wait 1 second, then try the newest code." in locked

    frozen.shift(2)
    client.post(verify_url, {"code": "222222"})
    assert "Wait 2 seconds" in client.post(verify_url, {"code": app_code(device)}).content.decode()

    frozen.shift(3)
    assert client.post(verify_url, {"code": app_code(device)})["Location"] == "/dashboard/"


def test_a_backup_code_signs_in_once_and_says_how_many_are_left(frozen):
    user = staff("dr.kim")
    _, codes = set_up_app(password_sign_in("dr.kim")[0], user)

    client, verify_url = password_sign_in("dr.kim")
    answer = client.post(verify_url, {"code": codes[0].upper().replace(" ", "-")}, follow=True)

    assert answer.redirect_chain[-1][0] == "/dashboard/"
    assert "You signed in with a backup code; 9 left." in answer.content.decode()
    again, verify_url = password_sign_in("dr.kim")
    frozen.shift(5)
    assert "That code is not right" in again.post(verify_url, {"code": codes[0]}).content.decode()
    assert StaticToken.objects.filter(device__user=user).count() == 9


def test_new_backup_codes_replace_the_old_ones(frozen):
    user = staff("dr.kim")
    setup_client, _ = password_sign_in("dr.kim")
    _, old = set_up_app(setup_client, user)

    page = setup_client.post(reverse("two_factor:backup_codes")).content.decode()
    new = re.findall(r'<li class="col py-1">([a-z2-7]{4} [a-z2-7]{4})</li>', page)

    assert len(new) == 10 and not set(new) & set(old)
    assert "Your earlier backup codes no longer work." in page
    client, verify_url = password_sign_in("dr.kim")
    assert "That code is not right" in client.post(verify_url, {"code": old[1]}).content.decode()


def test_the_setup_page_cannot_replace_an_app_before_the_code_is_given(frozen):
    """Otherwise a stolen password alone could enrol the thief's phone."""
    user = staff("dr.kim")
    set_up_app(password_sign_in("dr.kim")[0], user)

    client, verify_url = password_sign_in("dr.kim")
    assert client.get(SETUP)["Location"].startswith(VERIFY)
    assert client.post(SETUP, {"code": "123456"})["Location"].startswith(VERIFY)
    assert client.post(reverse("two_factor:disable"))["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=user).count() == 1


def test_an_admin_must_set_it_up_before_the_admin_site_opens(frozen):
    StaffFactory(username="root", raw_password=PASSWORD, is_superuser=True, is_staff=True, role=())

    client, sent_to = password_sign_in("root", next_url="/admin/")

    assert sent_to.startswith(SETUP)
    assert client.get("/admin/")["Location"].startswith(SETUP)
    assert client.get("/admin/checklists/accesslog/")["Location"].startswith(SETUP)


def test_a_coordinator_may_sign_in_with_a_password_and_choose_two_factor(frozen):
    user = staff("cora", role="coordinator")

    client, sent_to = password_sign_in("cora")
    assert sent_to == ""  # the dashboard answered: nothing owed
    manage = client.get(MANAGE).content.decode()
    assert "Off: you sign in with your password alone." in manage

    set_up_app(client, user)
    assert "Turn off" in client.get(MANAGE).content.decode()
    frozen.shift(30)
    again, sent_to = password_sign_in("cora")
    assert sent_to.startswith(VERIFY)  # chosen once, asked every time

    client.post(reverse("two_factor:disable"))
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not StaticToken.objects.filter(device__user=user).exists()
    assert password_sign_in("cora")[1] == ""


def test_the_clinic_can_make_it_the_rule_for_every_coordinator(frozen, settings):
    settings.TWO_FACTOR_FOR_ALL_STAFF = True
    staff("cora", role="coordinator")

    client, sent_to = password_sign_in("cora")

    assert sent_to.startswith(SETUP)
    assert "The clinic requires it for all staff." in client.get(SETUP).content.decode()


def test_a_clinician_cannot_turn_it_off(frozen):
    user = staff("dr.kim")
    client, _ = password_sign_in("dr.kim")
    set_up_app(client, user)

    answer = client.post(reverse("two_factor:disable"), follow=True).content.decode()

    assert "cannot be turned off for you. It is required for clinicians." in answer
    assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    assert "Turn off</button>" not in client.get(MANAGE).content.decode()


@pytest.mark.parametrize(("debug", "owes_setup"), [(True, False), (False, True)])
def test_the_demo_logins_are_exempt_only_while_debug_is_on(frozen, settings, debug, owes_setup):
    settings.DEBUG = debug
    user = staff("clinician")
    user.groups.add(Group.objects.create(name=DEMO_GROUP))

    _, sent_to = password_sign_in("clinician")

    assert sent_to.startswith(SETUP) is owes_setup


def test_after_the_code_a_page_on_another_site_is_never_the_next_stop(frozen):
    user = staff("dr.kim")
    device, _ = set_up_app(password_sign_in("dr.kim")[0], user)
    frozen.shift(30)
    client, verify_url = password_sign_in("dr.kim")

    answer = client.post(VERIFY, {"code": app_code(device), "next": "https://evil.example/"})

    assert answer["Location"] == "/dashboard/"


def test_the_session_key_changes_when_the_code_is_given(frozen):
    user = staff("dr.kim")
    device, _ = set_up_app(password_sign_in("dr.kim")[0], user)
    frozen.shift(30)
    client, verify_url = password_sign_in("dr.kim")
    before = client.cookies["sessionid"].value

    client.post(verify_url, {"code": app_code(device)})

    assert client.cookies["sessionid"].value != before


def test_a_half_signed_in_staff_member_can_still_open_a_patient_link_and_log_out(frozen):
    staff("dr.kim")
    client, _ = password_sign_in("dr.kim")

    assert client.get(reverse("intake:start")).status_code == 200
    assert client.get(reverse("healthz")).status_code == 200
    assert client.post(reverse("logout"))["Location"] == reverse("login")


def test_an_admin_resets_a_lost_phone_without_ever_seeing_a_key_or_a_backup_code(frozen, admin_client):
    user = staff("dr.kim")
    device, codes = set_up_app(password_sign_in("dr.kim")[0], user)
    sheet = StaticToken.objects.filter(device__user=user).first().device

    app_page = admin_client.get(
        reverse("admin:otp_totp_totpdevice_change", args=[device.pk])
    ).content.decode()
    codes_page = admin_client.get(
        reverse("admin:otp_static_staticdevice_change", args=[sheet.pk])
    ).content.decode()

    assert device.key not in app_page and not any(code.replace(" ", "") in codes_page for code in codes)
    assert admin_client.get(reverse("admin:otp_totp_totpdevice_config", args=[device.pk])).status_code == 403
    assert admin_client.get(reverse("admin:otp_totp_totpdevice_add")).status_code == 403
    admin_client.post(reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"})
    admin_client.post(reverse("admin:otp_static_staticdevice_delete", args=[sheet.pk]), {"post": "yes"})
    assert password_sign_in("dr.kim")[1].startswith(SETUP)  # sets up the new phone at next sign-in
