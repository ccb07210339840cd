"""Who may call the FHIR API: another system with an API token, or signed-in staff.

Tokens (`pd_<prefix>_<secret>`) are created by an admin and shown once; only their SHA-256 hash is
stored. `fhir_access(scope)` guards each FHIR view: a request with an `Authorization` header is
judged by its token alone (rate-limited per token, failed attempts rate-limited per client
address, counted in the database so every worker shares one count), one without falls back to
the staff session. Refusals are FHIR OperationOutcomes, never a redirect to the login page: the
caller is a program.

Every token read of patient data lands in the access log once, written here: the access-log
middleware logs signed-in staff only, and a token request is anonymous to it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import timezone

from checklists.client_ip import client_ip
from checklists.models import AccessLog, Case
from checklists.permissions import is_staff_member
from checklists.services.access_log import access_log_record
from fhir_r4.models import PREFIX_LENGTH, ApiToken, RequestCount

FHIR_JSON = "application/fhir+json"
TOKEN_START = "pd"
WINDOW_SECONDS = 60
ACTION_MAX = AccessLog._meta.get_field("action").max_length


# --- Tokens --------------------------------------------------------------------------------------


def token_hash(token: str) -> str:
    """The only form in which a token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_create(
    *, name: str, scope: str, user: AbstractBaseUser | None, now: dt.datetime
) -> tuple[ApiToken, str]:
    """A new token for a system; returns the row and the token itself, which is shown once."""
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    while ApiToken.objects.filter(prefix=prefix).exists():  # 1 in 4 billion, but unique
        prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    token = f"{TOKEN_START}_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiToken(
        name=name, prefix=prefix, token_hash=token_hash(token), scope=scope, created_at=now, created_by=user
    )
    row.full_clean()
    row.save()
    return row, token


def token_revoke(*, token: ApiToken, now: dt.datetime) -> ApiToken:
    """Stop the token working (for good; history records who and when). Revoking twice keeps the
    first moment."""
    if token.revoked_at is None:
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
    return token


def token_for(header_value: str, *, now: dt.datetime) -> ApiToken | None:
    """The working token an `Authorization: Bearer pd_…` header carries, or None (malformed,
    unknown, revoked). Its last use is recorded, at most once a minute."""
    scheme, _, token = header_value.strip().partition(" ")
    token = token.strip()
    start, _, rest = token.partition("_")
    prefix, _, secret = rest.partition("_")
    if scheme.lower() != "bearer" or start != TOKEN_START or len(prefix) != PREFIX_LENGTH or not secret:
        return None
    row = ApiToken.objects.filter(prefix=prefix).first()
    if (
        row is None
        or not hmac.compare_digest(row.token_hash, token_hash(token))
        or row.revoked_at is not None
    ):
        return None
    if row.last_used_at is None or now - row.last_used_at >= dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        row.last_used_at = now
    return row


# --- The gate ------------------------------------------------------------------------------------


def fhir_access(scope: str) -> Callable:
    """Guard a FHIR view: `@fhir_access("read")` or `@fhir_access("read_write")`.

    With an `Authorization` header the token alone decides (a read token may not call a
    read_write view) and `request.api_token` is the token; without one, signed-in staff pass
    (with Django's CSRF check on unsafe methods) and `request.api_token` is None.
    """
    if scope not in ApiToken.Scope.values:
        raise ValueError(f"Unknown scope {scope!r}: one of {ApiToken.Scope.values}")

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            header = request.headers.get("Authorization")
            if header is None:
                request.api_token = None
                return _session_refusal(request) or view(request, *args, **kwargs)
            return _token_request(request, header, scope, view, args, kwargs)

        # A token caller has no CSRF cookie, and a token cannot be sent by another site's page;
        # session callers get the CSRF check in `_session_refusal` instead.
        wrapped.csrf_exempt = True
        return wrapped

    return decorator


def _session_refusal(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return outcome(
            401, "login", "Send an API token (Authorization: Bearer …) or sign in.", **_challenge()
        )
    if not is_staff_member(request.user):
        return outcome(403, "forbidden", "Staff only.")
    check = CsrfViewMiddleware(lambda request: HttpResponse())
    check.process_request(request)
    if check.process_view(request, None, (), {}) is not None:
        return outcome(403, "forbidden", "CSRF check failed: reload the page and try again.")
    return None


def _token_request(request: HttpRequest, header: str, scope: str, view, args, kwargs) -> HttpResponse:
    now = timezone.now()
    minute = _minute(now)
    failures = f"token-failures:{client_ip(request)}"
    if _hits(failures, minute) >= settings.FHIR_TOKEN_FAILURES_PER_MINUTE:
        return _throttled(now, "Too many refused tokens from this address.")
    token = token_for(header, now=now)
    if token is None:
        _count(failures, minute)
        return outcome(401, "login", "Unknown or revoked API token.", **_challenge('error="invalid_token"'))
    used = _count(f"token:{token.pk}", minute)
    if used > settings.FHIR_TOKEN_RATE_PER_MINUTE:
        return _throttled(now, "Too many requests with this API token.")
    if scope == ApiToken.Scope.READ_WRITE and token.scope != ApiToken.Scope.READ_WRITE:
        return outcome(403, "forbidden", "This API token may only read.")
    # The token alone speaks for this request: a staff session cookie sent along lends it nothing
    # (and the access-log middleware, which logs signed-in staff, stays out of it).
    request.user = AnonymousUser()
    request.api_token = token
    response = view(request, *args, **kwargs)
    if response.status_code < 400:
        access_log_record(
            request=request,
            action=_action(request, token),
            case=_case_read(request, kwargs),
            path=request.get_full_path(),
        )
    return response


def _action(request: HttpRequest, token: ApiToken) -> str:
    """E.g. `fhir.api.bundle token 1a2b3c4d (Epic interface)`: the prefix names the token for good
    (unique, never changes), the name says whose it is, cut short to fit the column."""
    match = request.resolver_match
    action = f"fhir.api.{match.url_name if match else 'unknown'} token {token.prefix}"
    named = f"{action} ({token.name})"
    return named if len(named) <= ACTION_MAX else f"{named[: ACTION_MAX - 2]}…)"


def _case_read(request: HttpRequest, kwargs: dict) -> Case | None:
    """The case the view handed over (`request.case_shown`), else the one the URL names."""
    uuid = kwargs.get("case_uuid")
    shown = getattr(request, "case_shown", None)
    if shown is not None and (uuid is None or shown.uuid == uuid):
        return shown
    if uuid is None:
        return None
    return Case.objects.select_related("patient").filter(uuid=uuid).first()


# --- Answers and counters ------------------------------------------------------------------------


def outcome(status: int, code: str, diagnostics: str, **headers: str) -> HttpResponse:
    """A FHIR OperationOutcome answer (one error issue)."""
    body = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": diagnostics}],
    }
    return HttpResponse(
        json.dumps(body), status=status, content_type=f"{FHIR_JSON}; charset=utf-8", headers=headers
    )


def _challenge(error: str = "") -> dict[str, str]:
    return {"WWW-Authenticate": 'Bearer realm="fhir"' + (f", {error}" if error else "")}


def _throttled(now: dt.datetime, diagnostics: str) -> HttpResponse:
    retry_after = WINDOW_SECONDS - int(now.timestamp()) % WINDOW_SECONDS
    return outcome(429, "throttled", diagnostics, **{"Retry-After": str(retry_after)})


def _minute(now: dt.datetime) -> int:
    return int(now.timestamp()) // WINDOW_SECONDS


def _hits(name: str, minute: int) -> int:
    return RequestCount.objects.filter(name=name, minute=minute).values_list("hits", flat=True).first() or 0


def _count(name: str, minute: int) -> int:
    """One more under `name` in this minute; returns the new count. One atomic upsert, so requests
    arriving at once in several workers are each counted; the first count of a minute also deletes
    the counts of minutes before the last."""
    q = connection.ops.quote_name
    table, name_, minute_, hits_ = q(RequestCount._meta.db_table), q("name"), q("minute"), q("hits")
    returning = connection.features.can_return_columns_from_insert
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({name_}, {minute_}, {hits_}) VALUES (%s, %s, 1) "
            f"ON CONFLICT ({name_}, {minute_}) DO UPDATE SET {hits_} = {table}.{hits_} + 1"
            + (f" RETURNING {hits_}" if returning else ""),
            [name, minute],
        )
        hits = cursor.fetchone()[0] if returning else _hits(name, minute)
    if hits == 1:
        RequestCount.objects.filter(minute__lt=minute - 1).delete()
    return hits
