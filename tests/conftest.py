"""Shared fixtures: the clinic's rule data, case files on disk, and running commands."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

import hypothesis
import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command
from django.utils import translation

from checklists.catalog import RuleConfig
from checklists.selectors.catalogue import load_rule_config, rule_tables_forget
from notifications import sms
from tests.factories import SignedInClient, StaffFactory
from tests.sms_stub import sms_stub_fixture  # noqa: F401 - the `sms_stub` fixture, for every test

DATA = Path(__file__).parent / "data"

# Property tests (hypothesis): the same examples on every run and machine (derandomize, no
# example database), a bounded number of them, no per-example deadline (CI machines vary).
hypothesis.settings.register_profile(
    "prepdesk", derandomize=True, database=None, max_examples=60, deadline=None, print_blob=True
)
hypothesis.settings.load_profile("prepdesk")

# The moment every test starts at (ticking). Nothing in the suite reads the wall clock, so the
# result is the same at any hour; `make test-clock` runs the suite again at other moments
# (just after midnight, just before midnight, across a DST change) to prove it.
TEST_CLOCK = dt.datetime.fromisoformat(os.environ.get("PREPDESK_CLOCK") or "2026-11-18T14:00:00+00:00")


@pytest.fixture(autouse=True)
def sms_outbox(settings) -> list:
    """Every test texts into `notifications.sms.outbox` (as Django's tests email into mail.outbox)."""
    settings.SMS_BACKEND = "notifications.sms.backends.locmem.SmsBackend"
    sms.outbox.clear()
    return sms.outbox


@pytest.fixture(autouse=True)
def test_clock():
    """Start each test at TEST_CLOCK; tests that need another moment travel again (nested)."""
    with time_machine.travel(TEST_CLOCK, tick=True):
        yield


@pytest.fixture(autouse=True)
def fresh_rule_tables():
    """No test reads the catalogue another test's database held (this process's kept copy)."""
    rule_tables_forget()
    yield
    rule_tables_forget()


@pytest.fixture(autouse=True)
def english_to_start():
    """Each test starts in the default language: a request served in Spanish (the patient's pages
    switch language for the thread, as Django's LocaleMiddleware does) must not leave a later test
    in this worker, one with no request, reading messages in Spanish."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def utc_clinic(settings) -> None:
    """For tests whose expected clock times are written in UTC: the clinic's zone is UTC, whatever
    CLINIC_TIME_ZONE the run uses (`make test-clock` runs the suite in a zone with DST)."""
    settings.CLINIC_TIME_ZONE = settings.TIME_ZONE = "UTC"


def pytest_sessionstart(session: pytest.Session) -> None:
    """The Spanish pages need the .mo files, which are build output: compile them once per run, in
    the main process only, before any xdist worker starts (a worker rewriting a .mo file another
    one is reading would hand it half a catalogue)."""
    if not hasattr(session.config, "workerinput"):
        call_command("compile_translations", stdout=io.StringIO())


@dataclass
class CommandResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def json(self):
        return json.loads(self.stdout)


@pytest.fixture
def run_command(capsys, clinical_defaults):
    """Run a management command as the shell would: exit code, stdout and stderr."""

    def run(name: str, *args: str) -> CommandResult:
        stdout = io.StringIO()
        try:
            call_command(name, *args, stdout=stdout)
            code = 0
        except SystemExit as exc:
            code = exc.code
        return CommandResult(code, stdout.getvalue(), capsys.readouterr().err)

    return run


@pytest.fixture
def write_cases(tmp_path):
    """Write a case document (dict or list of cases) to a file and return its path."""

    def write(document, name: str = "cases.json") -> str:
        if isinstance(document, list):
            document = {"cases": document}
        path = tmp_path / name
        path.write_text(json.dumps(document))
        return str(path)

    return write


@pytest.fixture
def clinical_defaults(db) -> None:
    """The clinic's rule data. A transactional test flushes the database afterwards, taking the
    migration-loaded rows with it, so put them back (idempotently) for whoever needs them."""
    import_module("checklists.migrations.0002_clinical_defaults").load_defaults(apps, None)
    import_module("checklists.migrations.0007_catalogue_2026_11").load_catalogue(apps, None)
    import_module("checklists.migrations.0013_rule_data_version").create_row(apps, None)


@pytest.fixture
def config(clinical_defaults) -> RuleConfig:
    return load_rule_config()


def minimal_case(
    reference: str = "C-1", *, start: str | None = None, room: str = "IR Suite 1", levels=("L1",)
):
    """A small valid case in the JSON format, scheduled when `start` is given."""
    case = {
        "reference": reference,
        "patient": {"first_name": "Ann", "last_name": "Lee", "date_of_birth": "1950-01-01"},
        "procedure": {"levels": list(levels)},
    }
    if start:
        case["appointment"] = {"start": start, "room": room}
    return case


@pytest.fixture
def client() -> SignedInClient:
    """pytest-django's client, whose force_login also passes two-factor sign-in."""
    return SignedInClient()


@pytest.fixture
def admin_client(db, admin_user) -> SignedInClient:
    """pytest-django's admin_client, past two-factor sign-in like everyone else's."""
    client = SignedInClient()
    client.force_login(admin_user)
    return client


@pytest.fixture
def coordinator(db):
    return StaffFactory(username="cora", role="coordinator")


@pytest.fixture
def clinician(db):
    return StaffFactory(username="dr_kim", role="clinician")
