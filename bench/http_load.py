"""PrepDesk over HTTP, against a floor: throughput and latency of the busiest pages at
concurrency 1 and 8, and the queries each one makes. Run by hand after `bench/seed.py`:

    .venv/bin/python bench/http_load.py [--requests 300] [--seconds 10]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prepdesk_bench .venv/bin/python bench/http_load.py

Starts gunicorn (2 sync workers, production-like environment, DEBUG off) on the bench database
and a second gunicorn serving `floor_wsgi.py` (a bare Django "ok": no middleware, no database).
Each run stops at --requests or --seconds, whichever comes first. Ratios are p50 latency over
the floor's and over /healthz/'s at the same concurrency. Queries per request are counted
in-process (django.test.Client). The client threads share the machine with the servers.
(Not `http.py`: a script's folder comes first on sys.path, so it would hide the standard
library's `http` from every script in bench/.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie

import benchkit

CONCURRENCY = (1, 8)
WORKERS = 2


@dataclass(frozen=True)
class Target:
    label: str
    path: str
    method: str = "GET"
    session: str = ""  # "staff" or "patient"
    form: dict[str, str] = field(default_factory=dict)
    ok: tuple[int, ...] = (200,)


class Browser:
    """One cookie jar and one connection (gunicorn's sync workers close it after each answer)."""

    def __init__(self, port: int, cookies: dict[str, str] | None = None) -> None:
        self.port = port
        self.cookies = dict(cookies or {})
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
        headers = {"Host": f"127.0.0.1:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            token = self.cookies.get("csrftoken", "")
            body = urllib.parse.urlencode({**form, "csrfmiddlewaretoken": token} if token else form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        except (ConnectionError, http.client.HTTPException):
            self.connection.close()
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header in response.msg.get_all("Set-Cookie") or ():
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, text, response.getheader("Location", "")


class Forms(HTMLParser):
    """The inputs of each <form> on a page: {name: value}, checked radios only."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.forms: list[dict[str, str]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append({})
        elif tag in ("input", "select") and self.forms and attributes.get("name"):
            kind = attributes.get("type", "text")
            if kind in ("radio", "checkbox") and "checked" not in attributes:
                return
            if kind != "submit":
                self.forms[-1][attributes["name"]] = attributes.get("value") or ""

    def form_with(self, name: str) -> dict[str, str]:
        return next(form for form in self.forms if name in form)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn(app: str, port: int, env: dict[str, str], cwd: str, log: str) -> subprocess.Popen:
    command = [f"{benchkit.ROOT}/.venv/bin/gunicorn", app, "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(WORKERS), "--error-logfile", log, "--log-level", "warning"]
    server = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            if server.poll() is not None:
                sys.exit(f"http_load: gunicorn {app} exited (see {log})")
            time.sleep(0.1)
    server.terminate()
    sys.exit(f"http_load: gunicorn {app} did not start (see {log})")


def production_env(port: int) -> dict[str, str]:
    """What tests/test_deploy.py runs gunicorn with, over plain HTTP on 127.0.0.1."""
    return {
        **os.environ,
        **benchkit.database_env(),
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "SECURE_HSTS_SECONDS": "0",
        "CLINIC_TIME_ZONE": os.environ.get("CLINIC_TIME_ZONE", benchkit.CLINIC_TIME_ZONE),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
    }


@dataclass(frozen=True)
class Fixture:
    """What the targets point at, found in the seeded data."""

    first_day: dt.date
    busy_day: dt.date
    case_uuid: str
    intake_case_id: int
    date_of_birth: dt.date


def find_fixture() -> Fixture:
    from django.utils import timezone

    from checklists.models import Appointment, Case

    bench = {"case__reference__startswith": benchkit.REFERENCE_PREFIX, "is_active": True}
    starts = list(
        Appointment.objects.filter(**bench).order_by("start").values_list("start", flat=True)[:2000]
    )
    if not starts:
        sys.exit("http_load: no bench cases; run bench/seed.py first")
    days = Counter(timezone.localdate(start) for start in starts)
    first_day = min(days)
    # The case page: the scheduled case with the most medicine lines in the first days.
    soon = Case.objects.filter(
        reference__startswith=benchkit.REFERENCE_PREFIX,
        status=Case.Status.SCHEDULED,
        appointment__start__lt=starts[0] + dt.timedelta(days=14),
    )
    from django.db.models import Count

    case = soon.annotate(lines=Count("medications")).order_by("-lines", "reference").first()
    # The intake: a case whose edits stay open (24 h before the start) with no submitted intake.
    later = timezone.now() + dt.timedelta(days=3)
    patient_case = (
        Case.objects.filter(
            reference__startswith=benchkit.REFERENCE_PREFIX,
            status=Case.Status.SCHEDULED,
            appointment__start__gt=later,
        )
        .exclude(intake__submitted_at__isnull=False)
        .select_related("patient")
        .order_by("appointment__start")
        .first()
    )
    return Fixture(
        first_day=first_day,
        busy_day=days.most_common(1)[0][0],
        case_uuid=str(case.uuid),
        intake_case_id=patient_case.pk,
        date_of_birth=patient_case.patient.date_of_birth,
    )


def issue_link(fixture: Fixture) -> str:
    from django.utils import timezone

    from checklists.models import Case
    from checklists.selectors.catalogue import load_rule_config
    from intake.services import intake_link_issue

    case = Case.objects.get(pk=fixture.intake_case_id)
    _, token = intake_link_issue(case=case, user=None, now=timezone.now(), config=load_rule_config())
    return token


def dob_form(fixture: Fixture) -> dict[str, str]:
    born = fixture.date_of_birth
    return {"day": str(born.day), "month": str(born.month), "year": str(born.year)}


def targets(fixture: Fixture) -> list[Target]:
    fortnight = f"from_date={fixture.first_day}&to_date={fixture.first_day + dt.timedelta(days=13)}"
    return [
        Target("floor", "/"),
        Target("/healthz/", "/healthz/"),
        Target("/dashboard/", "/dashboard/", session="staff"),
        Target("/dashboard/ fortnight", f"/dashboard/?{fortnight}&owner=", session="staff"),
        Target("/cases/<uuid>/", f"/cases/{fixture.case_uuid}/", session="staff"),
        Target("/schedule/ busy day", f"/schedule/?date={fixture.busy_day}", session="staff"),
        Target("intake about GET", "/intake/about/", session="patient"),
        Target("intake about POST next", "/intake/about/", "POST", "patient", ok=(302,)),
    ]


def query_counts(fixture: Fixture, plan: list[Target]) -> dict[str, int]:
    """Each target once in-process, its queries counted (the login and the date of birth aside)."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    staff = Client(HTTP_HOST="127.0.0.1")
    staff.force_login(get_user_model().objects.get(username=benchkit.USERNAME))
    patient = Client(HTTP_HOST="127.0.0.1")
    patient.get(f"/i/{issue_link(fixture)}/")
    patient.post("/intake/", dob_form(fixture))
    counts = {}
    for target in plan:
        if not target.session:
            continue
        client = staff if target.session == "staff" else patient
        form = None
        if target.method == "POST":
            form = {**Forms(client.get(target.path).content.decode()).form_with("first_name"), "go": "next"}
        with CaptureQueriesContext(connection) as queries:
            response = client.generic(target.method, target.path, urllib.parse.urlencode(form or {}),
                                      "application/x-www-form-urlencoded")  # fmt: skip
        if response.status_code not in target.ok:
            print(f"  warning: {target.label} answered {response.status_code} in-process")
        counts[target.label] = len(queries)
    return counts


def staff_login(port: int) -> dict[str, str]:
    browser = Browser(port)
    status, page, _ = browser.request("GET", "/accounts/login/")
    form = {"username": benchkit.USERNAME, "password": benchkit.PASSWORD}
    status, _, location = browser.request("POST", "/accounts/login/", form)
    if status != 302 or "login" in location:
        sys.exit(f"http_load: staff login failed ({status} -> {location})")
    return browser.cookies


def patient_session(port: int, fixture: Fixture) -> tuple[dict[str, str], dict[str, str]]:
    """A verified patient session and the "About you" form as shown (to post back unchanged)."""
    browser = Browser(port)
    browser.request("GET", f"/i/{issue_link(fixture)}/")
    browser.request("GET", "/intake/")
    status, _, location = browser.request("POST", "/intake/", dob_form(fixture))
    if status != 302:
        sys.exit(f"http_load: the date-of-birth check answered {status}")
    status, page, _ = browser.request("GET", "/intake/about/")
    if status != 200:
        sys.exit(f"http_load: /intake/about/ answered {status}")
    form = Forms(page).form_with("first_name")
    form.pop("csrfmiddlewaretoken", None)
    return browser.cookies, {**form, "go": "next"}


@dataclass
class Run:
    latencies: list[float]
    errors: Counter
    seconds: float

    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] * 1000


def drive(
    port: int, target: Target, cookies: dict, form: dict, concurrency: int, count: int, limit: float
) -> Run:
    """`count` requests from `concurrency` threads, or fewer when `limit` seconds run out."""
    latencies: list[float] = []
    errors: Counter = Counter()
    lock = threading.Lock()
    issued = [0]
    began = time.perf_counter()
    deadline = began + limit

    def worker() -> None:
        browser = Browser(port, cookies)
        while True:
            with lock:
                if issued[0] >= count or time.perf_counter() > deadline:
                    return
                issued[0] += 1
            start = time.perf_counter()
            try:
                status, _, _ = browser.request(
                    target.method, target.path, form if target.method == "POST" else None
                )
            except OSError as exc:
                status = type(exc).__name__
            took = time.perf_counter() - start
            with lock:
                if status in target.ok:
                    latencies.append(took)
                else:
                    errors[status] += 1

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Run(latencies, errors, time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per target and concurrency")
    parser.add_argument("--seconds", type=float, default=10.0, help="time limit per target and concurrency")
    parser.add_argument("--only", nargs="*", default=[], help="targets whose label contains one of these")
    args = parser.parse_args()
    benchkit.django_setup()
    from checklists.models import Case

    fixture = find_fixture()
    plan = [
        target
        for target in targets(fixture)
        if not args.only
        or target.label in ("floor", "/healthz/")
        or any(o in target.label for o in args.only)
    ]
    queries = query_counts(fixture, plan)
    cases = Case.objects.filter(reference__startswith=benchkit.REFERENCE_PREFIX).count()
    app_port, floor_port = free_port(), free_port()
    env = production_env(app_port)
    floor_env = {k: v for k, v in env.items() if k != "DJANGO_SETTINGS_MODULE"}
    servers = [
        gunicorn("clinic.wsgi", app_port, env, str(benchkit.ROOT), "/tmp/prepdesk-bench-gunicorn.log"),
        gunicorn(
            "floor_wsgi:application",
            floor_port,
            floor_env,
            str(benchkit.BENCH_DIR),
            "/tmp/prepdesk-bench-floor.log",
        ),
    ]
    try:
        sessions = {"staff": (staff_login(app_port), {}), "patient": patient_session(app_port, fixture)}
        print(
            f"{benchkit.database_label()}: {cases} bench cases; fortnight from {fixture.first_day}, "
            f"busy day {fixture.busy_day}; gunicorn {WORKERS} sync workers; "
            f"runs of {args.requests} requests or {args.seconds:.0f} s"
        )
        print(
            f"{'target':<24} {'conc':>4} {'done':>5} {'err':>4} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
            f"{'p99 ms':>7} {'x floor':>8} {'x healthz':>9} {'queries':>7}"
        )
        for concurrency in CONCURRENCY:
            baseline: dict[str, float] = {}
            for target in plan:
                port = floor_port if target.label == "floor" else app_port
                cookies, form = sessions.get(target.session, ({}, {}))
                drive(port, target, cookies, form, 1, 5, 5.0)  # warm up: imports, caches, connections
                run = drive(port, target, cookies, form, concurrency, args.requests, args.seconds)
                p50 = run.percentile(0.50)
                baseline.setdefault(target.label, p50)
                ratio_floor = p50 / baseline["floor"]
                ratio_health = p50 / baseline.get("/healthz/", p50)
                errors = sum(run.errors.values())
                print(
                    f"{target.label:<24} {concurrency:>4} {len(run.latencies):>5} {errors:>4} "
                    f"{run.rate():>7.1f} {p50:>7.1f} {run.percentile(0.95):>7.1f} "
                    f"{run.percentile(0.99):>7.1f} {ratio_floor:>8.1f} {ratio_health:>9.1f} "
                    f"{queries.get(target.label, 0):>7}"
                )
                if run.errors:
                    print(f"  errors: {dict(run.errors)}")
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
