"""FHIR R4 for the clinic's EHR (a Django app): a case as a Bundle, the intake as a Questionnaire,
API tokens for other systems. The mapping modules (export, codes, questionnaire, capability) are
pure; see ARCHITECTURE.md.

Named `fhir_r4`, not `fhir`: a top-level `fhir` package would shadow the `fhir.resources`
library, which is a namespace package under `fhir`.
"""
