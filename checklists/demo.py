"""Demo cases for `seed_demo`: about fifteen cases over the next three weeks that between them
raise every flag code, plus several that are ready. Built relative to a given day."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from checklists.casedata import (
    CONFIRMED_BY_DRIVER,
    AllergyData,
    AppointmentData,
    CaseData,
    DriverData,
    IntakeData,
    LabData,
    MedicationData,
    PatientData,
    ProcedureData,
    SignOffData,
)

ROOMS = (
    ("IR Suite 1", "Level 2, Interventional Radiology"),
    ("IR Suite 2", "Level 2, Interventional Radiology"),
    ("Fluoro Room", "Level 1, Imaging"),
)
STAFF = ("coordinator", "clinician", "admin")
LINK_CASE = "DEMO-005"  # seed_demo prints a patient intake link for this case
FHIR_CASE = "DEMO-001"  # and where to read this one as a FHIR Bundle


def demo_cases(today: dt.date, tz: ZoneInfo) -> list[CaseData]:
    """The demo cases, dated from `today` (the clinic's local date)."""

    def at(days: int, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(today + dt.timedelta(days=days), dt.time(hour, minute), tzinfo=tz)

    def slot(days: int, hour: int, room: int = 0) -> AppointmentData:
        return AppointmentData(start=at(days, hour), room=ROOMS[room][0])

    def labs(days_before: int = 3, inr: float = 1.0, platelets: float = 230, egfr: float | None = None):
        taken = today - dt.timedelta(days=days_before)
        result = [LabData("inr", inr, taken), LabData("platelets", platelets, taken)]
        if egfr is not None:
            result.append(LabData("egfr", egfr, taken))
        return tuple(result)

    def intake(**answers) -> IntakeData:
        base = {
            "submitted_at": at(-1, 18, 30),
            "medications_complete": True,
            "no_known_allergies": True,
            "fasting_acknowledged": True,
            "can_lie_prone": True,
        }
        return IntakeData(**(base | answers))

    def driver(name: str, phone: str, answer: str = "phone", relationship: str = "daughter") -> DriverData:
        """answer: "phone" (the coordinator phoned), "link" (the driver's own link), "declined"
        (they answered "I can't" by link) or "" (not confirmed yet)."""
        confirmed = answer in ("phone", "link")
        return DriverData(
            name=name,
            phone=phone,
            relationship=relationship,
            confirmed_at=at(-1, 11) if confirmed else None,
            confirmed_by={"phone": "coordinator", "link": CONFIRMED_BY_DRIVER}.get(answer),
            declined_at=at(-1, 18) if answer == "declined" else None,
        )

    def signed(*items: str, **about) -> tuple[SignOffData, ...]:
        """Sign-offs by the demo clinician; per-medicine ones name their line (`medication=`)."""
        return tuple(
            SignOffData(item=i, by="clinician", at=at(-1, 9), note="Demo sign-off", **about) for i in items
        )

    def patient(first: str, last: str, born: str, sex: str, n: int, language: str = "en") -> PatientData:
        return PatientData(
            first_name=first,
            last_name=last,
            date_of_birth=dt.date.fromisoformat(born),
            sex=sex,
            email=f"{first.lower()}.{last.lower()}@example.org",
            phone=f"+1555010{n:04d}",
            language=language,
        )

    spine = ProcedureData
    return [
        # --- ready cases ---
        CaseData(
            "DEMO-001",
            patient("Margaret", "Okafor", "1948-03-12", "female", 1),
            spine(("L1",)),
            slot(2, 8),
            labs=labs(),
            intake=intake(),
            driver=driver("Ada Okafor", "+15550109001"),
        ),
        CaseData(
            "DEMO-002",
            patient("Harold", "Lindqvist", "1941-07-30", "male", 2),
            spine(("T12", "L1")),
            slot(3, 10, 1),
            medications=(
                MedicationData(
                    "Eliquis 5mg", "5 mg", "twice daily", last_dose_planned=today + dt.timedelta(days=0)
                ),
            ),
            labs=labs(egfr=72),
            intake=intake(),
            driver=driver("Ingrid Lindqvist", "+15550109002"),
            signoffs=signed("anticoagulant_plan_approved", medication="Eliquis 5mg", for_start=at(3, 10)),
        ),
        CaseData(
            "DEMO-003",
            patient("Rosa", "Delgado", "1950-11-02", "female", 3, "es"),
            spine(("L2",)),
            slot(5, 8, 2),
            # A usual list of ten medicines of a 75-year-old: all recognised, nothing to do.
            medications=tuple(
                MedicationData(name)
                for name in (
                    "Lisinopril 10 mg",
                    "Atorvastatin 40mg",
                    "Levothyroxine 50 mcg",
                    "Omeprazole 20 mg",
                    "Metoprolol succinate 25 mg",
                    "Amlodipine 5mg",
                    "Tylenol 500 mg as needed",
                    "Vitamin D3 1000 IU",
                    "Calcium 600 mg",
                    "Alendronate 70 mg weekly",
                )
            ),
            labs=labs(),
            intake=intake(),
            driver=driver("Luis Delgado", "+15550109003", relationship="son"),
        ),
        CaseData(
            "DEMO-004",
            patient("Walter", "Brennan", "1939-01-19", "male", 4),
            spine(("T8",)),
            slot(9, 13),
            medications=(MedicationData("Fish oil 1000 mg", frequency="daily"),),
            labs=labs(),
            intake=intake(),
            driver=driver("Nora Brennan", "+15550109004"),
            signoffs=(
                SignOffData(
                    "supplement_advice_given", "coordinator", at(-1, 10), medication="Fish oil 1000 mg"
                ),
            ),
        ),
        # --- not ready: patient still to act ---
        CaseData(
            "DEMO-005", patient("Evelyn", "Hart", "1945-05-05", "female", 5), spine(("L3",)), slot(1, 10)
        ),  # no intake, no driver, no labs: the day-before scramble
        CaseData(
            "DEMO-006",
            patient("George", "Nakamura", "1947-09-14", "male", 6),
            spine(("T11", "T12")),
            slot(4, 13, 1),
            medications=(MedicationData("my heart pill", frequency="every morning"),),
            labs=labs(),
            intake=intake(medications_complete=False, no_known_allergies=False, fasting_acknowledged=False),
            driver=driver("Kenji Nakamura", "+15550109006", "", relationship="son"),
        ),
        # --- not ready: clinician to act ---
        CaseData(
            "DEMO-007",
            patient("Dorothy", "Fischer", "1943-02-27", "female", 7),
            spine(("L1",)),
            slot(6, 8),
            medications=(
                MedicationData(
                    "Coumadin 5mg", "5 mg", "daily", last_dose_planned=today + dt.timedelta(days=4)
                ),
            ),
            labs=labs(inr=2.4),
            intake=intake(),
            driver=driver("Paul Fischer", "+15550109007"),
        ),
        CaseData(
            "DEMO-008",
            patient("Samuel", "Adeyemi", "1952-12-08", "male", 8),
            spine(("T10",)),
            slot(7, 10, 2),
            medications=(
                MedicationData("Ozempic", "1 mg", "weekly injection"),
                MedicationData("Jardiance 10mg", "10 mg", "daily"),
                MedicationData("Metformin 1000 mg", "1000 mg", "twice daily"),
                MedicationData("Lantus", "20 units", "nightly"),
            ),
            labs=labs(egfr=26),
            intake=intake(diabetes="insulin"),
            driver=driver("Grace Adeyemi", "+15550109008", relationship="wife"),
        ),
        CaseData(
            "DEMO-009",
            patient("Irene", "Kowalski", "1949-06-21", "female", 9),
            spine(("L4",)),
            slot(8, 8, 1),
            allergies=(
                AllergyData("iodinated_contrast", "iohexol", "hives", "moderate"),
                AllergyData("local_anesthetic", "lidocaine", "swelling", "severe"),
                AllergyData("latex", None, "rash", "mild"),
            ),
            labs=labs(platelets=41),
            intake=intake(no_known_allergies=False),
            driver=driver("Tom Kowalski", "+15550109009", relationship="husband"),
        ),
        CaseData(
            "DEMO-010",
            patient("Frank", "Moreau", "1944-04-04", "male", 10),
            spine(("T9", "T10")),
            slot(10, 13, 2),
            labs=labs(),
            intake=intake(can_lie_prone=False, infection_symptoms=True),
            driver=driver("Claire Moreau", "+15550109010"),
        ),
        CaseData(
            "DEMO-011",
            patient("Aisha", "Rahman", "1979-08-16", "female", 11),
            spine(("L1",)),
            slot(12, 10),
            labs=labs(),
            intake=intake(pregnant=None, can_lie_prone=None),
            driver=driver("Omar Rahman", "+15550109011", relationship="brother"),
        ),
        CaseData(
            "DEMO-012",
            patient("Bernard", "Cole", "1938-10-10", "male", 12),
            spine(("T7",)),
            slot(14, 8, 1),
            medications=(
                MedicationData("Plavix 75mg", "75 mg", "daily"),
                MedicationData("Ginkgo biloba", frequency="daily"),
                MedicationData("Advil", "200 mg", "as needed"),
                MedicationData("St John's wort", frequency="daily"),
            ),
            labs=(LabData("platelets", 210, today - dt.timedelta(days=2)),),
            intake=intake(),
            driver=driver("Edith Cole", "+15550109012", relationship="wife"),
        ),
        # --- later in the three weeks ---
        CaseData(
            "DEMO-013",
            patient("Lucia", "Ferreira", "1946-01-23", "female", 13, "es"),
            spine(("L2", "L3")),
            slot(16, 10, 2),
            medications=(
                MedicationData("Xarelto 20mg", "20 mg", "daily"),
                MedicationData("Lovenox 40 mg", "40 mg", "injection, since the hospital"),
            ),
            intake=intake(),
            driver=driver("Marco Ferreira", "+15550109013", "declined"),
        ),
        CaseData(
            "DEMO-014",
            patient("Arthur", "Pennington", "1940-03-03", "male", 14),
            spine(("T12",)),
            slot(19, 13),
            medications=(MedicationData("Tylenol", "500 mg"), MedicationData("acetaminophen 500mg")),
            labs=labs(),
            intake=intake(),
            driver=driver("June Pennington", "+15550109014", "link", relationship="wife"),
        ),
        CaseData(
            "DEMO-015",
            patient("Helen", "Yoshida", "1951-07-07", "female", 15),
            spine(("L1",)),
            None,
            medications=(MedicationData("Baby aspirin 81mg", "81 mg", "daily"),),
        ),
    ]
