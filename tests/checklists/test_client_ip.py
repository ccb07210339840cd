"""The real client address behind a trusted reverse proxy, and only then: for the login lockout
and the access log (a forged X-Forwarded-For from anywhere else is ignored)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from checklists.client_ip import client_ip
from checklists.models import AccessLog
from tests.factories import StaffFactory

PROXY = "10.0.0.5"


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXIES = [PROXY, "10.1.0.0/16"]


def ip(remote: str, forwarded: str | None = None) -> str | None:
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return client_ip(RequestFactory().get("/", REMOTE_ADDR=remote, **extra))


def test_without_trusted_proxies_the_connecting_address_is_the_client(settings):
    settings.TRUSTED_PROXIES = []
    assert ip("203.0.113.7", forwarded="198.51.100.1") == "203.0.113.7"


@pytest.mark.usefixtures("behind_proxy")
def test_through_a_trusted_proxy_the_forwarded_client_is_used():
    assert ip(PROXY, forwarded="203.0.113.7") == "203.0.113.7"
    # The client may send its own header: only the hop the trusted proxies appended counts.
    assert ip(PROXY, forwarded="1.2.3.4, 203.0.113.7, 10.1.4.4") == "203.0.113.7"
    assert ip(PROXY, forwarded="not-an-address") == PROXY
    assert ip(PROXY) == PROXY


@pytest.mark.usefixtures("behind_proxy")
def test_a_forged_header_from_an_untrusted_address_is_ignored():
    assert ip("203.0.113.7", forwarded="198.51.100.1") == "203.0.113.7"


@pytest.mark.django_db
@pytest.mark.usefixtures("behind_proxy")
def test_a_lockout_behind_the_proxy_locks_the_attacker_not_everyone_using_the_proxy(client):
    StaffFactory(username="cora", raw_password="right-password-123")
    attacker = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.66"}
    colleague = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "198.51.100.9"}
    for _ in range(5):
        client.post("/accounts/login/", {"username": "cora", "password": "wrong"}, **attacker)

    locked = client.post(
        "/accounts/login/", {"username": "cora", "password": "right-password-123"}, **attacker
    )
    allowed = client.post(
        "/accounts/login/", {"username": "cora", "password": "right-password-123"}, **colleague
    )

    assert "Too many failed log-in attempts" in locked.content.decode()
    assert allowed.status_code == 302
    client.get("/dashboard/", **colleague)
    assert AccessLog.objects.get(action="dashboard").ip == "198.51.100.9"
