from django.apps import AppConfig


class FhirR4Config(AppConfig):
    """FHIR R4 for the clinic's EHR: a case as a Bundle (`export.py`, pure), served to staff and
    printed by `export_fhir`."""

    name = "fhir_r4"
    verbose_name = "FHIR R4"
