"""How `export_cases` scales: cases per second and peak memory. Run by hand:

    .venv/bin/python bench/casefile.py            # 2000 cases
    .venv/bin/python bench/casefile.py 20000

Seeds N full cases into a new SQLite database in a temp file (never the developer's db.sqlite3,
whatever SQLITE_PATH or .env say), then exports them twice, each in its own process so the peak
memory (Linux's VmHWM) is the export's own: "before" loads every case and dumps one document (the
command until it streamed), "after" is `manage.py export_cases`. Prints one line per run and
whether the two outputs are the same bytes. The goal: under 200 MB at 100k cases, at least 3,000 cases/s.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
os.environ.setdefault("DEBUG", "1")
os.environ["DATABASE_URL"] = ""  # a real variable wins over .env: always SQLite here
if "--export" not in sys.argv:  # the export processes inherit the seeded database's path
    os.environ["SQLITE_PATH"] = str(Path(tempfile.mkdtemp()) / "bench.sqlite3")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import override_settings  # noqa: E402

from checklists.selectors.catalogue import load_rule_config  # noqa: E402
from checklists.services.imports import cases_import  # noqa: E402
from tests.factories import full_case  # noqa: E402

BATCH = 500
ROOMS = 20  # six two-hour slots a day per room: 100k cases fit in the five-year appointment window


def seed(count: int) -> None:
    config = load_rule_config()
    tomorrow = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    first = dt.datetime.combine(tomorrow, dt.time(6), tzinfo=dt.UTC)
    for batch_start in range(0, count, BATCH):
        batch = []
        for i in range(batch_start, min(batch_start + BATCH, count)):
            day, rest = divmod(i, 6 * ROOMS)
            room, hour = divmod(rest, 6)
            start = first + dt.timedelta(days=day, hours=2 * hour)
            case = full_case(f"B-{i:06d}", start, f"Bench Room {room}")
            patient = dataclasses.replace(case.patient, first_name="Zoë", last_name=f"Nguyễn-{i}")
            batch.append(dataclasses.replace(case, patient=patient))
        # The export reads no history, and history rows are a third of the seeding time.
        with override_settings(SIMPLE_HISTORY_ENABLED=False):
            cases_import(cases=batch, config=config)


def export_before() -> None:
    """The command as it was before it streamed, inline: every case loaded, one document dumped."""
    from checklists.casefile import cases_to_document
    from checklists.models import Case
    from checklists.selectors.cases import case_queryset, case_to_data

    config = load_rule_config()
    cases = list(case_queryset().exclude(status=Case.Status.CANCELLED).order_by("reference"))
    document = cases_to_document((case_to_data(case) for case in cases), time_zone=config.time_zone)
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def run_export(way: str, out: Path) -> tuple[float, float]:
    """Seconds the export took inside its process, and that process's peak RSS in MB."""
    with out.open("w", encoding="utf-8") as stdout:
        process = subprocess.run(
            [sys.executable, __file__, "--export", way], stdout=stdout, stderr=subprocess.PIPE, text=True
        )
    if process.returncode != 0:
        raise SystemExit(f"export {way} failed: {process.stderr}")
    seconds, peak_kb = process.stderr.strip().splitlines()[-1].split()
    return float(seconds), int(peak_kb) / 1024


def child(way: str) -> None:
    """Export, then print the seconds it took and the process's peak RSS in kB: VmHWM, not the
    child's ru_maxrss, which Linux starts at the parent's RSS when it spawns (the seeding parent's
    hundreds of MB would hide the export's own peak)."""
    start = time.perf_counter()
    if way == "before":
        export_before()
    else:
        call_command("export_cases")
    sys.stdout.flush()
    status = Path("/proc/self/status").read_text()
    peak_kb = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
    sys.stderr.write(f"{time.perf_counter() - start} {peak_kb}\n")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    seed(count)
    print(f"seeded {count} cases in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    outputs = Path(tempfile.mkdtemp())
    digests = []
    for way in ("before", "after"):
        out = outputs / f"{way}.json"
        seconds, peak_mb = run_export(way, out)
        digests.append(hashlib.sha256(out.read_bytes()).hexdigest())
        print(
            f"{way:>6}: {count} cases in {seconds:.2f} s = {count / seconds:,.0f} cases/s, "
            f"peak {peak_mb:.0f} MB, {out.stat().st_size / 2**20:.1f} MiB of JSON"
        )
    print(f"same bytes: {'yes' if digests[0] == digests[1] else 'NO'}")
    for scratch in (outputs, Path(os.environ["SQLITE_PATH"]).parent):
        shutil.rmtree(scratch)


if __name__ == "__main__":
    if "--export" in sys.argv:
        child(sys.argv[-1])
    else:
        main()
