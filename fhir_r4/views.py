"""`GET /fhir/Bundle/<case uuid>`: one case as a FHIR R4 Bundle, for signed-in staff and for
systems with an API token (`fhir_r4/auth.py`); the intake's Questionnaire and the
CapabilityStatement, open to all (no patient data).

A read is logged like every view of the case: by the access-log middleware for staff, by
`fhir_access` for a token (naming it).
"""

from __future__ import annotations

import json
from uuid import UUID

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from checklists.casefile import CaseFileError
from checklists.models import Case
from checklists.selectors.catalogue import load_rule_config
from checklists.services.imports import CaseConflict, cases_import
from checklists.site import absolute
from fhir_r4.auth import FHIR_JSON, fhir_access, outcome
from fhir_r4.capability import capability_statement
from fhir_r4.importing import bundle_to_case, element_path
from fhir_r4.questionnaire import questionnaire as intake_questionnaire
from fhir_r4.selectors import bundles, cases_by_uuid

QUERY_PARAMETERS = {"reference": "?reference=", "levels": "?levels=, e.g. ?levels=T12,L1"}


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


@require_POST
@fhir_access("read_write")
def bundle_create(request: HttpRequest) -> HttpResponse:
    """An EHR's referral: a Bundle becomes a case exactly as `import_fhir` makes it (the case
    format's rules, overlap refusal); 201 with the case's Bundle, or 400/409 with an
    OperationOutcome naming the element.

    A referral that does not carry the case reference or the vertebral levels (our ServiceRequest's
    identifier and bodySite) gives them as `?reference=VP-7&levels=T12,L1`, as `import_fhir` takes
    `--reference` and `--levels`. A referral carries no sign-offs: staff (clinicians, for their
    items) record those in PrepDesk."""
    config, now = load_rule_config(), timezone.now()
    try:
        doc = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return outcome(400, "structure", "The body is not JSON.")
    reference = request.GET.get("reference") or None
    levels = [level.strip() for level in request.GET.get("levels", "").split(",") if level.strip()] or None
    try:
        case = bundle_to_case(
            doc,
            reference=reference,
            levels=levels,
            as_of=now,
            config=config,
            phone_region=settings.CLINIC_PHONE_REGION,
            given_as=QUERY_PARAMETERS,
            signoffs=False,
        )
        cases_import(cases=[case], config=config)
    except CaseFileError as error:
        return outcome(400, "invalid", str(error))
    except CaseConflict as conflict:
        where = element_path(doc, conflict.field, reference=reference, levels=levels)
        return outcome(409, "conflict", f"{where}: {conflict.message}")
    stored = Case.objects.get(reference=case.reference)
    request.case_shown = stored
    response = _fhir(next(bundles(cases_by_uuid([stored.uuid]), config=config, now=now)), status=201)
    response["Location"] = absolute(reverse("fhir:bundle", args=[stored.uuid]), request)
    return response
