"""The code systems and codes the FHIR export uses, each with where it was checked.

A wrong code is worse than none: a code that could not be confirmed from a public source is left
out, and the resource carries the text as written instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
BCP47 = "urn:ietf:bcp:47"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"

# PrepDesk's own code system and extensions (placeholders until the clinic owns a canonical URL).
READINESS_FLAG_SYSTEM = "https://prepdesk.example/fhir/CodeSystem/readiness-flag"
STRUCTURE_DEFINITION_BASE = "https://prepdesk.example/fhir/StructureDefinition/"
SEVERITY_EXTENSION = STRUCTURE_DEFINITION_BASE + "readiness-flag-severity"
OWNER_EXTENSION = STRUCTURE_DEFINITION_BASE + "readiness-flag-owner"
# The procedure ordered (ServiceRequest): the case's reference, the anaesthesia plan and whether
# contrast is planned, so a Bundle carries everything a case is made of.
CASE_REFERENCE_SYSTEM = "https://prepdesk.example/fhir/NamingSystem/case-reference"
ANESTHESIA_EXTENSION = STRUCTURE_DEFINITION_BASE + "procedure-anesthesia"
CONTRAST_EXTENSION = STRUCTURE_DEFINITION_BASE + "procedure-contrast-planned"
# The driver home (a RelatedPerson): marked as such, and whether they confirmed or declined.
DRIVER_EXTENSION = STRUCTURE_DEFINITION_BASE + "driver-home"
DRIVER_CONFIRMED_AT_EXTENSION = STRUCTURE_DEFINITION_BASE + "driver-confirmed-at"
DRIVER_CONFIRMED_BY_EXTENSION = STRUCTURE_DEFINITION_BASE + "driver-confirmed-by"
DRIVER_DECLINED_AT_EXTENSION = STRUCTURE_DEFINITION_BASE + "driver-declined-at"
# Staff sign-offs (the case format's "verifications") travel as completed Tasks coded with the
# sign-off item; a plan's details are the Task's inputs.
SIGNOFF_ITEM_SYSTEM = "https://prepdesk.example/fhir/CodeSystem/signoff-item"
SIGNOFF_INPUT_SYSTEM = "https://prepdesk.example/fhir/CodeSystem/signoff-input"
SIGNOFF_LAST_DOSE_ON = "last-dose-on"  # valueDate: the approved last dose day
SIGNOFF_CONTINUE = "continue"  # valueBoolean true: keep taking it
SIGNOFF_FOR_START = "for-start"  # valueDateTime: the appointment start the plan was approved for


@dataclass(frozen=True)
class Code:
    system: str
    code: str
    display: str


@dataclass(frozen=True)
class LabCode:
    loinc: Code
    unit: str  # human-readable unit
    ucum: str  # UCUM code


# Labs (checklists.casedata.LAB_TESTS) -> LOINC and UCUM. Values arrive in the units CASE_FORMAT.md
# fixes: platelets in 10^9/L, eGFR in mL/min/1.73 m2, INR unitless.
LABS: Mapping[str, LabCode] = {
    # 6301-6 is the laboratory INR (platelet-poor plasma); 34714-6 is INR in whole blood (point of
    # care), which the case format does not distinguish, so the lab code is the one used.
    # Checked: HL7 PACIO sample data, Observation "INR in Platelet poor plasma by Coagulation
    # assay" (LOINC 6301-6); SGHI IG ExtractCoagulationProfileRequisition ("INR under 6301-6").
    # UCUM: LOINC's example unit for INR is the annotation "{INR}"; an annotation is unit 1 in UCUM,
    # so any receiver that reads UCUM treats it as dimensionless.
    "inr": LabCode(Code(LOINC, "6301-6", "INR in Platelet poor plasma by Coagulation assay"), "INR", "{INR}"),
    # Checked: US Core 7.0.0 example Observation "cbc-platelets" (LOINC 777-3). 10*9/L is the same
    # quantity as the 10*3/uL US reports print.
    "platelets": LabCode(
        Code(LOINC, "777-3", "Platelets [#/volume] in Blood by Automated count"), "10^9/L", "10*9/L"
    ),
    # 98979-8 (CKD-EPI 2021, without a race term) rather than 62238-1 (CKD-EPI 2009): since the
    # NKF-ASN task force's 2021 recommendation US laboratories report the 2021 equation, so that is
    # what a US clinic receives today. Checked: HL7 Switzerland CH LAB-Order ObservationDefinition
    # "eGFR CKD-EPI 2021" (unit mL/min/{1.73_m2}); CH LAB-Report profile eGFRcr CKD-EPI 2021.
    "egfr": LabCode(
        Code(
            LOINC,
            "98979-8",
            "Glomerular filtration rate [Volume Rate/Area] in Serum, Plasma or Blood by "
            "Creatinine-based formula (CKD-EPI 2021)/1.73 sq M",
        ),
        "mL/min/1.73m2",
        "mL/min/{1.73_m2}",
    ),
}

# UCUM codes an import also reads, each the same quantity as the case format's unit, so the value
# is read as it stands: US laboratories report platelets per microlitre in thousands (10*3/uL,
# also written 10*3/mm3: a cubic millimetre is a microlitre), which is 10*9/L exactly; an INR is a
# ratio (UCUM "1", or the annotations {ratio} / {INR}, which UCUM reads as 1).
SAME_UNITS: Mapping[str, frozenset[str]] = {
    "inr": frozenset({"{INR}", "{ratio}", "1"}),
    "platelets": frozenset({"10*9/L", "10*3/uL", "10*3/mm3"}),
    "egfr": frozenset({"mL/min/{1.73_m2}"}),
}

# Allergy categories (checklists.casedata.ALLERGY_CATEGORIES) -> SNOMED CT, where confirmed.
# Local anaesthetic, general anaesthetic and sedative allergies stay uncoded (text only): no code
# for them could be confirmed from a public source.
ALLERGY_CODES: Mapping[str, Code] = {
    # Checked: HL7 Switzerland CH EMR example AllergyIntolerance "EX-AllergyIntolerance"
    # (SNOMED CT 293637006 "Contrast media allergy"). It covers contrast media in general; the
    # text says "Iodinated contrast".
    "iodinated_contrast": Code(SNOMED, "293637006", "Contrast media allergy"),
    # Checked: HL7 Switzerland CH AllergyIntolerance use case 7 (SNOMED CT 1003755004), the
    # current concept for latex allergy.
    "latex": Code(SNOMED, "1003755004", "Allergy to Hevea brasiliensis latex protein (finding)"),
}
# FHIR AllergyIntolerance.category: anaesthetics and contrast are medicines; latex is not.
ALLERGY_FHIR_CATEGORY: Mapping[str, str | None] = {
    "iodinated_contrast": "medication",
    "local_anesthetic": "medication",
    "general_anesthetic": "medication",
    "sedative": "medication",
    "latex": "environment",
    "other": None,  # unknown: no category rather than a guess
}
ALLERGY_CRITICALITY: Mapping[str, str] = {
    "mild": "low",
    "moderate": "low",
    "severe": "high",
    "unknown": "unable-to-assess",
}

# Medicines are coded with RxNorm ingredient codes the catalogue carries (Drug.rxnorm, editable
# in the admin; the shipped codes and where each was checked: checklists/data/rxnorm.csv).
