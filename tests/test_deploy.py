"""The production recipe: `make serve` (gunicorn + WhiteNoise) and the deploy/ example, proven by
running gunicorn with the example environment and by checking what the units start exists."""

from __future__ import annotations

import configparser
import json
import os
import re
import secrets
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from django.core.management import get_commands

from clinic.settings import BASE_DIR

DEPLOY = BASE_DIR / "deploy"


def example_env() -> dict[str, str]:
    lines = (DEPLOY / "prepdesk.env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))


def test_every_variable_of_the_example_environment_is_one_the_settings_read():
    settings_text = (BASE_DIR / "clinic" / "settings.py").read_text()
    unknown = [name for name in example_env() if f'"{name}"' not in settings_text]
    assert not unknown


def test_every_unit_starts_a_command_that_exists():
    makefile = (BASE_DIR / "Makefile").read_text()
    units = sorted((DEPLOY / "systemd").glob("*.service"))
    assert {unit.name for unit in units} == {
        "prepdesk-web.service",
        "prepdesk-worker.service",
        "prepdesk-sweep.service",
    }
    for unit in units:
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.read(unit)
        command = shlex.split(parser["Service"]["ExecStart"])
        if command[0].endswith("make"):
            assert re.search(rf"^{command[1]}:", makefile, re.MULTILINE), unit.name
        else:
            assert command[1] == "manage.py" and command[2] in get_commands(), unit.name
    timer = configparser.ConfigParser(strict=False, interpolation=None)
    timer.read(DEPLOY / "systemd" / "prepdesk-sweep.timer")
    assert timer["Timer"]["OnCalendar"] == "*-*-* *:*:00"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, headers: dict[str, str] | None = None):
    request = urllib.request.Request(url, headers=headers or {})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        return opener.open(request, timeout=5)
    except urllib.error.HTTPError as exc:
        return exc


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.mark.skipif(sys.platform == "win32", reason="gunicorn runs on Unix")
def test_gunicorn_serves_the_app_with_the_example_environment(tmp_path):
    """What `make serve` runs, with the example settings (a SQLite file instead of PostgreSQL):
    HTTPS enforced, HSTS and the CSP sent, static files served by WhiteNoise."""
    port = _free_port()
    env = {
        **os.environ,
        **example_env(),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    manage = [sys.executable, "manage.py"]
    checked = subprocess.run([*manage, "check", "--deploy", "--fail-level", "WARNING"], cwd=BASE_DIR, env=env,
                             capture_output=True, text=True, check=False)  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=BASE_DIR, env=env, check=True)
    gunicorn = [
        sys.executable,
        "-m",
        "gunicorn",
        "clinic.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
    ]
    server = subprocess.Popen(
        gunicorn, cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        plain = _get(f"{base}/healthz/")
        secure = _get(f"{base}/healthz/", {"X-Forwarded-Proto": "https"})
        static = _get(f"{base}/static/js/actions.js", {"X-Forwarded-Proto": "https"})

        assert plain.status == 301 and plain.headers["Location"] == "https://127.0.0.1/healthz/".replace(
            "127.0.0.1", f"127.0.0.1:{port}"
        )
        assert secure.status == 200 and json.loads(secure.read()) == {"status": "ok", "database": "ok"}
        assert "max-age=31536000" in secure.headers["Strict-Transport-Security"]
        assert "script-src 'self'" in secure.headers["Content-Security-Policy"]
        assert static.status == 200 and "data-print" in static.read().decode()
    finally:
        server.terminate()
        server.wait(timeout=10)
