"""One case as a FHIR R4 Bundle (type "collection"): a pure mapping, no ORM, no clock.

The output is plain JSON-ready data (dicts, lists, str, numbers, bool). It is checked against
the R4B models of `fhir.resources` 8.x (which ships R5 as its default package, plus `R4B` and
`STU3`, but no plain R4). R4B is wire-compatible with R4 for every resource used here (Patient,
Location, Appointment, MedicationStatement, AllergyIntolerance, Observation, Flag, Task): nothing
R4B-only is emitted.

Ids are uuid5 of the case's uuid and each resource's role, and nothing reads the clock, so the
same case and flags always give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from checklists.casedata import (
    ALLERGY_CATEGORY_LABELS,
    FLAG_TITLES,
    AllergyData,
    CaseData,
    DriverData,
    LabData,
    MedicationData,
    SignOffData,
)
from checklists.catalog import EXACT, RuleConfig
from checklists.rules import PATIENT, Flag, timeline_for
from fhir_r4 import codes
from fhir_r4.questionnaire import questionnaire_response

Resource = dict[str, Any]

_LANGUAGE_NAMES = {"en": "English", "es": "Spanish"}
_OWNER_NAMES = {"patient": "Patient", "coordinator": "Coordinator", "clinician": "Clinician"}
_FLAG_CATEGORY = "Pre-procedure readiness"


def case_bundle(
    case: CaseData,
    flags: Sequence[Flag],
    *,
    case_uuid: str,
    config: RuleConfig,
    matched: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """The case, its staff sign-offs and its open flags as a FHIR R4 collection Bundle (a
    JSON-ready dict).

    `matched` maps each medication line's name to the catalogue drug names it was read as; by
    default the lines are read with `config`, exact matches only (a probable match is a guess
    staff have not checked, so it is not coded). Times are written in `config.time_zone`.
    """
    ids = _Ids(case_uuid)
    tz = config.time_zone
    if matched is None:
        matched = _exact_matches(case.medications, config)

    patient_url = ids.url("patient")
    order_url = ids.url("procedure")
    entries: list[tuple[str, Resource]] = [
        (patient_url, _patient(case, ids.id("patient"))),
        (order_url, _service_request(case, ids.id("procedure"), patient_url)),
    ]

    timeline = timeline_for(case, config)
    if case.appointment is not None and timeline is not None:
        location_url = ids.url("location")
        entries.append((location_url, _location(case.appointment.room, ids.id("location"))))
        entries.append(
            (
                ids.url("appointment"),
                {
                    "resourceType": "Appointment",
                    "id": ids.id("appointment"),
                    "status": "booked",
                    "basedOn": [{"reference": order_url}],
                    "description": _procedure_text(case),
                    "start": _instant(timeline.start, tz),
                    "end": _instant(timeline.end, tz),
                    "participant": [
                        {"actor": {"reference": patient_url}, "status": "accepted"},
                        {
                            "actor": {"reference": location_url, "display": case.appointment.room},
                            "status": "accepted",
                        },
                    ],
                },
            )
        )

    if case.driver is not None:
        entries.append((ids.url("driver"), _driver(case.driver, ids.id("driver"), patient_url, tz)))
    medication_urls: dict[str, str] = {}  # a line's name -> its first MedicationStatement
    for i, medication in enumerate(case.medications):
        role = f"medication/{i}"
        drugs = matched.get(medication.name, ())
        medication_urls.setdefault(medication.name, ids.url(role))
        entries.append(
            (ids.url(role), _medication_statement(medication, drugs, config, ids.id(role), patient_url))
        )
    for i, allergy in enumerate(case.allergies):
        role = f"allergy/{i}"
        entries.append((ids.url(role), _allergy(allergy, ids.id(role), patient_url)))
    for i, lab in enumerate(case.labs):
        role = f"lab/{i}"
        entries.append((ids.url(role), _observation(lab, ids.id(role), patient_url)))
    if case.intake is not None:
        entries.append(
            (
                ids.url("intake"),
                questionnaire_response(
                    case.intake,
                    resource_id=ids.id("intake"),
                    patient_url=patient_url,
                    authored=_instant(case.intake.submitted_at, tz),
                ),
            )
        )
    for i, signoff in enumerate(case.signoffs):
        role = f"signoff/{i}"
        entries.append(
            (ids.url(role), _signoff_task(signoff, ids.id(role), patient_url, medication_urls, tz))
        )
    for i, flag in enumerate(flags):
        # The index keeps two flags of one code (two medicines) apart; flags arrive sorted.
        flag_role, task_role = f"flag/{i}/{flag.code}", f"task/{i}/{flag.code}"
        flag_url = ids.url(flag_role)
        entries.append((flag_url, _flag(flag, ids.id(flag_role), patient_url, tz)))
        entries.append((ids.url(task_role), _task(flag, ids.id(task_role), patient_url, flag_url, tz)))

    return {
        "resourceType": "Bundle",
        "id": ids.id("bundle"),
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{uuid.UUID(case_uuid)}"},
        "type": "collection",
        "entry": [{"fullUrl": url, "resource": resource} for url, resource in entries],
    }


# --- Resources -----------------------------------------------------------------------------------


def _patient(case: CaseData, resource_id: str) -> Resource:
    p = case.patient
    resource: Resource = {
        "resourceType": "Patient",
        "id": resource_id,
        "name": [{"family": p.last_name, "given": [p.first_name]}],
        "gender": p.sex,  # casedata.SEXES are FHIR's administrative genders, word for word
        "birthDate": p.date_of_birth.isoformat(),
        "communication": [
            {
                "language": {
                    "coding": [{"system": codes.BCP47, "code": p.language}],
                    "text": _LANGUAGE_NAMES.get(p.language, p.language),
                },
                "preferred": True,
            }
        ],
    }
    telecom = [{"system": "phone", "value": p.phone}] if p.phone else []
    telecom += [{"system": "email", "value": p.email}] if p.email else []
    if telecom:
        resource["telecom"] = telecom
    return resource


def _driver(driver: DriverData, resource_id: str, patient_url: str, tz: ZoneInfo) -> Resource:
    """The person who drives the patient home, and whether they (or staff) confirmed it."""
    extension: list[dict[str, Any]] = [{"url": codes.DRIVER_EXTENSION, "valueBoolean": True}]
    if driver.confirmed_at is not None:
        extension.append(
            {"url": codes.DRIVER_CONFIRMED_AT_EXTENSION, "valueDateTime": _instant(driver.confirmed_at, tz)}
        )
    if driver.confirmed_by:
        extension.append({"url": codes.DRIVER_CONFIRMED_BY_EXTENSION, "valueString": driver.confirmed_by})
    if driver.declined_at is not None:
        extension.append(
            {"url": codes.DRIVER_DECLINED_AT_EXTENSION, "valueDateTime": _instant(driver.declined_at, tz)}
        )
    resource: Resource = {
        "resourceType": "RelatedPerson",
        "id": resource_id,
        "extension": extension,
        "patient": {"reference": patient_url},
        "name": [{"text": driver.name}],
        "telecom": [{"system": "phone", "value": driver.phone}],
    }
    if driver.relationship:
        resource["relationship"] = [{"text": driver.relationship}]
    return resource


def _location(room: str, resource_id: str) -> Resource:
    return {"resourceType": "Location", "id": resource_id, "name": room}


def _medication_statement(
    medication: MedicationData, drugs: Sequence[str], config: RuleConfig, resource_id: str, patient_url: str
) -> Resource:
    concept: dict[str, Any] = {"text": medication.name}  # the line as written, always
    entries = [config.drug_named(name) for name in dict.fromkeys(drugs)]
    found = [
        codes.Code(codes.RXNORM, entry.rxnorm, entry.name) for entry in entries if entry and entry.rxnorm
    ]
    # Coded only when every drug of the line has a code (the catalogue's Drug.rxnorm): a
    # combination coded as one of its ingredients would read as that ingredient alone.
    if found and len(found) == len(entries):
        concept["coding"] = [_coding(code) for code in found]
    resource: Resource = {
        "resourceType": "MedicationStatement",
        "id": resource_id,
        "status": "active",
        "medicationCodeableConcept": concept,
        "subject": {"reference": patient_url},
    }
    dosage = " ".join(part for part in (medication.dose, medication.frequency) if part)
    if dosage:
        resource["dosage"] = [{"text": dosage}]
    return resource


def _allergy(allergy: AllergyData, resource_id: str, patient_url: str) -> Resource:
    label = ALLERGY_CATEGORY_LABELS[allergy.category]
    code: dict[str, Any] = {"text": f"{label}: {allergy.substance}" if allergy.substance else label}
    if (known := codes.ALLERGY_CODES.get(allergy.category)) is not None:
        code["coding"] = [_coding(known)]
    resource: Resource = {
        "resourceType": "AllergyIntolerance",
        "id": resource_id,
        "clinicalStatus": {"coding": [{"system": codes.ALLERGY_CLINICAL, "code": "active"}]},
        "criticality": codes.ALLERGY_CRITICALITY[allergy.severity],
        "code": code,
        "patient": {"reference": patient_url},
    }
    if (category := codes.ALLERGY_FHIR_CATEGORY[allergy.category]) is not None:
        resource["category"] = [category]
    if allergy.reaction:
        reaction: dict[str, Any] = {"manifestation": [{"text": allergy.reaction}]}
        if allergy.severity in ("mild", "moderate", "severe"):
            reaction["severity"] = allergy.severity
        resource["reaction"] = [reaction]
    return resource


def _observation(lab: LabData, resource_id: str, patient_url: str) -> Resource:
    lab_code = codes.LABS[lab.test]
    return {
        "resourceType": "Observation",
        "id": resource_id,
        "status": "final",
        "category": [
            {
                "coding": [
                    {"system": codes.OBSERVATION_CATEGORY, "code": "laboratory", "display": "Laboratory"}
                ]
            }
        ],
        "code": {"coding": [_coding(lab_code.loinc)], "text": lab_code.loinc.display},
        "subject": {"reference": patient_url},
        "effectiveDateTime": lab.taken_on.isoformat(),
        "valueQuantity": {
            "value": lab.value,
            "unit": lab_code.unit,
            "system": codes.UCUM,
            "code": lab_code.ucum,
        },
    }


def _flag(flag: Flag, resource_id: str, patient_url: str, tz: ZoneInfo) -> Resource:
    resource: Resource = {
        "resourceType": "Flag",
        "id": resource_id,
        "extension": [
            {"url": codes.SEVERITY_EXTENSION, "valueCode": flag.severity},
            {"url": codes.OWNER_EXTENSION, "valueCode": flag.owner},
        ],
        "status": "active",
        "category": [{"text": _FLAG_CATEGORY}],
        "code": _flag_code(flag),
        "subject": {"reference": patient_url},
    }
    if flag.due is not None:
        resource["period"] = {"end": _instant(flag.due, tz)}
    return resource


def _task(flag: Flag, resource_id: str, patient_url: str, flag_url: str, tz: ZoneInfo) -> Resource:
    owner_name = _OWNER_NAMES[flag.owner]
    owner = (
        {"reference": patient_url, "display": owner_name}
        if flag.owner == PATIENT
        else {"display": owner_name}
    )
    resource: Resource = {
        "resourceType": "Task",
        "id": resource_id,
        "status": "requested",
        "intent": "order",
        "code": _flag_code(flag),
        "description": flag.message,
        "focus": {"reference": flag_url},
        "for": {"reference": patient_url},
        "owner": owner,
    }
    if flag.due is not None:
        resource["restriction"] = {"period": {"end": _instant(flag.due, tz)}}
    return resource


def _signoff_task(
    signoff: SignOffData, resource_id: str, patient_url: str, medication_urls: Mapping[str, str], tz: ZoneInfo
) -> Resource:
    """A staff sign-off as a completed Task: the item, who signed (owner) and when (the end of its
    execution period), the medicine line it is about (focus), the note, and a plan's details."""
    resource: Resource = {
        "resourceType": "Task",
        "id": resource_id,
        "status": "completed",
        "intent": "order",
        "code": {
            "coding": [
                {
                    "system": codes.SIGNOFF_ITEM_SYSTEM,
                    "code": signoff.item,
                    "display": signoff.item.replace("_", " ").capitalize(),
                }
            ]
        },
        "for": {"reference": patient_url},
        "executionPeriod": {"end": _instant(signoff.at, tz)},
        "owner": {"display": signoff.by},
    }
    if signoff.medication is not None:  # the case's line of that name (the loaders keep no other)
        line = medication_urls.get(signoff.medication)
        resource["focus"] = (
            {"reference": line, "display": signoff.medication} if line else {"display": signoff.medication}
        )
    if signoff.note:
        resource["note"] = [{"text": signoff.note}]
    inputs = []
    if signoff.last_dose_on is not None:
        inputs.append(
            _signoff_input(codes.SIGNOFF_LAST_DOSE_ON, "valueDate", signoff.last_dose_on.isoformat())
        )
    if signoff.keep_taking:
        inputs.append(_signoff_input(codes.SIGNOFF_CONTINUE, "valueBoolean", True))
    if signoff.for_start is not None:
        inputs.append(
            _signoff_input(codes.SIGNOFF_FOR_START, "valueDateTime", _instant(signoff.for_start, tz))
        )
    if inputs:
        resource["input"] = inputs
    return resource


def _signoff_input(code: str, kind: str, value: Any) -> dict[str, Any]:
    return {"type": {"coding": [{"system": codes.SIGNOFF_INPUT_SYSTEM, "code": code}]}, kind: value}


# --- Helpers -------------------------------------------------------------------------------------


class _Ids:
    """Deterministic ids: uuid5 of the case's uuid and a resource's role ("patient", "lab/0")."""

    def __init__(self, case_uuid: str) -> None:
        self._namespace = uuid.UUID(case_uuid)

    def id(self, role: str) -> str:
        return str(uuid.uuid5(self._namespace, role))

    def url(self, role: str) -> str:
        return f"urn:uuid:{self.id(role)}"


def _exact_matches(medications: Sequence[MedicationData], config: RuleConfig) -> dict[str, list[str]]:
    return {
        m.name: [match.drug.name for match in config.read(m.name).matches if match.how == EXACT]
        for m in medications
    }


def _flag_code(flag: Flag) -> dict[str, Any]:
    return {
        "coding": [
            {
                "system": codes.READINESS_FLAG_SYSTEM,
                "code": flag.code,
                "display": FLAG_TITLES.get(flag.code, flag.code),
            }
        ],
        "text": flag.message,
    }


def _coding(code: codes.Code) -> dict[str, str]:
    return {"system": code.system, "code": code.code, "display": code.display}


def _service_request(case: CaseData, resource_id: str, patient_url: str) -> Resource:
    """The procedure ordered: the case's reference, kind, vertebral levels (spinal order),
    anaesthesia plan and whether contrast is planned."""
    procedure = case.procedure
    return {
        "resourceType": "ServiceRequest",
        "id": resource_id,
        "identifier": [{"system": codes.CASE_REFERENCE_SYSTEM, "value": case.reference}],
        "status": "active",
        "intent": "order",
        "code": {"text": procedure.kind},
        "subject": {"reference": patient_url},
        "bodySite": [{"text": level} for level in procedure.levels],
        "extension": [
            {"url": codes.ANESTHESIA_EXTENSION, "valueCode": procedure.anesthesia},
            {"url": codes.CONTRAST_EXTENSION, "valueBoolean": procedure.contrast_planned},
        ],
    }


def _procedure_text(case: CaseData) -> str:
    """'Vertebroplasty L1, L2'."""
    return f"{case.procedure.kind.capitalize()} {', '.join(case.procedure.levels)}"


def _instant(moment: dt.datetime, tz: ZoneInfo) -> str:
    """An aware moment in the clinic's zone, to the second, with its offset (a FHIR instant)."""
    return moment.astimezone(tz).isoformat(timespec="seconds")
