"""A FHIR R4 Bundle (an EHR referral, or our own export) read back into a case: pure, no ORM.

The Bundle is checked with the R4B models of `fhir.resources` first, then mapped onto the JSON
case format and parsed by `checklists.casefile`, so a Bundle is held to exactly the rules a case
file is (phones, dates, lengths, the appointment window). Every error is a `CaseFileError` naming
the FHIR element, e.g. `entry[3].resource.effectiveDateTime: required`.

Nothing is invented: what the Bundle does not say is either the case format's own default
(procedure kind, anaesthesia, contrast) or an error. The vertebral levels and the case reference
are not in the export's Bundle in a machine-readable form, so they are given by the caller.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pydantic
from fhir.resources.R4B.bundle import Bundle

from checklists.casedata import ALLERGY_CATEGORY_LABELS, ALLERGY_SEVERITIES, CaseData
from checklists.casefile import CaseFileError, parse_case_document
from checklists.catalog import RuleConfig
from fhir_r4 import codes
from fhir_r4.questionnaire import QUESTIONNAIRE_URL, intake_answers

Resource = dict[str, Any]

READ = (
    "Patient",
    "ServiceRequest",
    "Appointment",
    "Location",
    "MedicationStatement",
    "AllergyIntolerance",
    "Observation",
    "QuestionnaireResponse",
    "RelatedPerson",
    "Medication",  # what a MedicationStatement's medicationReference points at
    "Task",  # a completed Task coded with a sign-off item is a staff sign-off; other Tasks are skipped
)
# The export writes the readiness flags as Flag and Task; they are worked out afresh from the case,
# never input, so an import skips them.
COMPUTED = ("Flag",)

# The export's tables, reversed (fhir_r4.codes and checklists.casedata).
_ALLERGY_BY_CODE = {(c.system, c.code): category for category, c in codes.ALLERGY_CODES.items()}
_ALLERGY_BY_LABEL = {label: category for category, label in ALLERGY_CATEGORY_LABELS.items()}
_LAB_BY_LOINC = {lab.loinc.code: test for test, lab in codes.LABS.items()}
# The export writes criticality "high" for a severe allergy; "low" is mild or moderate, which
# cannot be told apart, so it stays "unknown" unless a reaction says its severity.
_SEVERITY_BY_CRITICALITY = {"high": "severe"}
_REFERENCE = re.compile(r"[A-Za-z0-9._-]{1,64}")
_NOT_DATA = ("entered-in-error",)
_BOOKED = ("booked", "arrived", "checked-in", "fulfilled")
# How a caller gives what a Bundle may lack, named in the error that asks for it.
COMMAND_OPTIONS = {"reference": "--reference", "levels": "--levels"}


def bundle_to_case(
    doc: Any,
    *,
    reference: str | None,
    levels: Sequence[str] | None,
    as_of: dt.datetime,
    config: RuleConfig,
    phone_region: str = "US",
    given_as: Mapping[str, str] = COMMAND_OPTIONS,
    signoffs: bool = True,
) -> CaseData:
    """The case a Bundle describes, validated as the case format validates a case file.

    `reference` (else a usable `Bundle.identifier`) names the case; `levels` are the vertebral
    levels. `as_of` is "now" for the date checks (a birth date in the past, a lab not in the future).
    `given_as` names how the caller gives the reference and the levels, for the error asking for them.
    `signoffs=False` refuses a Bundle carrying staff sign-offs (completed Tasks of a sign-off item):
    over the API nobody signed in has cleared anything, and clinicians' items are theirs alone.
    """
    reader = _Reader(doc, reference=reference, levels=levels, given_as=given_as, signoffs=signoffs)
    try:
        (case,) = parse_case_document(
            reader.case, as_of=as_of, time_zone=config.time_zone, phone_region=phone_region
        )
    except CaseFileError as error:
        raise CaseFileError(reader.element(error.path), error.message) from error
    return case


def element_path(doc: Any, case_path: str, *, reference: str | None, levels: Sequence[str] | None) -> str:
    """The FHIR element behind a case format path ("appointment.start" -> "entry[2].resource.start"),
    for errors found later, such as an import's overlap refusal. `doc` must be a valid Bundle."""
    return _Reader(doc, reference=reference, levels=levels).element(case_path)


class _Reader:
    """One Bundle mapped onto the case format (`case`), remembering where each field came from."""

    def __init__(
        self,
        doc: Any,
        *,
        reference: str | None,
        levels: Sequence[str] | None,
        given_as: Mapping[str, str] = COMMAND_OPTIONS,
        signoffs: bool = True,
    ) -> None:
        self.given_as = given_as
        _check_resource_types(doc)
        _validate(doc)
        self.where: dict[str, str] = {}  # case format path -> FHIR element path
        self.by_type: dict[str, list[tuple[int, Resource]]] = {}
        self.medication_names: dict[int, str] = {}  # entry index -> the line's name as read
        self.by_url: dict[str, tuple[int, Resource]] = {}
        for i, entry in enumerate(doc.get("entry") or []):
            resource = entry.get("resource")
            if resource is None:
                raise CaseFileError(f"entry[{i}].resource", "required")
            if resource["resourceType"] in COMPUTED:
                continue
            self.by_type.setdefault(resource["resourceType"], []).append((i, resource))
            if entry.get("fullUrl"):
                self.by_url[entry["fullUrl"]] = (i, resource)
            if resource.get("id"):
                self.by_url[f"{resource['resourceType']}/{resource['id']}"] = (i, resource)

        self.patient_index, patient = self.only("Patient", required=True)
        self.order_index, self.order = self.only("ServiceRequest")
        case: dict[str, Any] = {
            "reference": self.reference(doc, reference),
            "patient": self.patient(patient),
        }
        appointment = self.appointment()
        case["procedure"] = {"levels": self.levels(levels), **self.procedure()}
        if appointment is not None:
            case["appointment"] = appointment
        case["medications"] = [
            self.medication(i, r, n) for n, (i, r) in enumerate(self.of("MedicationStatement"))
        ]
        case["allergies"] = [self.allergy(i, r, n) for n, (i, r) in enumerate(self.of("AllergyIntolerance"))]
        case["labs"] = [self.lab(i, r, n) for n, (i, r) in enumerate(self.of("Observation"))]
        intake = self.intake()
        if intake is not None:
            case["intake"] = intake
        driver = self.driver()
        if driver is not None:
            case["driver"] = driver
        tasks = [(i, r) for i, r in self.of("Task") if _signoff_item(r) is not None]
        if tasks and not signoffs:
            raise CaseFileError(
                f"entry[{tasks[0][0]}].resource",
                "a referral cannot carry sign-offs: staff record them in PrepDesk",
            )
        case["verifications"] = [self.signoff(i, r, n) for n, (i, r) in enumerate(tasks)]
        self.case = case

    def element(self, case_path: str) -> str:
        """The FHIR path of a case format path: the longest mapped prefix, else the path itself."""
        for key in sorted(self.where, key=len, reverse=True):
            if case_path == key or case_path.startswith((key + ".", key + "[")):
                return self.where[key] + case_path[len(key) :]
        return case_path

    # Finding resources ------------------------------------------------------------------------

    def of(self, kind: str) -> list[tuple[int, Resource]]:
        return self.by_type.get(kind, [])

    def only(self, kind: str, *, required: bool = False) -> tuple[int, Resource]:
        found = self.of(kind)
        if not found and required:
            raise CaseFileError("entry", f"a {kind} is required")
        if len(found) > 1:
            raise CaseFileError(f"entry[{found[1][0]}].resource", f"only one {kind} per Bundle")
        return found[0] if found else (-1, {})

    def about_the_patient(self, index: int, resource: Resource, element: str) -> None:
        """A resource about someone else must not land in this patient's case."""
        target = (resource.get(element) or {}).get("reference")
        if target is not None and self.by_url.get(target, (None,))[0] != self.patient_index:
            raise CaseFileError(
                f"entry[{index}].resource.{element}.reference",
                f"must refer to the Patient (entry[{self.patient_index}])",
            )

    # The case ---------------------------------------------------------------------------------

    def reference(self, doc: Resource, given: str | None) -> str:
        if given is not None:
            self.where["reference"] = "reference"
            return given
        for n, identifier in enumerate(self.order.get("identifier") or []):
            if identifier.get("system") == codes.CASE_REFERENCE_SYSTEM and identifier.get("value"):
                self.where["reference"] = f"entry[{self.order_index}].resource.identifier[{n}].value"
                return identifier["value"]
        identifier = doc.get("identifier") or {}
        value = identifier.get("value") or ""
        # The export's identifier is the case uuid as a URI, an id rather than a case reference.
        if identifier.get("system") != "urn:ietf:rfc:3986" and _REFERENCE.fullmatch(value):
            self.where["reference"] = "identifier.value"
            return value
        raise CaseFileError("reference", f"required (give {self.given_as['reference']})")

    def levels(self, levels: Sequence[str] | None) -> list[str]:
        if levels:
            self.where["procedure.levels"] = "levels"
            return list(levels)
        sites = self.order.get("bodySite") or []
        if sites:
            self.where["procedure.levels"] = f"entry[{self.order_index}].resource.bodySite"
            return [site.get("text") for site in sites]
        # The export names the levels only in Appointment.description, as words for people.
        index, _ = self.only("Appointment")
        if index >= 0:
            raise CaseFileError(
                f"entry[{index}].resource.extension",
                f"vertebral levels required (give {self.given_as['levels']})",
            )
        raise CaseFileError("levels", f"required (give {self.given_as['levels']})")

    def intake(self) -> dict[str, Any] | None:
        """A submitted intake from the QuestionnaireResponse answering our intake (`authored` is
        when it was submitted; unanswered questions take the case format's defaults)."""
        index, response = self.only("QuestionnaireResponse")
        if index < 0:
            return None
        at = f"entry[{index}].resource"
        if response.get("questionnaire") != QUESTIONNAIRE_URL:
            raise CaseFileError(f"{at}.questionnaire", f"must be {QUESTIONNAIRE_URL}")
        if not response.get("authored"):
            raise CaseFileError(f"{at}.authored", "required (when the intake was submitted)")
        self.about_the_patient(index, response, "subject")
        self.where["intake"] = at
        self.where["intake.submitted_at"] = f"{at}.authored"
        answers = {name: value for name, value in intake_answers(response).items() if value is not None}
        return {"submitted_at": response["authored"], **answers}

    def driver(self) -> dict[str, Any] | None:
        """The driver home: the RelatedPerson marked as such (another related person is not read)."""
        drivers = [
            (i, r)
            for i, r in self.of("RelatedPerson")
            if any(
                e.get("url") == codes.DRIVER_EXTENSION and e.get("valueBoolean")
                for e in r.get("extension") or []
            )
        ]
        if not drivers:
            return None
        if len(drivers) > 1:
            raise CaseFileError(f"entry[{drivers[1][0]}].resource", "only one driver home per Bundle")
        index, person = drivers[0]
        at = f"entry[{index}].resource"
        self.about_the_patient(index, person, "patient")
        self.where["driver"] = at
        found: dict[str, Any] = {}
        names = person.get("name") or []
        if names:
            name = names[0]
            found["name"] = (
                name.get("text") or " ".join([*(name.get("given") or []), name.get("family") or ""]).strip()
            )
            self.where["driver.name"] = f"{at}.name[0]"
        for k, telecom in enumerate(person.get("telecom") or []):
            if telecom.get("system") == "phone" and telecom.get("value") and "phone" not in found:
                found["phone"] = telecom["value"]
                self.where["driver.phone"] = f"{at}.telecom[{k}].value"
        relationships = person.get("relationship") or []
        if relationships and relationships[0].get("text"):
            found["relationship"] = relationships[0]["text"]
        values = {
            codes.DRIVER_CONFIRMED_AT_EXTENSION: ("confirmed_at", "valueDateTime"),
            codes.DRIVER_CONFIRMED_BY_EXTENSION: ("confirmed_by", "valueString"),
            codes.DRIVER_DECLINED_AT_EXTENSION: ("declined_at", "valueDateTime"),
        }
        for n, extension in enumerate(person.get("extension") or []):
            if extension.get("url") in values:
                field, kind = values[extension["url"]]
                found[field] = extension.get(kind)
                self.where[f"driver.{field}"] = f"{at}.extension[{n}].{kind}"
        return found

    def procedure(self) -> dict[str, Any]:
        """Kind, anaesthesia and contrast from the ServiceRequest the export writes (left out, the
        case format's defaults apply)."""
        if self.order_index < 0:
            return {}
        at = f"entry[{self.order_index}].resource"
        found: dict[str, Any] = {}
        if (self.order.get("code") or {}).get("text"):
            found["kind"] = self.order["code"]["text"]
            self.where["procedure.kind"] = f"{at}.code.text"
        for n, extension in enumerate(self.order.get("extension") or []):
            if extension.get("url") == codes.ANESTHESIA_EXTENSION:
                found["anesthesia"] = extension.get("valueCode")
                self.where["procedure.anesthesia"] = f"{at}.extension[{n}].valueCode"
            elif extension.get("url") == codes.CONTRAST_EXTENSION:
                found["contrast_planned"] = extension.get("valueBoolean")
                self.where["procedure.contrast_planned"] = f"{at}.extension[{n}].valueBoolean"
        return found

    def patient(self, resource: Resource) -> dict[str, Any]:
        at = f"entry[{self.patient_index}].resource"
        names = resource.get("name") or []
        if not names:
            raise CaseFileError(f"{at}.name", "required")
        n = next((k for k, name in enumerate(names) if name.get("use") == "official"), 0)
        name = names[n]
        if not name.get("family"):
            raise CaseFileError(f"{at}.name[{n}].family", "required")
        if not name.get("given"):
            raise CaseFileError(f"{at}.name[{n}].given", "required")
        if not resource.get("birthDate"):
            raise CaseFileError(f"{at}.birthDate", "required")
        patient: dict[str, Any] = {
            "first_name": " ".join(name["given"]),
            "last_name": name["family"],
            "date_of_birth": resource["birthDate"],
        }
        self.where.update(
            {
                "patient.first_name": f"{at}.name[{n}].given",
                "patient.last_name": f"{at}.name[{n}].family",
                "patient.date_of_birth": f"{at}.birthDate",
                "patient.sex": f"{at}.gender",
            }
        )
        if resource.get("gender"):
            patient["sex"] = resource["gender"]
        for k, telecom in enumerate(resource.get("telecom") or []):
            key = {"phone": "phone", "email": "email"}.get(telecom.get("system", ""))
            if key and key not in patient and telecom.get("value"):
                patient[key] = telecom["value"]  # the case format's phone rule reads it below
                self.where[f"patient.{key}"] = f"{at}.telecom[{k}].value"
        communication = resource.get("communication") or []
        if communication:
            k = next((j for j, c in enumerate(communication) if c.get("preferred")), 0)
            codings = communication[k]["language"].get("coding") or []
            if not codings or not codings[0].get("code"):
                raise CaseFileError(f"{at}.communication[{k}].language.coding", "required")
            # BCP 47: "es-MX" is Spanish.
            patient["language"] = codings[0]["code"].split("-")[0].lower()
            self.where["patient.language"] = f"{at}.communication[{k}].language.coding[0].code"
        return patient

    def appointment(self) -> dict[str, Any] | None:
        index, resource = self.only("Appointment")
        locations = self.of("Location")
        if index < 0:
            if locations:
                raise CaseFileError(
                    f"entry[{locations[0][0]}].resource", "a Location must be the Appointment's room"
                )
            return None
        at = f"entry[{index}].resource"
        # A proposed, pending or waitlisted slot is not the clinic's yet: it would hold a room.
        if resource.get("status") not in _BOOKED:
            raise CaseFileError(
                f"{at}.status",
                f'"{resource.get("status")}" is not a booking (send the referral without its '
                "Appointment, or once it is booked)",
            )
        if not resource.get("start"):
            raise CaseFileError(f"{at}.start", "required")
        room: tuple[int, Resource] | None = None
        for participant in resource.get("participant") or []:
            found = self.by_url.get((participant.get("actor") or {}).get("reference", ""))
            if found is not None and found[1]["resourceType"] == "Location":
                room = found
                break
        if room is None:
            raise CaseFileError(f"{at}.participant", "a Location (the room) is required")
        for other, _ in locations:
            if other != room[0]:
                raise CaseFileError(f"entry[{other}].resource", "a Location must be the Appointment's room")
        if not room[1].get("name"):
            raise CaseFileError(f"entry[{room[0]}].resource.name", "required")
        # `end` is not read: it follows from the start and the number of levels.
        self.where["appointment.start"] = f"{at}.start"
        self.where["appointment.room"] = f"entry[{room[0]}].resource.name"
        return {"start": resource["start"], "room": room[1]["name"]}

    def medication(self, index: int, resource: Resource, n: int) -> dict[str, Any]:
        at = f"entry[{index}].resource"
        if resource.get("status") in _NOT_DATA:
            raise CaseFileError(f"{at}.status", "entered-in-error is not a medicine")
        self.about_the_patient(index, resource, "subject")
        concept, concept_at = self.medication_concept(at, resource)
        # The text as written, else the first coding's display: codes are not trusted to name the
        # drug; the name goes through the catalogue matcher like anything typed.
        name, name_at = concept.get("text"), f"{concept_at}.text"
        codings = concept.get("coding") or []
        if not name and codings:
            name, name_at = codings[0].get("display"), f"{concept_at}.coding[0].display"
        if not name:
            raise CaseFileError(f"{concept_at}.text", "required")
        line: dict[str, Any] = {"name": name}
        self.medication_names[index] = name
        self.where[f"medications[{n}].name"] = name_at
        # The export writes dose and frequency as one text ("5 mg twice a day"); it comes back as
        # the dose, which exports the same text.
        texts = []
        for k, dosage in enumerate(resource.get("dosage") or []):
            if not dosage.get("text"):
                raise CaseFileError(f"{at}.dosage[{k}].text", "required")
            texts.append(dosage["text"])
        if texts:
            line["dose"] = "; ".join(texts)
            self.where[f"medications[{n}].dose"] = f"{at}.dosage"
        self.where[f"medications[{n}]"] = at
        return line

    def medication_concept(self, at: str, resource: Resource) -> tuple[Resource, str]:
        """What the statement says was taken, and where: its medicationCodeableConcept, or the code
        of the Medication its medicationReference points at (contained, or an entry of the Bundle),
        else the reference's display."""
        if resource.get("medicationCodeableConcept") is not None:
            return resource["medicationCodeableConcept"], f"{at}.medicationCodeableConcept"
        reference = resource.get("medicationReference")
        if reference is None:
            raise CaseFileError(f"{at}.medicationCodeableConcept", "required")
        target = reference.get("reference") or ""
        if target.startswith("#"):
            for k, contained in enumerate(resource.get("contained") or []):
                if contained.get("resourceType") == "Medication" and contained.get("id") == target[1:]:
                    return contained.get("code") or {}, f"{at}.contained[{k}].code"
        elif (found := self.by_url.get(target)) is not None and found[1]["resourceType"] == "Medication":
            return found[1].get("code") or {}, f"entry[{found[0]}].resource.code"
        if reference.get("display"):  # a Medication the Bundle does not carry, named
            return {"text": reference["display"]}, f"{at}.medicationReference.display"
        raise CaseFileError(
            f"{at}.medicationReference.reference", "must refer to a Medication of the Bundle or contained"
        )

    def allergy(self, index: int, resource: Resource, n: int) -> dict[str, Any]:
        at = f"entry[{index}].resource"
        verification = _code(resource.get("verificationStatus"))
        if verification in ("refuted", *_NOT_DATA):
            raise CaseFileError(f"{at}.verificationStatus", f'"{verification}" is not an allergy')
        clinical = _code(resource.get("clinicalStatus"))
        if clinical not in (None, "active"):
            raise CaseFileError(f"{at}.clinicalStatus", "must be active")
        self.about_the_patient(index, resource, "patient")
        code = resource.get("code") or {}
        text = (code.get("text") or "").strip()
        coded = next(
            (
                _ALLERGY_BY_CODE[key]
                for c in code.get("coding") or []
                if (key := (c.get("system"), c.get("code"))) in _ALLERGY_BY_CODE
            ),
            None,
        )
        label, colon, rest = text.partition(": ")
        labelled = _ALLERGY_BY_LABEL.get(label if colon else text)
        category = coded or labelled or "other"
        if labelled == category:  # the export's "Iodinated contrast: iohexol", or the bare label
            substance = rest if colon else None
        else:  # text the export did not write: what it names is the substance, kept as written
            substance = text or next(
                (c.get("display") for c in code.get("coding") or [] if c.get("display")), None
            )
        if category == "other" and not substance and labelled is None:
            raise CaseFileError(f"{at}.code.text", "required")
        allergy: dict[str, Any] = {"category": category, "substance": substance}
        reactions = resource.get("reaction") or []
        manifestations = [
            m.get("text") or next((c.get("display") for c in m.get("coding") or [] if c.get("display")), "")
            for r in reactions
            for m in r.get("manifestation") or []
        ]
        if any(manifestations):
            allergy["reaction"] = ", ".join(m for m in manifestations if m)
        severities = [r["severity"] for r in reactions if r.get("severity")]
        if severities:  # the most severe reaction
            allergy["severity"] = max(severities, key=ALLERGY_SEVERITIES.index)
        else:
            allergy["severity"] = _SEVERITY_BY_CRITICALITY.get(resource.get("criticality") or "", "unknown")
        self.where.update(
            {
                f"allergies[{n}].category": f"{at}.code",
                f"allergies[{n}].substance": f"{at}.code.text",
                f"allergies[{n}].reaction": f"{at}.reaction",
                f"allergies[{n}].severity": f"{at}.reaction",
                f"allergies[{n}]": at,
            }
        )
        return allergy

    def lab(self, index: int, resource: Resource, n: int) -> dict[str, Any]:
        at = f"entry[{index}].resource"
        if resource.get("status") in ("cancelled", *_NOT_DATA):
            raise CaseFileError(f"{at}.status", f'"{resource["status"]}" is not a result')
        self.about_the_patient(index, resource, "subject")
        test = next(
            (
                _LAB_BY_LOINC[c["code"]]
                for c in resource["code"].get("coding") or []
                if c.get("system") == codes.LOINC and c.get("code") in _LAB_BY_LOINC
            ),
            None,
        )
        if test is None:
            known = ", ".join(_LAB_BY_LOINC)
            raise CaseFileError(f"{at}.code", f"not a lab PrepDesk reads (LOINC {known})")
        quantity = resource.get("valueQuantity")
        if quantity is None:
            raise CaseFileError(f"{at}.valueQuantity", "required")
        if quantity.get("value") is None:
            raise CaseFileError(f"{at}.valueQuantity.value", "required")
        # A value in another unit would be read wrong: the UCUM code must be the case format's unit
        # or one that is the same quantity (codes.SAME_UNITS).
        unit = codes.LABS[test].ucum
        if (
            quantity.get("code") not in codes.SAME_UNITS[test]
            or quantity.get("system", codes.UCUM) != codes.UCUM
        ):
            raise CaseFileError(f"{at}.valueQuantity.code", f'must be UCUM "{unit}"')
        taken = resource.get("effectiveDateTime")
        if not taken:
            raise CaseFileError(f"{at}.effectiveDateTime", "required")
        self.where.update(
            {
                f"labs[{n}].value": f"{at}.valueQuantity.value",
                f"labs[{n}].taken_on": f"{at}.effectiveDateTime",
                f"labs[{n}]": at,
            }
        )
        # The day as written where it was taken ("2026-11-05T08:10:00-05:00" is 5 November).
        return {"test": test, "value": quantity["value"], "taken_on": taken.split("T")[0]}

    def signoff(self, index: int, resource: Resource, n: int) -> dict[str, Any]:
        """A staff sign-off from a completed Task the export writes: item (code), by (owner), at (the
        end of the execution period), the medicine line (focus), note and a plan's inputs."""
        at = f"entry[{index}].resource"
        if resource.get("status") != "completed":
            raise CaseFileError(f"{at}.status", "a sign-off must be completed")
        self.about_the_patient(index, resource, "for")
        k, item = _signoff_item(resource) or (0, "")
        by = (resource.get("owner") or {}).get("display")
        if not by:
            raise CaseFileError(f"{at}.owner.display", "required (who signed off)")
        when = (resource.get("executionPeriod") or {}).get("end")
        if not when:
            raise CaseFileError(f"{at}.executionPeriod.end", "required (when it was signed off)")
        signoff: dict[str, Any] = {"item": item, "by": by, "at": when}
        self.where.update(
            {
                f"verifications[{n}]": at,
                f"verifications[{n}].item": f"{at}.code.coding[{k}].code",
                f"verifications[{n}].by": f"{at}.owner.display",
                f"verifications[{n}].at": f"{at}.executionPeriod.end",
                f"verifications[{n}].medication": f"{at}.focus.reference",
            }
        )
        focus = (resource.get("focus") or {}).get("reference")
        if focus is not None:
            found = self.by_url.get(focus)
            if found is None or found[0] not in self.medication_names:
                raise CaseFileError(
                    f"{at}.focus.reference", "must refer to a MedicationStatement of the Bundle"
                )
            signoff["medication"] = self.medication_names[found[0]]
        notes = [note["text"] for note in resource.get("note") or [] if note.get("text")]
        if notes:
            signoff["note"] = "\n".join(notes)
            self.where[f"verifications[{n}].note"] = f"{at}.note"
        fields = {
            codes.SIGNOFF_LAST_DOSE_ON: ("last_dose_on", "valueDate"),
            codes.SIGNOFF_CONTINUE: ("continue", "valueBoolean"),
            codes.SIGNOFF_FOR_START: ("for_start", "valueDateTime"),
        }
        for j, given in enumerate(resource.get("input") or []):
            code = next(
                (
                    c.get("code")
                    for c in (given.get("type") or {}).get("coding") or []
                    if c.get("system") == codes.SIGNOFF_INPUT_SYSTEM
                ),
                None,
            )
            if code not in fields:
                continue  # an input PrepDesk does not write says nothing about the sign-off
            field, kind = fields[code]
            if given.get(kind) is None:
                raise CaseFileError(f"{at}.input[{j}].{kind}", "required")
            signoff[field] = given[kind]
            self.where[f"verifications[{n}].{field}"] = f"{at}.input[{j}].{kind}"
        return signoff


# --- The Bundle as a whole -------------------------------------------------------------------------


def _check_resource_types(doc: Any) -> None:
    """A Bundle, holding only resources the import reads or skips (before the models, which fail on
    an unknown resourceType with no useful message)."""
    if not isinstance(doc, dict) or doc.get("resourceType") != "Bundle":
        raise CaseFileError("", "must be a FHIR Bundle")
    entries = doc.get("entry")
    if not isinstance(entries, list):
        return  # the models say what is wrong
    for i, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            continue
        kind = resource.get("resourceType")
        if kind is None:
            raise CaseFileError(f"entry[{i}].resource.resourceType", "required")
        if kind not in READ and kind not in COMPUTED:
            raise CaseFileError(f"entry[{i}].resource.resourceType", f'unknown resourceType "{kind}"')


def _validate(doc: dict[str, Any]) -> None:
    try:
        Bundle.model_validate(doc)
    except pydantic.ValidationError as exc:
        error = exc.errors()[0]
        raise CaseFileError(_loc(error["loc"]), _message(error)) from None


def _loc(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _message(error: Any) -> str:
    kind, text = error["type"], error["msg"]
    if "missing" in kind:
        return "required"
    plain = {
        "extra_forbidden": "unknown element",
        "string_type": "must be a string",
        "list_type": "must be a list",
        "dict_type": "must be an object",
        "model_type": "must be an object",
        "bool_type": "must be true or false",
        "bool_parsing": "must be true or false",
    }
    if kind in plain:
        return plain[kind]
    if kind.startswith(("int_", "float_", "decimal_")) or "Decimal value" in text:
        return "must be a number"
    if kind.startswith("datetime_") or "DateTime value" in text or "Instant value" in text:
        return "invalid date-time"
    if kind.startswith("date_") or "Date value" in text:
        return "invalid date"
    return text.removeprefix("Value error, ").split(". ")[0].rstrip(".")


def _signoff_item(task: Resource) -> tuple[int, str] | None:
    """The sign-off item a Task is coded with (and the coding's index), if it is one."""
    for k, coding in enumerate((task.get("code") or {}).get("coding") or []):
        if coding.get("system") == codes.SIGNOFF_ITEM_SYSTEM and coding.get("code"):
            return k, coding["code"]
    return None


def _code(concept: Any) -> str | None:
    codings = (concept or {}).get("coding") or []
    return codings[0].get("code") if codings else None
