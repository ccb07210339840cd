"""`GET /fhir/Bundle/<case uuid>`: one case as a FHIR R4 Bundle, for signed-in staff and for
systems with an API token (`fhir_r4/auth.py`); the intake's Questionnaire and the
CapabilityStatement, open to all (no patient data).

A read is logged like every view of the case: by the access-log middleware for staff, by
`fhir_access` for a token (naming it).
"""

from __future__ import annotations

import json
from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from checklists.selectors.catalogue import load_rule_config
from checklists.site import absolute
from fhir_r4.auth import FHIR_JSON, fhir_access
from fhir_r4.capability import capability_statement
from fhir_r4.questionnaire import questionnaire as intake_questionnaire
from fhir_r4.selectors import bundles, cases_by_uuid


@require_GET
@fhir_access("read")
def bundle(request: HttpRequest, case_uuid: UUID) -> HttpResponse:
    found = next(bundles(cases_by_uuid([case_uuid]), config=load_rule_config(), now=timezone.now()), None)
    if found is None:
        raise Http404("No such case")
    return _fhir(found)


def _fhir(resource: dict, status: int = 200) -> HttpResponse:
    return HttpResponse(
        json.dumps(resource, ensure_ascii=False), content_type=f"{FHIR_JSON}; charset=utf-8", status=status
    )


@require_GET
def questionnaire(request: HttpRequest) -> HttpResponse:
    """The intake's questions (no patient data: open to anyone, like the capability statement)."""
    return _fhir(intake_questionnaire())


@require_GET
def metadata(request: HttpRequest) -> HttpResponse:
    """What this server supports (FHIR's `GET [base]/metadata`)."""
    return _fhir(capability_statement(base=absolute("/fhir", request)))
