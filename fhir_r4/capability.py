"""The server's CapabilityStatement (`GET /fhir/metadata`): what PrepDesk's FHIR R4 interface
supports, kept next to the code that does it (pure)."""

from __future__ import annotations

from typing import Any

from fhir_r4.questionnaire import QUESTIONNAIRE_URL

# Resource types a case's Bundle carries (fhir_r4/export.py), each read as part of the Bundle.
IN_BUNDLE = (
    "Patient",
    "ServiceRequest",
    "RelatedPerson",
    "Appointment",
    "Location",
    "MedicationStatement",
    "AllergyIntolerance",
    "Observation",
    "QuestionnaireResponse",
    "Flag",
    "Task",
)


def capability_statement(*, base: str) -> dict[str, Any]:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-12-02",
        "kind": "instance",
        "software": {"name": "PrepDesk"},
        "implementation": {"description": "PrepDesk pre-procedure readiness", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "One case per Bundle (type collection): GET Bundle/<case uuid> for staff and API "
                    "tokens; open readiness flags as Flag and Task (requested), staff sign-offs as "
                    "completed Tasks coded with the sign-off item; POST Bundle makes a case from a "
                    "referral. Questionnaire/prepdesk-intake is the intake the QuestionnaireResponse answers."
                ),
                "resource": [
                    {
                        "type": "Bundle",
                        "interaction": [{"code": "read"}, {"code": "create"}],
                        "documentation": (
                            "create: an EHR referral (API token, read-write) becomes a case. A Bundle "
                            "without our ServiceRequest (case reference and levels) gives them as "
                            "?reference=VP-7&levels=T12,L1. A MedicationStatement may name its medicine by "
                            "medicationReference (a contained Medication, or one in the Bundle). A referral "
                            "carries no sign-offs: staff record them in PrepDesk."
                        ),
                    },
                    {
                        "type": "Questionnaire",
                        "interaction": [{"code": "read"}],
                        "supportedProfile": [QUESTIONNAIRE_URL],
                    },
                    *({"type": name, "documentation": "Within a case's Bundle only."} for name in IN_BUNDLE),
                ],
            }
        ],
    }
