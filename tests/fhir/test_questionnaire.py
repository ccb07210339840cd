"""The intake as a FHIR Questionnaire, a submitted intake as its QuestionnaireResponse, and the
CapabilityStatement."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from checklists.casedata import INTAKE_ANSWERS, IntakeData
from fhir_r4.questionnaire import QUESTIONS, intake_answers, questionnaire_response


def test_the_questionnaire_asks_every_intake_question_once():
    assert tuple(QUESTIONS) == INTAKE_ANSWERS


@pytest.mark.django_db
def test_the_questionnaire_and_the_capability_statement_are_published_and_valid(client):
    questionnaire = client.get("/fhir/Questionnaire/prepdesk-intake")
    metadata = client.get("/fhir/metadata")

    assert questionnaire["Content-Type"].startswith("application/fhir+json")
    parsed = Questionnaire.model_validate(json.loads(questionnaire.content))
    assert [item.linkId for item in parsed.item] == list(INTAKE_ANSWERS)
    statement = CapabilityStatement.model_validate(json.loads(metadata.content))
    assert statement.fhirVersion == "4.0.1"
    assert {r.type for r in statement.rest[0].resource} >= {"Bundle", "Questionnaire", "Flag", "Task"}


def test_a_submitted_intake_answers_the_questionnaire_and_reads_back():
    intake = IntakeData(
        submitted_at=dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC),
        medications_complete=True,
        no_known_allergies=False,
        fasting_acknowledged=True,
        can_lie_prone=None,
        diabetes="tablets",
    )

    response = questionnaire_response(
        intake, resource_id="qr-1", patient_url="urn:uuid:p", authored="2026-11-20T15:00:00+00:00"
    )

    QuestionnaireResponse.model_validate(response)
    unanswered = [item["linkId"] for item in response["item"] if "answer" not in item]
    assert unanswered == ["can_lie_prone", "pregnant"]  # "not sure" stays unanswered
    answers = intake_answers(response)
    assert answers == {name: getattr(intake, name) for name in INTAKE_ANSWERS}
