"""Helpers for the intake tests: a stored case, an issued link, and a verified patient session."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from checklists import casedata as cd
from checklists.models import Case
from checklists.services.imports import cases_import
from intake import services as intake_services

DOB = dt.date(1948, 3, 12)
DOB_FORM = {"day": "12", "month": "3", "year": "1948"}


def next_start(days: int = 5, hour: int = 9) -> dt.datetime:
    day = timezone.now().date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=dt.UTC)


def store_case(
    config,
    reference: str = "P-1",
    *,
    start: dt.datetime | None = None,
    first_name: str = "Margaret",
    last_name: str = "Okafor",
    sex: str = "female",
    dob: dt.date = DOB,
    email: str | None = "margaret@example.org",
    language: str = "en",
    room: str = "IR Suite 1",
    **fields,
) -> Case:
    data = cd.CaseData(
        reference=reference,
        patient=cd.PatientData(
            first_name, last_name, dob, sex=sex, email=email, phone="+15550100001", language=language
        ),
        procedure=cd.ProcedureData(levels=("L1",)),
        appointment=cd.AppointmentData(start=start, room=room) if start else None,
        **fields,
    )
    cases_import(cases=[data], config=config)
    return Case.objects.select_related("patient").get(reference=reference)


def issue(case: Case, config, now: dt.datetime | None = None) -> str:
    _, token = intake_services.intake_link_issue(
        case=case, user=None, now=now or timezone.now(), config=config
    )
    return token


def verified_client(client, case: Case, config, dob: dict | None = None):
    """`client` with a patient session verified for `case`'s new link."""
    token = issue(case, config)
    client.get(f"/i/{token}/")
    response = client.post("/intake/", dob or DOB_FORM)
    assert response.status_code == 302, response.content.decode()[:2000]
    return client
