"""Seed N realistic bench cases fast (bulk_create, no history rows) for `http_load.py`. Run by hand:

    .venv/bin/python bench/seed.py 1000 --dense --reset
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prepdesk_bench .venv/bin/python bench/seed.py 10000

SQLite at /tmp/prepdesk-bench.sqlite3 unless SQLITE_PATH or DATABASE_URL say otherwise; the
database is migrated first. Cases are BENCH-000001…, patients' emails end @bench.example.org.
About 90% get an appointment: one case per room per three-hour block (08:00, 11:00, 14:00,
clinic time, weekdays), so no two active appointments overlap in a room; rooms beyond the three
demo rooms ("Bench Room N") are added so the schedule spans at most --months. `--dense` puts the
first 500 scheduled cases in the 14 days from the start day, the rest after them.
Refuses (exit 2) when bench cases exist, unless --reset deletes the bench rows first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import random
import sys
import time
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import benchkit

BLOCK_HOURS = (8, 11, 14)  # three-hour blocks: up to three levels (1 h each) fit in one
DENSE_CASES = 500
DENSE_DAYS = 14
CHUNK = 2000
DRAFT_EVERY = 10  # ~10% drafts
CANCELLED_SHARE = 0.03

FIRST_NAMES = (
    "Margaret Harold Rosa Walter Evelyn Frank Dorothy George Alice Arthur Helen Raymond Ruth "
    "Eugene Mildred Carlos Lucia Ingrid Tomasz Grace Samuel Ada Louis Nora Irene Victor Joan"
).split()
LAST_NAMES = (
    "Okafor Lindqvist Delgado Brennan Hart Moreau Nakamura Kowalski Oyelaran Fitzgerald Russo "
    "Haddad Novak Jensen Alvarez Whitfield Tanaka Baptiste Sullivan Petrov Mensah Castillo Kim"
).split()
# Medicine lines as patients write them (names the catalogue knows, and some it does not).
MEDICINES = (
    ("Eliquis 5mg", "5 mg", "twice daily"),
    ("Xarelto 20mg", "20 mg", "daily"),
    ("Coumadin 5mg", "5 mg", "daily"),
    ("warfarin 3 mg", "3 mg", "daily"),
    ("Plavix 75mg", "75 mg", "daily"),
    ("Baby aspirin 81mg", "81 mg", "daily"),
    ("Lovenox 40 mg", "40 mg", "daily"),
    ("Advil", "400 mg", "as needed"),
    ("Ginkgo biloba", "", "daily"),
    ("Fish oil 1000 mg", "1000 mg", "daily"),
    ("St John's wort", "", "daily"),
    ("Metformin 1000 mg", "1000 mg", "twice daily"),
    ("Jardiance 10mg", "10 mg", "daily"),
    ("Ozempic", "0.5 mg", "weekly"),
    ("Lantus", "20 units", "at night"),
    ("Lisinopril 10 mg", "10 mg", "daily"),
    ("Atorvastatin 40mg", "40 mg", "daily"),
    ("Levothyroxine 50 mcg", "50 mcg", "daily"),
    ("Omeprazole 20 mg", "20 mg", "daily"),
    ("Amlodipine 5mg", "5 mg", "daily"),
    ("Tylenol 500 mg as needed", "", ""),
    ("Vitamin D3 1000 IU", "", "daily"),
    ("Calcium 600 mg", "", "daily"),
    ("Alendronate 70 mg weekly", "", ""),
    ("my heart pill", "", ""),
)
MEDICINE_COUNTS = (0, 0, 1, 1, 2, 2, 3, 3, 4, 5, 6, 8)
ALLERGIES = (
    ("iodinated_contrast", "Iohexol", "hives", "moderate"),
    ("latex", "", "rash", "mild"),
    ("other", "Penicillin", "rash", "mild"),
    ("local_anesthetic", "Lidocaine", "swelling", "moderate"),
    ("other", "Codeine", "nausea", "mild"),
    ("sedative", "Midazolam", "confusion", "unknown"),
)
SPINE = ("T5", "T6", "T7", "T8", "T9", "T10", "T11", "T12", "L1", "L2", "L3", "L4", "L5")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("cases", type=int, help="how many cases to create")
    parser.add_argument("--dense", action="store_true", help=f"{DENSE_CASES} cases in the first 14 days")
    parser.add_argument("--reset", action="store_true", help="delete the bench rows first")
    parser.add_argument("--start", type=dt.date.fromisoformat, help="first day (default: today)")
    parser.add_argument("--months", type=int, default=12, help="longest span of the schedule")
    parser.add_argument("--seed", type=int, default=1, help="random seed (same seed, same cases)")
    return parser.parse_args()


def clinic_days(first: dt.date, last: dt.date | None = None) -> Iterator[dt.date]:
    day = first
    while last is None or day < last:
        if day.weekday() < 5:
            yield day
        day += dt.timedelta(days=1)


def slots(first: dt.date, last: dt.date | None, rooms: list, tz: ZoneInfo) -> Iterator[tuple]:
    """(room, start) in time order, one per room per block."""
    for day in clinic_days(first, last):
        for hour in BLOCK_HOURS:
            start = dt.datetime.combine(day, dt.time(hour), tzinfo=tz)
            for room in rooms:
                yield room, start


def rooms_for(count: int, bench_rooms: int) -> list:
    """The three demo rooms, then as many "Bench Room N" as asked."""
    from checklists import demo
    from checklists.models import Room

    rooms = [Room.objects.get_or_create(name=name, defaults={"location": loc})[0] for name, loc in demo.ROOMS]
    for n in range(1, bench_rooms + 1):
        rooms.append(
            Room.objects.get_or_create(
                name=f"{benchkit.BENCH_ROOM_PREFIX}{n}", defaults={"location": "Bench wing"}
            )[0]
        )
    return rooms[:count]


def schedule(scheduled: int, *, start: dt.date, dense: bool, months: int, tz: ZoneInfo) -> list[tuple]:
    """A free (room, start) for each scheduled case, skipping blocks other appointments hold."""
    from checklists.models import Appointment

    plan: list[tuple[int, dt.date, dt.date | None]] = []  # (cases, first day, last day)
    rest = scheduled
    first = start
    if dense:
        dense_end = start + dt.timedelta(days=DENSE_DAYS)
        take = min(DENSE_CASES, rest)
        plan.append((take, start, dense_end))
        rest -= take
        first = dense_end
    if rest:
        plan.append((rest, first, None))
    counts = []
    for take, first_day, last_day in plan:
        if last_day is not None:
            days = sum(1 for _ in clinic_days(first_day, last_day))
        else:
            days = sum(1 for _ in clinic_days(first_day, first_day + dt.timedelta(days=round(months * 30.4))))
        counts.append(max(3, math.ceil(take / (days * len(BLOCK_HOURS)))))
    rooms = rooms_for(max(counts), max(0, max(counts) - 3))
    busy: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    first_moment = dt.datetime.combine(start, dt.time(0), tzinfo=tz)
    for room_id, begin, end in Appointment.objects.filter(
        is_active=True, end__gt=first_moment, room__in=rooms
    ).values_list("room_id", "start", "end"):
        busy.setdefault(room_id, []).append((begin, end))
    result = []
    for (take, first_day, last_day), count in zip(plan, counts, strict=True):
        made = 0
        for room, begin in slots(first_day, last_day, rooms[:count], tz):
            if made == take:
                break
            block_end = begin + dt.timedelta(hours=3)
            if any(b < block_end and begin < e for b, e in busy.get(room.pk, ())):
                continue
            result.append((room, begin))
            made += 1
        if made < take:
            sys.stderr.write(f"seed: only {made} free slots for {take} cases in the dense fortnight\n")
            raise SystemExit(2)
    return result


def purge(model, rows) -> int:
    """Delete `rows` and what depends on them in SQL, without loading them (and without the
    history rows simple-history's delete signals would write one by one)."""
    from django.db.models import CASCADE, SET_NULL

    for field in model._meta.get_fields(include_hidden=True):
        if not (field.auto_created and not field.concrete and (field.one_to_many or field.one_to_one)):
            continue
        fk = field.field
        children = field.related_model._base_manager.filter(**{f"{fk.name}__in": rows.values("pk")})
        if fk.remote_field.on_delete is CASCADE:
            purge(field.related_model, children)
        elif fk.remote_field.on_delete is SET_NULL:
            children.update(**{fk.name: None})
    return rows._raw_delete(rows.db)


def reset() -> int:
    from checklists.models import Case, Patient

    cases = Case.objects.filter(reference__startswith=benchkit.REFERENCE_PREFIX)
    patient_ids = list(cases.values_list("patient_id", flat=True))
    deleted = purge(Case, cases)
    purge(Patient, Patient.objects.filter(pk__in=patient_ids, email__endswith=f"@{benchkit.EMAIL_DOMAIN}"))
    return deleted


def staff() -> tuple:
    """The bench coordinator (logs in) and a clinician (signs plans; never logs in)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    users = get_user_model()
    coordinator, _ = users.objects.get_or_create(
        username=benchkit.USERNAME, defaults={"first_name": "Bench", "email": "bench@clinic.example"}
    )
    coordinator.set_password(benchkit.PASSWORD)
    coordinator.save()
    coordinator.groups.add(Group.objects.get_or_create(name="coordinator")[0])
    clinician, _ = users.objects.get_or_create(username=benchkit.CLINICIAN_USERNAME)
    clinician.set_unusable_password()
    clinician.save()
    clinician.groups.add(Group.objects.get_or_create(name="clinician")[0])
    return coordinator, clinician


class Builder:
    """Builds the rows of one chunk of cases in memory, then writes them with bulk_create."""

    def __init__(self, rng: random.Random, config, now: dt.datetime, coordinator, clinician) -> None:
        from checklists.casedata import ANTICOAGULANT_CLASSES
        from checklists.models import Drug

        self.rng, self.config, self.now = rng, config, now
        self.coordinator, self.clinician = coordinator, clinician
        self.today = now.astimezone(config.time_zone).date()
        catalogue = {d.name: d.pk for d in Drug.objects.all()}
        self.drug_ids = {
            name: [catalogue[d.name] for d in config.match(name) if d.name in catalogue]
            for name, _, _ in MEDICINES
        }
        self.anticoagulant = {
            name: any(d.drug_class in ANTICOAGULANT_CLASSES for d in config.match(name))
            for name, _, _ in MEDICINES
        }

    def write(self, numbers: range, slots: list) -> None:
        from checklists.models import (
            Allergy,
            Appointment,
            Case,
            Driver,
            Intake,
            LabResult,
            Medication,
            Patient,
            SignOff,
        )

        rng = self.rng
        patients, cases, plans = [], [], []
        for number, slot in zip(numbers, slots, strict=True):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            patients.append(
                Patient(
                    first_name=first,
                    last_name=last,
                    date_of_birth=dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(36 * 365)),
                    sex=rng.choice(("female", "female", "male", "unknown")),
                    email=f"{first}.{last}.{number}@{benchkit.EMAIL_DOMAIN}".lower(),
                    phone=f"+15550{number % 1_000_000:06d}",
                    language="es" if rng.random() < 0.1 else "en",
                )
            )
            status = Case.Status.DRAFT
            if slot is not None:
                status = Case.Status.CANCELLED if rng.random() < CANCELLED_SHARE else Case.Status.SCHEDULED
            top = rng.randrange(len(SPINE) - 2)
            levels = list(SPINE[top : top + rng.choice((1, 1, 1, 2, 2, 3))])
            cases.append(
                Case(
                    reference=f"{benchkit.REFERENCE_PREFIX}{number:06d}",
                    kind="kyphoplasty" if rng.random() < 0.15 else "vertebroplasty",
                    levels=levels,
                    anesthesia="general" if rng.random() < 0.1 else "local_sedation",
                    status=status,
                )
            )
            plans.append(slot)
        Patient.objects.bulk_create(patients, batch_size=1000)
        for case, patient in zip(cases, patients, strict=True):
            case.patient = patient
        Case.objects.bulk_create(cases, batch_size=1000)

        appointments, medications, lines, allergies, labs, intakes, drivers, signoffs = ([] for _ in range(8))
        for case, slot in zip(cases, plans, strict=True):
            start = None
            if slot is not None:
                room, start = slot
                end = start + dt.timedelta(minutes=self.config.minutes_per_level * len(case.levels))
                appointments.append(
                    Appointment(
                        case=case,
                        room=room,
                        start=start,
                        end=end,
                        is_active=case.status != Case.Status.CANCELLED,
                    )
                )
            day = start.date() if start is not None else self.today
            names = rng.sample(MEDICINES, rng.choice(MEDICINE_COUNTS))
            for position, (name, dose, frequency) in enumerate(names):
                last_dose = None
                if start is not None and self.anticoagulant[name] and rng.random() < 0.5:
                    last_dose = day - dt.timedelta(days=rng.choice((1, 2, 3, 5)))
                row = Medication(
                    case=case,
                    position=position,
                    name=name,
                    dose=dose,
                    frequency=frequency,
                    last_dose_planned=last_dose,
                )
                medications.append(row)
                lines.append((case, row, start, last_dose))
            allergic = rng.random() < 0.25
            if allergic:
                category, substance, reaction, severity = rng.choice(ALLERGIES)
                allergies.append(
                    Allergy(
                        case=case,
                        category=category,
                        substance=substance,
                        reaction=reaction,
                        severity=severity,
                    )
                )
            if rng.random() < 0.75:
                taken = min(day, self.today) - dt.timedelta(days=rng.randrange(1, 25))
                warfarin = any(n.startswith(("Coumadin", "warfarin")) for n, _, _ in names)
                inr = round(rng.uniform(1.8, 2.8) if warfarin else rng.uniform(0.9, 1.3), 1)
                platelets = rng.choice((35, *range(150, 400, 10)))
                labs += [
                    LabResult(case=case, test="inr", value=inr, taken_on=taken),
                    LabResult(case=case, test="platelets", value=platelets, taken_on=taken),
                ]
                if rng.random() < 0.5:
                    labs.append(
                        LabResult(case=case, test="egfr", value=rng.randrange(25, 95), taken_on=taken)
                    )
                if rng.random() < 0.3:
                    signoffs.append(self._signoff(case, "labs_reviewed", self.coordinator))
            if rng.random() < 0.65:
                submitted = rng.random() < 0.7
                intakes.append(
                    Intake(
                        case=case,
                        submitted_at=self.now - dt.timedelta(hours=rng.randrange(1, 500))
                        if submitted
                        else None,
                        medications_complete=submitted,
                        no_known_allergies=submitted and not allergic,
                        fasting_acknowledged=submitted,
                        can_lie_prone=True if submitted else None,
                        diabetes=rng.choice(("none", "none", "none", "tablets", "insulin")),
                    )
                )
            if rng.random() < 0.55:
                confirmed = rng.random() < 0.5
                drivers.append(
                    Driver(
                        case=case,
                        name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                        relationship=rng.choice(("daughter", "son", "spouse", "friend", "neighbour")),
                        phone=f"+15551{rng.randrange(1_000_000):06d}",
                        confirmed_at=self.now - dt.timedelta(hours=rng.randrange(1, 200))
                        if confirmed
                        else None,
                        confirmed_by=self.coordinator if confirmed else None,
                    )
                )
        Appointment.objects.bulk_create(appointments, batch_size=1000)
        Medication.objects.bulk_create(medications, batch_size=1000)
        Medication.drugs.through.objects.bulk_create(
            [
                Medication.drugs.through(medication_id=row.pk, drug_id=drug_id)
                for _, row, _, _ in lines
                for drug_id in self.drug_ids[row.name]
            ],
            batch_size=1000,
        )
        for case, row, start, last_dose in lines:
            # Half the anticoagulants of scheduled cases have a clinician's plan for this start.
            if start is not None and self.anticoagulant[row.name] and rng.random() < 0.5:
                signoff = self._signoff(case, "anticoagulant_plan_approved", self.clinician)
                signoff.medication, signoff.medication_name = row, row.name
                signoff.last_dose_on, signoff.for_start = last_dose, start
                signoffs.append(signoff)
        for model, rows in ((Allergy, allergies), (LabResult, labs), (Intake, intakes), (Driver, drivers)):
            model.objects.bulk_create(rows, batch_size=1000)
        SignOff.objects.bulk_create(signoffs, batch_size=1000)

    def _signoff(self, case, item: str, user):
        from checklists.models import SignOff

        at = self.now - dt.timedelta(hours=self.rng.randrange(1, 100))
        return SignOff(case=case, item=item, by=user.username, by_user=user, at=at, note="Bench sign-off")


def main() -> None:
    args = parse_args()
    benchkit.django_setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from checklists.models import Case
    from checklists.selectors.catalogue import load_rule_config

    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    existing = Case.objects.filter(reference__startswith=benchkit.REFERENCE_PREFIX).count()
    if existing and not args.reset:
        sys.stderr.write(f"seed: {existing} bench cases already exist (--reset deletes them first)\n")
        raise SystemExit(2)
    config = load_rule_config()
    now = timezone.now()
    start = args.start or now.astimezone(config.time_zone).date()
    rng = random.Random(args.seed)
    with transaction.atomic():
        deleted = reset() if existing else 0
        coordinator, clinician = staff()
        drafts = [number % DRAFT_EVERY == 0 for number in range(1, args.cases + 1)]
        planned = schedule(
            drafts.count(False), start=start, dense=args.dense, months=args.months, tz=config.time_zone
        )
        # Every tenth case is a draft without an appointment, spread through the list.
        slots_left = iter(planned)
        plan = [None if draft else next(slots_left) for draft in drafts]
        seeded = time.perf_counter()
        builder = Builder(rng, config, now, coordinator, clinician)
        for first in range(0, args.cases, CHUNK):
            numbers = range(first + 1, min(first + CHUNK, args.cases) + 1)
            builder.write(numbers, plan[first : first + len(numbers)])
    # Fresh statistics and visibility maps, as autovacuum would give a real database in time:
    # without them the planner guesses the tables' sizes from before the seed and may pick
    # sequential scans, and an index-only scan still reads every row's page.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    took = time.perf_counter() - began
    rate = args.cases / max(time.perf_counter() - seeded, 1e-9)
    last = max((s[1] for s in planned), default=None)
    print(
        f"seed: {args.cases} cases ({len(planned)} scheduled up to {last:%Y-%m-%d}, "
        f"{args.cases - len(planned)} drafts) in {took:.1f} s ({rate:.0f} cases/s written) "
        f"on {benchkit.database_label()}" + (f"; {deleted} old bench cases deleted" if deleted else "")
    )


if __name__ == "__main__":
    main()
