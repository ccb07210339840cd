"""API tokens for other systems: shown once and stored hashed, scoped, revocable, rate-limited, and
every read through one logged like a staff view. The gate is tried on two tiny views served by
this module (`urlpatterns` below), as the FHIR views will use it."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re

import pytest
import time_machine
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.test import Client
from django.urls import include, path
from django.views.decorators.http import require_GET, require_POST

from checklists.models import AccessLog, Case
from fhir_r4.auth import fhir_access, token_create, token_for, token_revoke
from fhir_r4.models import ApiToken, RequestCount
from tests.factories import CaseFactory, SignedInClient, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]
NOW = dt.datetime(2026, 11, 18, 15, 0, 30, tzinfo=dt.UTC)


@require_GET
@fhir_access("read")
def read_case(request, case_uuid):
    request.case_shown = get_object_or_404(Case.objects.select_related("patient"), uuid=case_uuid)
    token = request.api_token
    return JsonResponse({"reference": request.case_shown.reference, "token": token and token.prefix})


@require_POST
@fhir_access("read_write")
def write_case(request, case_uuid):
    return HttpResponse(status=204)


fhir_patterns = [
    path("fhir/Case/<uuid:case_uuid>", read_case, name="read_case"),
    path("fhir/Case/<uuid:case_uuid>/write", write_case, name="write_case"),
]
urlpatterns = [path("", include((fhir_patterns, "fhir"))), path("", include("clinic.urls"))]


@pytest.fixture
def case():
    return CaseFactory(reference="T-1")


def _token(scope: str = "read", name: str = "Epic interface") -> tuple[ApiToken, str]:
    return token_create(name=name, scope=scope, user=None, now=NOW)


def _get(case, token: str | None = None, *, client: Client | None = None, ip: str = "10.0.0.1"):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return (client or Client()).get(f"/fhir/Case/{case.uuid}", headers=headers, REMOTE_ADDR=ip)


def _outcome_code(response) -> str:
    assert response["Content-Type"].startswith("application/fhir+json")
    body = json.loads(response.content)
    assert body["resourceType"] == "OperationOutcome"
    return body["issue"][0]["code"]


# --- Tokens --------------------------------------------------------------------------------------


def test_a_new_token_is_returned_once_and_only_its_hash_is_stored(admin_user):
    row, token = token_create(name="Epic interface", scope="read", user=admin_user, now=NOW)

    assert re.fullmatch(rf"pd_{row.prefix}_[A-Za-z0-9_-]{{43}}", token)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    secret = token.split("_", 2)[2]
    stored = [*ApiToken.objects.values(), *ApiToken.history.values()]
    assert len(stored) == 2
    assert not any(secret in str(value) for values in stored for value in values.values())


def test_a_revoked_token_stops_working_and_history_says_when():
    row, token = _token()

    token_revoke(token=row, now=NOW)
    token_revoke(token=row, now=NOW + dt.timedelta(hours=1))

    assert token_for(f"Bearer {token}", now=NOW) is None
    assert ApiToken.objects.get().revoked_at == NOW
    assert [h.revoked_at for h in ApiToken.history.order_by("history_id")] == [None, NOW]


def test_last_use_is_recorded_at_most_once_a_minute():
    row, token = _token()

    token_for(f"Bearer {token}", now=NOW)
    token_for(f"Bearer {token}", now=NOW + dt.timedelta(seconds=59))
    assert ApiToken.objects.get().last_used_at == NOW

    token_for(f"Bearer {token}", now=NOW + dt.timedelta(minutes=1))
    assert ApiToken.objects.get().last_used_at == NOW + dt.timedelta(minutes=1)
    assert ApiToken.history.count() == 1  # no history row for a use


def test_a_gate_with_an_unknown_scope_is_refused_when_written():
    with pytest.raises(ValueError):
        fhir_access("write")


# --- The gate ------------------------------------------------------------------------------------


def test_a_read_token_reads_a_case(case):
    row, token = _token()

    response = _get(case, token)

    assert response.status_code == 200
    assert response.json() == {"reference": "T-1", "token": row.prefix}
    assert ApiToken.objects.get().last_used_at is not None


def test_a_revoked_token_gets_401(case):
    row, token = _token()
    token_revoke(token=row, now=NOW)

    response = _get(case, token)

    assert response.status_code == 401 and _outcome_code(response) == "login"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not AccessLog.objects.exists()


@pytest.mark.parametrize(
    "header",
    [
        "Bearer {prefix_only}wrong-secret",
        "Bearer pd_00000000_wrong-secret",
        "Bearer not-a-token",
        "Bearer ",
        "Basic {token}",
    ],
)
def test_a_wrong_token_gets_401(case, header):
    row, token = _token()
    header = header.format(prefix_only=f"pd_{row.prefix}_", token=token)

    response = Client().get(f"/fhir/Case/{case.uuid}", headers={"Authorization": header})

    assert response.status_code == 401 and _outcome_code(response) == "login"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_read_token_may_not_call_a_read_write_view_and_a_read_write_token_may(case):
    _, read = _token("read")
    _, read_write = _token("read_write")
    url = f"/fhir/Case/{case.uuid}/write"

    refused = Client().post(url, headers={"Authorization": f"Bearer {read}"})
    written = Client(enforce_csrf_checks=True).post(url, headers={"Authorization": f"Bearer {read_write}"})

    assert refused.status_code == 403 and _outcome_code(refused) == "forbidden"
    assert written.status_code == 204  # no CSRF cookie needed: a token is not sent by a browser


def test_nobody_signed_out_gets_401_not_a_redirect(case):
    response = _get(case)

    assert response.status_code == 401 and _outcome_code(response) == "login"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not AccessLog.objects.exists()


def test_a_signed_in_coordinator_reads_without_a_token_logged_once_by_the_middleware(case, coordinator):
    client = SignedInClient()
    client.force_login(coordinator)

    response = _get(case, client=client)

    assert response.status_code == 200 and response.json()["token"] is None
    log = AccessLog.objects.get()
    assert (log.action, log.user, log.case) == ("fhir.read_case", coordinator, case)


def test_a_signed_in_user_who_is_not_staff_gets_403(case):
    client = SignedInClient()
    client.force_login(UserFactory(username="visitor"))

    response = _get(case, client=client)

    assert response.status_code == 403 and _outcome_code(response) == "forbidden"


def test_staff_writing_through_the_session_still_need_the_csrf_token(case, coordinator):
    client = SignedInClient(enforce_csrf_checks=True)
    client.force_login(coordinator)

    response = client.post(f"/fhir/Case/{case.uuid}/write")

    assert response.status_code == 403 and _outcome_code(response) == "forbidden"


# --- Rate limits ---------------------------------------------------------------------------------


def test_a_token_gets_429_after_its_requests_for_the_minute_and_again_the_next_minute(case, settings):
    settings.FHIR_TOKEN_RATE_PER_MINUTE = 3
    _, token = _token()

    with time_machine.travel(NOW, tick=False):
        answers = [_get(case, token).status_code for _ in range(4)]
        throttled = _get(case, token)
    with time_machine.travel(NOW + dt.timedelta(seconds=30), tick=False):
        next_minute = _get(case, token)

    assert answers == [200, 200, 200, 429]
    assert _outcome_code(throttled) == "throttled" and throttled["Retry-After"] == "30"
    assert next_minute.status_code == 200
    assert AccessLog.objects.count() == 4  # throttled requests read nothing


def test_the_count_is_shared_by_every_worker_through_the_database(case, settings):
    # Another worker process has already let this token make its 3 requests this minute.
    settings.FHIR_TOKEN_RATE_PER_MINUTE = 3
    row, token = _token()
    with time_machine.travel(NOW, tick=False):
        RequestCount.objects.create(name=f"token:{row.pk}", minute=int(NOW.timestamp()) // 60, hits=3)

        assert _get(case, token).status_code == 429


def test_counts_of_past_minutes_are_deleted_as_a_new_minute_starts(case):
    _, token = _token()
    with time_machine.travel(NOW, tick=False):
        _get(case, token)
        _get(case, "pd_00000000_guess")
    with time_machine.travel(NOW + dt.timedelta(minutes=2), tick=False):
        _get(case, token)

    assert list(RequestCount.objects.values_list("minute", "hits")) == [(int(NOW.timestamp()) // 60 + 2, 1)]


def test_refused_tokens_are_limited_per_address_even_the_right_token_then(case, settings):
    settings.FHIR_TOKEN_FAILURES_PER_MINUTE = 2
    _, token = _token()

    with time_machine.travel(NOW, tick=False):
        wrong = [_get(case, "pd_00000000_guess").status_code for _ in range(2)]
        blocked = _get(case, token)
        elsewhere = _get(case, token, ip="10.0.0.2")
    with time_machine.travel(NOW + dt.timedelta(minutes=1), tick=False):
        next_minute = _get(case, token)

    assert wrong == [401, 401]
    assert blocked.status_code == 429 and _outcome_code(blocked) == "throttled"
    assert blocked["Retry-After"] == "30"
    assert elsewhere.status_code == 200 and next_minute.status_code == 200


# --- The access log ------------------------------------------------------------------------------


def test_a_token_read_is_logged_once_naming_the_token(case):
    row, token = _token()

    _get(case, f"{token}")

    log = AccessLog.objects.get()
    assert log.action == f"fhir.api.read_case token {row.prefix} (Epic interface)"
    assert (log.user, log.case, log.patient_name) == (None, case, f"{case.patient.last_name}, Ann")
    assert log.path == f"/fhir/Case/{case.uuid}" and log.ip == "10.0.0.1"


def test_a_token_read_from_a_signed_in_browser_is_logged_once_as_the_token(case, coordinator):
    row, token = _token()
    client = SignedInClient()
    client.force_login(coordinator)

    _get(case, token, client=client)

    log = AccessLog.objects.get()
    assert log.user is None and row.prefix in log.action


def test_a_long_token_name_is_cut_to_fit_the_log(case):
    row, token = _token(name=("An interface engine with a very long descriptive name " * 2)[:80])

    _get(case, token)

    action = AccessLog.objects.get().action
    assert len(action) == AccessLog._meta.get_field("action").max_length
    assert action.startswith(f"fhir.api.read_case token {row.prefix} (An interface") and action.endswith("…)")


def test_a_refused_or_failed_token_request_is_not_logged(case):
    _, token = _token()

    Client().get(
        "/fhir/Case/00000000-0000-0000-0000-000000000000", headers={"Authorization": f"Bearer {token}"}
    )
    _get(case, "pd_00000000_guess")

    assert not AccessLog.objects.exists()


# --- The admin -----------------------------------------------------------------------------------


def test_the_admin_adds_a_token_and_is_shown_it_once(admin_client, admin_user):
    response = admin_client.post(
        "/admin/fhir_r4/apitoken/add/", {"name": "Epic interface", "scope": "read"}, follow=True
    )

    assert response.status_code == 200
    shown = re.findall(r"pd_[0-9a-f]{8}_[A-Za-z0-9_-]{43}", response.content.decode())
    row = ApiToken.objects.get()
    assert len(set(shown)) == 1 and "Copy it now: it is not shown again." in response.content.decode()
    assert hashlib.sha256(shown[0].encode()).hexdigest() == row.token_hash
    assert (row.name, row.scope, row.created_by) == ("Epic interface", "read", admin_user)
    assert row.token_hash not in response.content.decode()

    again = admin_client.get(f"/admin/fhir_r4/apitoken/{row.pk}/change/")
    assert shown[0] not in again.content.decode() and row.token_hash not in again.content.decode()
    assert shown[0] not in response.cookies.get("messages", "") and shown[0] not in str(admin_client.cookies)


def test_the_admin_lists_tokens_by_prefix_and_revokes_selected_ones(admin_client):
    row, _ = _token()
    kept, _ = _token(name="Lab system")

    listed = admin_client.get("/admin/fhir_r4/apitoken/")
    admin_client.post(
        "/admin/fhir_r4/apitoken/", {"action": "revoke", "_selected_action": [row.pk]}, follow=True
    )

    assert row.prefix in listed.content.decode() and row.token_hash not in listed.content.decode()
    assert ApiToken.objects.get(pk=row.pk).revoked_at is not None
    assert ApiToken.objects.get(pk=kept.pk).revoked_at is None
