"""What the bench scripts share: the database they point at, the bench logins and how bench rows
are recognised. Imported by `seed.py` and `http_load.py` before Django is set up.

SQLite by default (a throwaway file, never the project's db.sqlite3); DATABASE_URL switches to
PostgreSQL (use a throwaway database such as prepdesk_bench, never prepdesk_dev or test_*).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
SQLITE_PATH = "/tmp/prepdesk-bench.sqlite3"
# The clinic zone gunicorn runs in; seeding in the same zone keeps "clinic days" the same days.
CLINIC_TIME_ZONE = "America/New_York"
REFERENCE_PREFIX = "BENCH-"
EMAIL_DOMAIN = "bench.example.org"
USERNAME = "bench"
PASSWORD = "bench-pass-1"  # noqa: S105 - a throwaway login on a throwaway database
CLINICIAN_USERNAME = "bench-clinician"
BENCH_ROOM_PREFIX = "Bench Room "
REFUSED_DATABASES = ("prepdesk_dev", "test_")


def database_env() -> dict[str, str]:
    """The variables that choose the bench database, for this process and the servers it starts."""
    if os.environ.get("DATABASE_URL"):
        name = os.environ["DATABASE_URL"].rsplit("/", 1)[-1].split("?", 1)[0]
        if name.startswith(REFUSED_DATABASES):
            sys.stderr.write(f"bench: refusing to use the database {name!r}; create prepdesk_bench\n")
            raise SystemExit(2)
        return {"DATABASE_URL": os.environ["DATABASE_URL"]}
    return {"SQLITE_PATH": os.environ.get("SQLITE_PATH") or SQLITE_PATH}


def django_setup() -> None:
    """Point Django at the bench database (real environment variables win) and set it up."""
    # The scripts run with bench/ first on sys.path; the project's packages live one level up.
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.update(database_env())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("CLINIC_TIME_ZONE", CLINIC_TIME_ZONE)
    import django

    django.setup()


def database_label() -> str:
    """'sqlite /tmp/…' or 'postgresql prepdesk_bench', for the printed results."""
    from django.db import connection

    return f"{connection.vendor} {connection.settings_dict['NAME']}"
