"""Who viewed patient data (PRODUCT.md non-negotiable)."""

from __future__ import annotations

from checklists.client_ip import client_ip
from checklists.models import AccessLog, Case, Patient


def access_log_record(
    *, request, action: str, case: Case | None = None, patient: Patient | None = None, path: str = ""
) -> None:
    """Record that someone viewed patient data; the case's reference and the patient's name are
    copied, so the row keeps saying whose data it was."""
    patient = patient or (case.patient if case is not None else None)
    AccessLog.objects.create(
        user=request.user if request.user.is_authenticated else None,
        case=case,
        case_reference=case.reference if case is not None else "",
        patient_name=f"{patient.last_name}, {patient.first_name}" if patient is not None else "",
        action=action,
        path=(path or request.get_full_path())[:500],  # `path`: a URL whose secret must not be kept
        ip=client_ip(request),
    )
