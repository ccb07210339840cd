"""The intake as a FHIR Questionnaire (`/fhir/Questionnaire/prepdesk-intake`) and a submitted
intake as its QuestionnaireResponse: pure, like export.py.

One item per intake answer (`checklists.casedata.INTAKE_ANSWERS`, the list the case file, the
model and the intake steps share), linkId = the case file's field name, so a receiving system can
map the answers without reading our pages. "Not sure" (None) is left unanswered.
"""

from __future__ import annotations

from typing import Any

from checklists.casedata import INTAKE_ANSWERS, IntakeData

QUESTIONNAIRE_ID = "prepdesk-intake"
QUESTIONNAIRE_URL = "https://prepdesk.example/fhir/Questionnaire/prepdesk-intake"
DIABETES_SYSTEM = "https://prepdesk.example/fhir/CodeSystem/diabetes-treatment"

# linkId -> (the question as the patient reads it, FHIR item type)
QUESTIONS: dict[str, tuple[str, str]] = {
    "medications_complete": ("The medicine list includes every medicine, vitamin and supplement", "boolean"),
    "no_known_allergies": ("No known allergies", "boolean"),
    "fasting_acknowledged": ("Has read and understood the fasting and medicine instructions", "boolean"),
    "can_lie_prone": ("Can lie face down for about an hour (unanswered: not sure)", "boolean"),
    "infection_symptoms": ("Fever, or an infection being treated now", "boolean"),
    "pregnant": ("Pregnant (asked when female and under 55; unanswered: not sure or not asked)", "boolean"),
    "diabetes": ("Diabetes and its treatment", "choice"),
}
DIABETES_CHOICES = {"none": "No diabetes", "diet": "Diet only", "tablets": "Tablets", "insulin": "Insulin"}


def questionnaire() -> dict[str, Any]:
    """The intake's questions, as published at /fhir/Questionnaire/prepdesk-intake."""
    items = []
    for link_id, (text, kind) in QUESTIONS.items():
        item: dict[str, Any] = {"linkId": link_id, "text": text, "type": kind}
        if kind == "choice":
            item["answerOption"] = [
                {"valueCoding": {"system": DIABETES_SYSTEM, "code": code, "display": display}}
                for code, display in DIABETES_CHOICES.items()
            ]
        items.append(item)
    return {
        "resourceType": "Questionnaire",
        "id": QUESTIONNAIRE_ID,
        "url": QUESTIONNAIRE_URL,
        "name": "PrepDeskIntake",
        "title": "Before your spine procedure: the patient's intake",
        "status": "active",
        "subjectType": ["Patient"],
        "item": items,
    }


def questionnaire_response(
    intake: IntakeData, *, resource_id: str, patient_url: str, authored: str
) -> dict[str, Any]:
    """A submitted intake's answers (`authored`: the submission time as the export writes times)."""
    items = []
    for link_id, (text, kind) in QUESTIONS.items():
        value = getattr(intake, link_id)
        item: dict[str, Any] = {"linkId": link_id, "text": text}
        if value is not None:
            if kind == "choice":
                answer = {
                    "valueCoding": {
                        "system": DIABETES_SYSTEM,
                        "code": value,
                        "display": DIABETES_CHOICES[value],
                    }
                }
            else:
                answer = {"valueBoolean": bool(value)}
            item["answer"] = [answer]
        items.append(item)
    return {
        "resourceType": "QuestionnaireResponse",
        "id": resource_id,
        "questionnaire": QUESTIONNAIRE_URL,
        "status": "completed",
        "subject": {"reference": patient_url},
        "authored": authored,
        "item": items,
    }


def intake_answers(response: dict[str, Any]) -> dict[str, Any]:
    """The answers a QuestionnaireResponse gives, by intake field (None where unanswered)."""
    answers: dict[str, Any] = dict.fromkeys(INTAKE_ANSWERS)
    for item in response.get("item", []):
        given = (item.get("answer") or [None])[0]
        if item.get("linkId") in answers and given is not None:
            answers[item["linkId"]] = (
                given["valueCoding"]["code"] if "valueCoding" in given else given["valueBoolean"]
            )
    return answers
