"""Who viewed patient data (PRODUCT.md non-negotiable)."""

from __future__ import annotations

from checklists.models import (
    AccessLog,
    Case,
)


def access_log_record(*, request, action: str, case: Case | None = None) -> None:
    """Record that a staff member viewed patient data (PRODUCT.md non-negotiable)."""
    AccessLog.objects.create(
        user=request.user if request.user.is_authenticated else None,
        case=case,
        action=action,
        path=request.get_full_path()[:500],
        ip=request.META.get("REMOTE_ADDR") or None,
    )
