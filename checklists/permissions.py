"""Staff roles (Django groups) and who may record which sign-off (READINESS.md)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import prefetch_related_objects

COORDINATOR = "coordinator"
CLINICIAN = "clinician"
# seed_demo's logins; exempt from two-factor sign-in while DEBUG is on (accounts.policy).
DEMO_GROUP = "demo"

# Sign-offs that clear coordinator-owned flags; every other item clears a clinician-owned flag.
COORDINATOR_SIGNOFFS = frozenset(
    {"supplement_advice_given", "latex_precautions_arranged", "medication_list_checked"}
)


def has_role(user: AbstractBaseUser | AnonymousUser, role: str) -> bool:
    """Admins (superusers) hold every role."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    prefetch_related_objects([user], "groups")  # read once: a page checks roles many times
    return any(group.name == role for group in user.groups.all())


def is_staff_member(user: AbstractBaseUser | AnonymousUser) -> bool:
    return has_role(user, COORDINATOR) or has_role(user, CLINICIAN)


def signoff_owner(item: str) -> str:
    return COORDINATOR if item in COORDINATOR_SIGNOFFS else CLINICIAN


def can_record_signoff(user: AbstractBaseUser | AnonymousUser, item: str) -> bool:
    """Clinician-owned items need a clinician; coordinator-owned ones a coordinator or clinician."""
    if signoff_owner(item) == CLINICIAN:
        return has_role(user, CLINICIAN)
    return is_staff_member(user)
