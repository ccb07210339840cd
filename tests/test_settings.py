"""Settings from the environment (django-environ), with the project's rules for blanks and lists."""

from __future__ import annotations

from clinic.settings import env_flag, env_list


def test_a_blank_flag_keeps_its_safe_default(monkeypatch):
    monkeypatch.setenv("SECURE_COOKIES", "")
    assert env_flag("SECURE_COOKIES", True) is True
    monkeypatch.setenv("SECURE_COOKIES", "off")
    assert env_flag("SECURE_COOKIES", True) is False


def test_list_items_are_trimmed_and_empty_ones_dropped(monkeypatch):
    monkeypatch.setenv("ALLOWED_HOSTS", "clinic.example, prep.clinic.example ,")
    assert env_list("ALLOWED_HOSTS") == ["clinic.example", "prep.clinic.example"]
