"""What every staff view shares: the login + role gate, the case lookup, and access logging."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from checklists.models import Case
from checklists.permissions import is_staff_member
from checklists.selectors.cases import case_queryset


class StaffRequiredMixin(LoginRequiredMixin):
    """Logged in (else to the login page) and a coordinator, clinician or admin (else 403)."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not is_staff_member(request.user):
            raise PermissionDenied("Staff only.")
        return super().dispatch(request, *args, **kwargs)


def staff_required(view):
    """The function-view form of `StaffRequiredMixin`."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_staff_member(request.user):
            raise PermissionDenied("Staff only.")
        return view(request, *args, **kwargs)

    return wrapped


def case_or_404(case_uuid) -> Case:
    """A case by its public UUID, with everything the engine reads already joined."""
    return get_object_or_404(case_queryset(), uuid=case_uuid)
