"""FHIR URLs (namespace `fhir`); URLs and names are contracts."""

from django.urls import path

from fhir_r4 import views

app_name = "fhir"

urlpatterns = [
    path("fhir/Bundle", views.bundle_create, name="bundle_create"),
    path("fhir/Bundle/<uuid:case_uuid>", views.bundle, name="bundle"),
    path("fhir/Questionnaire/prepdesk-intake", views.questionnaire, name="questionnaire"),
    path("fhir/metadata", views.metadata, name="metadata"),
]
