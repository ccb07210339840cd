"""How `import_cases` scales: cases per second and peak memory, for a first import (every case
created) and the same file again (every case updated). Run by hand:

    .venv/bin/python bench/importing.py                 # 10,000 cases, SQLite
    .venv/bin/python bench/importing.py 100000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prepdesk_dev .venv/bin/python bench/importing.py

Writes a case file of N varied cases (medicines, allergies, labs, intakes, sign-offs, drivers;
appointments back to back in 20 rooms, never overlapping, some cases unscheduled) to a temp
directory, then runs `manage.py import_cases` on it twice, each run its own process (so its peak
memory is the import's own), into a new SQLite database in a temp file and, when DATABASE_URL is
given, into a throwaway PostgreSQL database on that server (prepdesk_bench_import, created and
dropped here: the database DATABASE_URL names is never touched). The goal (issue 12): 10,000
cases in under a minute, 100,000 in under ten. Most of the peak memory at 100,000 is reading the
file (checklists/casefile.py holds every case), not writing it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
# As in production, DEBUG off (with it, Django keeps and formats every statement): a throwaway key.
os.environ.update(DEBUG="0", SECRET_KEY="bench-import-" + "x" * 40, SITE_URL="https://bench.example.org")  # noqa: S105

from bench.benchkit import CLINIC_TIME_ZONE  # noqa: E402

os.environ.setdefault("CLINIC_TIME_ZONE", CLINIC_TIME_ZONE)
SERVER_URL = os.environ.get("DATABASE_URL", "")
os.environ["DATABASE_URL"] = ""  # this process writes the file only; never touches a database

import django  # noqa: E402

django.setup()

from checklists import casedata as cd  # noqa: E402
from checklists.casefile import cases_to_document  # noqa: E402

BENCH_DATABASE = "prepdesk_bench_import"
ROOMS = 20
DAY_OPENS, DAY_CLOSES = dt.time(7, 0), dt.time(18, 0)  # clinic time
MEDICINES = (
    ("Eliquis 5mg", "5 mg", "twice a day"),
    ("warfarin 5 mg", "5 mg", "every evening"),
    ("Xarelto", "20 mg", "daily"),
    ("clopidogrel", "75 mg", "daily"),
    ("aspirin 81 mg", "81 mg", "daily"),
    ("metformin 500 mg", "500 mg", "twice a day"),
    ("Ozempic", "0.5 mg", "weekly"),
    ("Jardiance", "10 mg", "daily"),
    ("ibuprofen", "400 mg", "as needed"),
    ("Tylenol", "500 mg", "as needed for pain"),
    ("fish oil", "1000 mg", "every morning"),
    ("turmeric", None, None),
    ("lisinopril", "10 mg", "daily"),
    ("atorvastatin", "40 mg", "at night"),
    ("levothyroxine", "50 mcg", "every morning"),
    ("gabapentin", "300 mg", "three times a day"),
    ("grandma's herbal tea", None, None),
)
ALLERGIES = (
    ("iodinated_contrast", "iohexol", "hives", "moderate"),
    ("latex", None, "rash", "mild"),
    ("local_anesthetic", "lidocaine", None, "unknown"),
    ("sedative", "midazolam", "swelling", "severe"),
    ("other", "shellfish", None, "unknown"),
)
STAFF = ("dr.nguyen", "cora", "dr_kim", "Nurse Patel")


def cases(count: int, today: dt.date, zone: dt.tzinfo) -> list[cd.CaseData]:
    """`count` varied cases (the same ones for the same count); appointments from tomorrow on."""
    rng = random.Random(count)
    free = {
        room: dt.datetime.combine(today + dt.timedelta(days=1), DAY_OPENS, tzinfo=zone)
        for room in range(ROOMS)
    }
    result = []
    for i in range(count):
        levels = tuple(rng.sample(("T11", "T12", "L1", "L2", "L3"), rng.choice((1, 1, 1, 2, 2, 3))))
        appointment = None
        if rng.random() < 0.85:
            room = i % ROOMS
            start = free[room]
            end = start + dt.timedelta(hours=len(levels))
            if end.timetz().replace(tzinfo=None) > DAY_CLOSES:
                start = dt.datetime.combine(start.date() + dt.timedelta(days=1), DAY_OPENS, tzinfo=zone)
                end = start + dt.timedelta(hours=len(levels))
            free[room] = end
            appointment = cd.AppointmentData(start=start.astimezone(dt.UTC), room=f"Import Room {room}")
        medications = tuple(
            cd.MedicationData(name, dose, frequency)
            for name, dose, frequency in rng.sample(MEDICINES, rng.randint(0, 6))
        )
        allergies = tuple(
            cd.AllergyData(category, substance, reaction, severity)
            for category, substance, reaction, severity in rng.sample(ALLERGIES, rng.choice((0, 0, 1, 1, 2)))
        )
        now = dt.datetime.combine(today, dt.time(9), tzinfo=zone).astimezone(dt.UTC)
        labs = tuple(
            cd.LabData(test, value, today - dt.timedelta(days=rng.randint(0, 30)))
            for test, value in (
                ("inr", round(rng.uniform(0.9, 2.5), 1)),
                ("platelets", rng.randint(40, 400)),
                ("egfr", rng.randint(20, 110)),
            )
            if rng.random() < 0.7
        )
        intake = None
        if rng.random() < 0.7:
            intake = cd.IntakeData(
                submitted_at=now - dt.timedelta(hours=rng.randint(1, 500)),
                medications_complete=rng.random() < 0.8,
                no_known_allergies=not allergies,
                fasting_acknowledged=rng.random() < 0.9,
                can_lie_prone=rng.choice((True, True, False, None)),
                infection_symptoms=rng.random() < 0.05,
                diabetes=rng.choice(("none", "none", "none", "diet", "tablets", "insulin")),
            )
        driver = None
        if rng.random() < 0.6:
            confirmed = now - dt.timedelta(hours=rng.randint(1, 200)) if rng.random() < 0.5 else None
            driver = cd.DriverData(f"Driver {i}", f"+1617555{100 + i % 100:04d}", "daughter", confirmed)
        signoffs = []
        if any(a.category == "latex" for a in allergies):
            signoffs.append(
                cd.SignOffData("latex_precautions_arranged", rng.choice(STAFF), now - dt.timedelta(days=1))
            )
        if labs and rng.random() < 0.5:
            signoffs.append(cd.SignOffData("labs_reviewed", rng.choice(STAFF), now - dt.timedelta(hours=3)))
        eliquis = next((m for m in medications if m.name == "Eliquis 5mg"), None)
        if eliquis is not None and appointment is not None:
            signoffs.append(
                cd.SignOffData(
                    "anticoagulant_plan_approved",
                    "dr.nguyen",
                    now - dt.timedelta(hours=5),
                    note="Last dose three days before.",
                    medication=eliquis.name,
                    last_dose_on=appointment.start.astimezone(zone).date() - dt.timedelta(days=3),
                )
            )
        result.append(
            cd.CaseData(
                reference=f"IMP-{i:06d}",
                patient=cd.PatientData(
                    rng.choice(("Ann", "Luis", "Zoë", "Margaret", "Kwame", "Mei")),
                    f"Nguyễn-{i}",
                    dt.date(1930 + rng.randint(0, 60), rng.randint(1, 12), rng.randint(1, 28)),
                    sex=rng.choice(cd.SEXES),
                    email=f"patient{i}@example.org" if rng.random() < 0.7 else None,
                    phone=f"+1617555{100 + i % 100:04d}" if rng.random() < 0.8 else None,
                    language=rng.choice(("en", "en", "es")),
                ),
                procedure=cd.ProcedureData(
                    levels=cd.sort_levels(levels),
                    kind=rng.choice(cd.PROCEDURE_KINDS),
                    anesthesia=rng.choice(cd.ANESTHESIA),
                    contrast_planned=rng.random() < 0.9,
                ),
                appointment=appointment,
                medications=medications,
                allergies=allergies,
                intake=intake,
                driver=driver,
                labs=labs,
                signoffs=tuple(signoffs),
            )
        )
    return result


def run(command: list[str], env: dict[str, str], scratch: Path) -> tuple[float, float, float, str]:
    """Seconds, CPU seconds, peak RSS in MB and output of one `manage.py` command in its own
    process (os.wait4 reports this child alone, where RUSAGE_CHILDREN would keep the largest of
    all). On a shared machine the CPU seconds say more than the wall clock."""
    out = scratch / "command.out"
    start = time.perf_counter()
    with out.open("w", encoding="utf-8") as output:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), *command],
            env={**os.environ, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    text = out.read_text(encoding="utf-8")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"manage.py {' '.join(command)} failed:\n{text}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, text.strip()  # kB on Linux


def measure(label: str, env: dict[str, str], path: Path, count: int, scratch: Path) -> None:
    run(["migrate", "--noinput", "--verbosity", "0"], env, scratch)
    print(f"{label}: {count:,} cases, {path.stat().st_size / 2**20:.1f} MiB of JSON")
    for way in ("first import (creates)", "again (updates)"):
        seconds, cpu, peak_mb, output = run(["import_cases", str(path)], env, scratch)
        print(
            f"  {way:<23} {seconds:7.1f} s = {count / seconds:6,.0f} cases/s ({cpu:.1f} s of CPU), "
            f"peak {peak_mb:4.0f} MB"
            f"  [{output.splitlines()[-1]}]",
            flush=True,
        )


def postgres(server_url: str) -> tuple[str, Callable[[], None]]:
    """The URL of a new, empty bench database on DATABASE_URL's server, and a function that drops
    it (both done from the server's `postgres` database)."""
    import psycopg

    server, _, query = server_url.partition("?")
    server = server.rsplit("/", 1)[0]
    query = f"?{query}" if query else ""

    def execute(sql: str) -> None:
        with psycopg.connect(f"{server}/postgres{query}", autocommit=True) as conn:
            conn.execute(sql)

    execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE}")
    execute(f"CREATE DATABASE {BENCH_DATABASE}")
    return f"{server}/{BENCH_DATABASE}{query}", lambda: execute(
        f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)"
    )


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    scratch = Path(tempfile.mkdtemp(prefix="prepdesk-bench-import-"))
    try:
        zone = ZoneInfo(os.environ["CLINIC_TIME_ZONE"])
        today = dt.datetime.now(zone).date()
        path = scratch / "cases.json"
        document = cases_to_document(cases(count, today, zone), time_zone=zone)
        path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
        del document
        sqlite = scratch / "bench.sqlite3"
        measure(f"sqlite {sqlite}", {"DATABASE_URL": "", "SQLITE_PATH": str(sqlite)}, path, count, scratch)
        if SERVER_URL:
            url, drop = postgres(SERVER_URL)
            try:
                measure(f"postgresql {BENCH_DATABASE}", {"DATABASE_URL": url}, path, count, scratch)
            finally:
                drop()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
