"""Teaching the medication catalogue a name from a case."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from checklists import permissions
from checklists.catalog import RuleConfig, normalize_name
from checklists.models import (
    Drug,
)


@transaction.atomic
def drug_name_add(*, drug_name: str, name: str, user: AbstractBaseUser, config: RuleConfig) -> Drug:
    """Teach the catalogue: `name` (as typed by a patient) becomes a name of `drug_name` for the
    whole clinic. Audited (history, with who and why); refused when the words already name a drug."""
    if not (permissions.has_role(user, permissions.CLINICIAN) or user.is_superuser):
        raise PermissionDenied("Only a clinician can add a name to the medication catalogue.")
    drug = Drug.objects.select_for_update().filter(name=drug_name).first()
    if drug is None:
        raise ValidationError({"drug": "Choose a drug from the catalogue."})
    tokens = normalize_name(name)
    if not tokens:
        raise ValidationError({"drug": "These words contain no name to add."})
    taken = next(
        (d for d in config.drugs if any(normalize_name(n) == tokens for n in (d.name, *d.aliases))), None
    )
    if taken is not None:
        raise ValidationError({"drug": f"“{name}” already reads as {taken.name}: nothing to add."})
    drug.aliases = ", ".join(filter(None, [drug.aliases.strip().rstrip(","), name.strip().replace(",", " ")]))
    drug._change_reason = f"Name “{name.strip()}” added by {user.get_username()} from a case"
    drug._history_user = user
    drug.full_clean()
    drug.save()
    return drug
