"""Who must sign in with a second factor (issue 11).

Admins (superusers) and clinicians always; coordinators when they chose to, or for everyone on the
staff when the clinic sets TWO_FACTOR_FOR_ALL_STAFF. Anyone who has set up a device is asked for a
code at every sign-in, required or not. The demo logins of `seed_demo` (group "demo") are exempt,
but only while DEBUG is on: a production server asks them like anyone else.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from checklists.permissions import CLINICIAN, DEMO_GROUP, has_role, is_staff_member


def demo_exempt(user: AbstractBaseUser | AnonymousUser) -> bool:
    return bool(settings.DEBUG) and user.is_authenticated and user.groups.filter(name=DEMO_GROUP).exists()


def two_factor_required(user: AbstractBaseUser | AnonymousUser) -> bool:
    """True when this user may not use the workspace without a verified second factor."""
    if not user.is_authenticated or not user.is_active or demo_exempt(user):
        return False
    if user.is_superuser or has_role(user, CLINICIAN):
        return True
    return bool(settings.TWO_FACTOR_FOR_ALL_STAFF) and is_staff_member(user)


def required_because(user: AbstractBaseUser | AnonymousUser) -> str:
    """Why the user cannot turn two-factor sign-in off, in words ("" when they can)."""
    if not two_factor_required(user):
        return ""
    if user.is_superuser:
        return "It is required for administrators."
    if has_role(user, CLINICIAN):
        return "It is required for clinicians."
    return "The clinic requires it for all staff."
