"""How fast a patient's medicine list is read. Run by hand (no database needed):

    .venv/bin/python bench/medication_matching.py

Reads a 15-line list (brands, generics, doses glued on, two typos, one unknown word) against the
shipped catalogue, and against the first catalogue with the first matcher (one regular expression
per name, kept here as the baseline), and prints microseconds per list and the ratio. Also prints
the one-off cost of compiling a catalogue (done once per distinct catalogue, then cached).
"""

from __future__ import annotations

import os
import re
import sys
import time
from importlib import import_module
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from checklists import catalog  # noqa: E402
from checklists.catalog import RuleConfig  # noqa: E402

LIST = (
    "Eliquis 5mg",
    "Lisinopril 10 mg daily",
    "Atorvastatin 40mg at night",
    "Metformin 500mg 1 tab twice daily",
    "Levothyroxine 50 mcg",
    "Omeprazole 20 mg",
    "Fish oil 1000 mg",
    "Tylenol as needed",
    "Vitamin D3 2000 IU",
    "Plavix75",
    "Janumet 50/1000",
    "Elliquis",  # typo
    "asprin 81",  # typo
    "Calcium + D",
    "my water pill",  # unknown
)


def best_of(fn, repeat: int = 5, number: int = 200) -> float:
    """Seconds per call, best of `repeat` runs of `number` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return min(times)


def v1_matcher():
    """The first matcher (before MEDICATIONS.md): a regex per name, v1 catalogue; the baseline."""
    dose = re.compile(r"(?<![a-z0-9])\d+(?:[.,]\d+)?\s*(?:mg|mcg|µg|ug|g|ml|iu|units?|u|%)(?![a-z0-9])")
    not_word = re.compile(r"[^a-z0-9µ%.,]+")

    def normalize(name: str) -> str:
        text = " ".join(not_word.sub(" ", name.lower()).split())
        return " ".join(dose.sub(" ", text).replace(",", " ").split()).strip(" .")

    drugs = import_module("checklists.migrations.0002_clinical_defaults").DRUGS_V1
    patterns = [
        (re.compile(rf"(?<![a-z0-9]){re.escape(alias)}(?![a-z0-9])"), d["name"])
        for d in drugs
        for alias in {normalize(a) for a in (d["name"], *d["aliases"])} - {""}
    ]

    def match(name: str) -> list[str]:
        text = normalize(name)
        return sorted({drug for pattern, drug in patterns if pattern.search(text)})

    return match


def main() -> None:
    config = RuleConfig.defaults()
    names = sum(1 + len(d.aliases) for d in config.drugs)
    print(f"catalogue: {len(config.drugs)} drugs, {names} names")

    catalog._compile.cache_clear()
    start = time.perf_counter()
    config.read("warm up")
    print(f"compile once per catalogue: {(time.perf_counter() - start) * 1000:.1f} ms")

    new = best_of(lambda: [config.read(line) for line in LIST])
    old_match = v1_matcher()
    old = best_of(lambda: [old_match(line) for line in LIST])
    print(f"15-line list, this matcher (exact + probable): {new * 1e6:8.0f} µs")
    print(f"15-line list, first matcher (v1, regex/name):  {old * 1e6:8.0f} µs")
    print(f"ratio new/old: {new / old:.1f}x")
    for line in LIST:
        reading = config.read(line)
        found = ", ".join(f"{m.drug.name} ({m.how})" for m in reading.matches) or (
            f"unrecognised, suggestion {reading.suggestion.drug.name}"
            if reading.suggestion
            else "unrecognised"
        )
        print(f"  {line!r:40} -> {found}")


if __name__ == "__main__":
    main()
