"""Settings from the environment (django-environ), with the project's rules for blanks and lists."""

from __future__ import annotations

import os
import subprocess
import sys

from clinic.settings import BASE_DIR, env_flag, env_list


def test_a_blank_flag_keeps_its_safe_default(monkeypatch):
    monkeypatch.setenv("SECURE_COOKIES", "")
    assert env_flag("SECURE_COOKIES", True) is True
    monkeypatch.setenv("SECURE_COOKIES", "off")
    assert env_flag("SECURE_COOKIES", True) is False


def test_list_items_are_trimmed_and_empty_ones_dropped(monkeypatch):
    monkeypatch.setenv("ALLOWED_HOSTS", "clinic.example, prep.clinic.example ,")
    assert env_list("ALLOWED_HOSTS") == ["clinic.example", "prep.clinic.example"]


PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "a-production-key-" + "x" * 50,
    "ALLOWED_HOSTS": "prep.example-clinic.org",
    "SITE_URL": "https://prep.example-clinic.org",
    "CLINIC_TIME_ZONE": "America/New_York",
}


def test_the_deployment_checklist_passes_with_production_settings_without_a_warning():
    """`manage.py check --deploy` as a clinic would run it (DEBUG off, its own key and host)."""
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env={**os.environ, **PRODUCTION},
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_every_page_forbids_inline_script_and_is_kept_by_no_cache(client, coordinator, settings):
    client.force_login(coordinator)

    response = client.get("/dashboard/")

    policy = response["Content-Security-Policy"]
    script_src = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
    assert script_src.split() == ["script-src", "'self'"]
    assert "frame-ancestors 'none'" in policy
    assert set(response["Cache-Control"].replace(" ", "").split(",")) == {"no-store", "private"}
