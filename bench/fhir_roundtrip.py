"""How the FHIR commands scale: `export_fhir` and `import_fhir`, Bundles per second. Run by hand:

    .venv/bin/python bench/fhir_roundtrip.py            # 2000 cases
    .venv/bin/python bench/fhir_roundtrip.py 10000

Seeds N full cases (bench/casefile.py's seeding: a new SQLite database in a temp file, never the
developer's db.sqlite3), exports them as NDJSON, deletes every case and imports the file back, then
exports again and says whether the two exports are the same Bundles (uuids aside). Each command
runs in this process; the times are the commands' own.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from django.core.management import call_command  # noqa: E402
from django.test import override_settings  # noqa: E402

from bench.casefile import seed  # noqa: E402 - sets up Django on a throwaway SQLite file
from checklists.models import Case, LabResult, Patient  # noqa: E402

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def export() -> tuple[str, float]:
    out = io.StringIO()
    start = time.perf_counter()
    call_command("export_fhir", stdout=out)
    return out.getvalue(), time.perf_counter() - start


def same_ids(text: str) -> str:
    seen: dict[str, str] = {}
    return UUID.sub(lambda m: seen.setdefault(m[0], f"uuid-{len(seen)}"), text)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    seed(count)
    print(f"seeded {count} cases in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    # The seeded labs are dated on the appointment day; an import refuses a lab from the future.
    LabResult.objects.update(taken_on=dt.datetime.now(dt.UTC).date() - dt.timedelta(days=2))

    first, seconds = export()
    size = len(first) / 2**20
    print(f"export_fhir: {count} Bundles in {seconds:.2f} s = {count / seconds:,.0f}/s, {size:.1f} MiB")

    scratch = Path(tempfile.mkdtemp())
    path = scratch / "bundles.ndjson"
    path.write_text(first, encoding="utf-8")
    Case.objects.all().delete()
    Patient.objects.all().delete()
    start = time.perf_counter()
    with override_settings(SIMPLE_HISTORY_ENABLED=True):
        call_command("import_fhir", str(path), stdout=io.StringIO())
    seconds = time.perf_counter() - start
    print(f"import_fhir: {count} Bundles in {seconds:.2f} s = {count / seconds:,.0f}/s")

    again, _ = export()
    print(f"round trip gives the same Bundles: {'yes' if same_ids(again) == same_ids(first) else 'NO'}")
    shutil.rmtree(scratch)


if __name__ == "__main__":
    main()
