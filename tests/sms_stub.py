"""A local stand-in for Twilio's Messages API on 127.0.0.1, so the Twilio backend's tests run the
twilio library's real request and response code without the network.

The fixture `sms_stub` starts one per test and points the SMS settings at it; a test module gets
it by importing `sms_stub_fixture` (or conftest.py lists this module in `pytest_plugins`).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import format_datetime
from http.client import HTTPMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from notifications.sms.segments import segments

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "stub-auth-token"
FROM_NUMBER = "+15550100000"
MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC[0-9a-f]{32})/Messages\.json$")


@dataclass(frozen=True)
class StubRequest:
    """One request the stub received: path, basic-auth pair (None without one), form fields."""

    path: str
    auth: tuple[str, str] | None
    fields: dict[str, list[str]]

    def field(self, name: str) -> str:
        """The one value of a form field ("" when absent)."""
        return self.fields.get(name, [""])[0]


@dataclass(frozen=True)
class StubError:
    """An error answer in Twilio's legacy shape (what the Messages API sends)."""

    status: int
    code: int
    message: str

    def payload(self) -> dict[str, object]:
        return {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }


@dataclass
class TwilioStub:
    """The server's state: what it received, and what it should answer next."""

    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    requests: list[StubRequest] = field(default_factory=list)
    # Answer the next create with this error instead of 201 (one use).
    next_error: StubError | None = None
    # Claim this many segments instead of counting them, to prove the backend reports Twilio's.
    num_segments: int | None = None
    base_url: str = ""
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, status: int, code: int, message: str) -> None:
        self.next_error = StubError(status, code, message)

    def start(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self.base_url = f"http://{host}:{port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def answer(self, request: StubRequest) -> tuple[int, dict[str, object]]:
        """Record the request and decide the answer, as Twilio would: auth first, then the fields."""
        with self._lock:
            self.requests.append(request)
            error, self.next_error = self.next_error, None
        match = MESSAGES_PATH.match(request.path)
        if not match:
            return 404, StubError(404, 20404, "The requested resource was not found").payload()
        if request.auth != (self.account_sid, self.auth_token) or match["sid"] != self.account_sid:
            return 401, StubError(401, 20003, "Authenticate").payload()
        if error is not None:
            return error.status, error.payload()
        if not request.field("To"):
            return 400, StubError(400, 21604, "A 'To' phone number is required.").payload()
        return 201, self.message_payload(request)

    def message_payload(self, request: StubRequest) -> dict[str, object]:
        """A created message as Twilio's Messages API returns it (the fields the library parses)."""
        sid = "SM" + secrets.token_hex(16)
        now = format_datetime(dt.datetime.now(dt.UTC), usegmt=True)
        body = request.field("Body")
        count = self.num_segments if self.num_segments is not None else segments(body)
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}"
        return {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": request.field("From"),
            "messaging_service_sid": None,
            "num_media": "0",
            "num_segments": str(count),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued",
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": request.field("To"),
            "uri": f"{uri}.json",
        }


def _handler_for(stub: TwilioStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
            status, payload = stub.answer(StubRequest(self.path, _basic_auth(self.headers), form))
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: pytest shows what matters."""

    return Handler


def _basic_auth(headers: HTTPMessage) -> tuple[str, str] | None:
    scheme, _, encoded = (headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    user, _, password = base64.b64decode(encoded).decode().partition(":")
    return user, password


@pytest.fixture(name="sms_stub")
def sms_stub_fixture(settings) -> Iterator[TwilioStub]:
    """A running stub, with SMS_BACKEND set to Twilio and the TWILIO_* settings pointing at it."""
    stub = TwilioStub()
    stub.start()
    settings.SMS_BACKEND = "notifications.sms.backends.twilio.SmsBackend"
    settings.TWILIO_ACCOUNT_SID = stub.account_sid
    settings.TWILIO_AUTH_TOKEN = stub.auth_token
    settings.TWILIO_FROM_NUMBER = FROM_NUMBER
    settings.TWILIO_API_BASE_URL = stub.base_url
    try:
        yield stub
    finally:
        stub.stop()
