"""Test data: staff users with their roles, rooms and patients as factory_boy factories, and
cases as `CaseData` stored through the same import service as real files."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.policy import two_factor_required
from checklists import casedata as cd
from checklists.catalog import RuleConfig
from checklists.models import Case, Patient, Room
from checklists.services.imports import cases_import

UTC = dt.UTC


class UserFactory(factory.django.DjangoModelFactory):
    """A signed-up user with no staff role (a visitor to the workspace)."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@clinic.example")
    # Hashing a password costs a quarter of a second: most tests log in with force_login, so a user
    # gets an unusable password unless a test that logs in through the page passes one.
    password = factory.LazyAttribute(lambda user: make_password(user.raw_password))

    class Params:
        raw_password = None


class StaffFactory(UserFactory):
    """A staff member: `StaffFactory(username="cora", role="coordinator")`; `role` may be a tuple."""

    @factory.post_generation
    def role(user, create: bool, extracted: str | tuple[str, ...] | None, **kwargs) -> None:
        roles = (extracted,) if isinstance(extracted, str) else extracted or ("coordinator",)
        user.groups.add(*(Group.objects.get_or_create(name=name)[0] for name in roles))


def second_factor_passed(client: Client, user) -> None:
    """Make `client`'s session one that has also passed two-factor sign-in, as after typing the
    password and the app's code: a user who must have an authenticator app (or has one) gets one."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None and not two_factor_required(user):
        return
    device = device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


class SignedInClient(Client):
    """The suite's test client: `force_login` skips the whole sign-in, password and second factor.
    Tests of two-factor sign-in itself use a plain `django.test.Client`."""

    def force_login(self, user, backend=None) -> None:
        super().force_login(user, backend)
        second_factor_passed(self, user)


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room
        django_get_or_create = ("name",)

    name = "IR Suite 1"


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    first_name = "Ann"
    last_name = factory.Sequence(lambda n: f"Lee-{n}")
    date_of_birth = dt.date(1950, 1, 1)


class CaseFactory(factory.django.DjangoModelFactory):
    """An unscheduled case row; cases with their medicines, intake and labs come from `full_case`."""

    class Meta:
        model = Case

    patient = factory.SubFactory(PatientFactory)
    reference = factory.Sequence(lambda n: f"F-{n:04d}")
    levels = ["L1"]


# Every flag code READINESS.md defines, and no others.
READINESS_CODES = {
    "NOT_SCHEDULED",
    "INTAKE_NOT_SUBMITTED",
    "MEDICATIONS_UNCONFIRMED",
    "ALLERGIES_UNANSWERED",
    "FASTING_NOT_ACKNOWLEDGED",
    "DRIVER_MISSING",
    "DRIVER_UNCONFIRMED",
    "DRIVER_DECLINED",
    "ANTICOAGULANT_HOLD_PLAN",
    "ANTICOAGULANT_LAST_DOSE_TOO_LATE",
    "SUPPLEMENT_BLEEDING_RISK",
    "GLP1_AGONIST_REVIEW",
    "SGLT2_INHIBITOR_HOLD",
    "METFORMIN_RENAL_REVIEW",
    "DIABETES_PLAN",
    "CONTRAST_PREMEDICATION",
    "ANESTHETIC_ALLERGY_REVIEW",
    "LATEX_ALLERGY",
    "LAB_MISSING",
    "LAB_OUT_OF_RANGE",
    "PRONE_POSITION_REVIEW",
    "INFECTION_REVIEW",
    "PREGNANCY_REVIEW",
    "MEDICATION_UNRECOGNISED",
    "NSAID_HOLD",
    "SUPPLEMENT_OTHER_RISK",
    "ANTICOAGULANT_COMBINATION",
    "MEDICATION_LISTED_TWICE",
}


def full_case(reference: str, start: dt.datetime, room: str = "IR Suite 1") -> cd.CaseData:
    """A case with every kind of related record, so a query-count test touches every join."""
    day = start.date()
    return cd.CaseData(
        reference=reference,
        patient=cd.PatientData(
            "Ann", f"Lee-{reference}", dt.date(1950, 1, 1), sex="female", email="ann@example.org"
        ),
        procedure=cd.ProcedureData(levels=("T12", "L1")),
        appointment=cd.AppointmentData(start=start, room=room),
        medications=(
            cd.MedicationData("Eliquis 5mg"),
            cd.MedicationData("fish oil"),
            cd.MedicationData("Tylenol"),
        ),
        allergies=(cd.AllergyData("iodinated_contrast", "iohexol", "hives"), cd.AllergyData("latex")),
        intake=cd.IntakeData(submitted_at=start - dt.timedelta(days=5), medications_complete=True),
        driver=cd.DriverData("Bo Lee", "+15551234567"),
        labs=(cd.LabData("inr", 1.1, day - dt.timedelta(days=3)), cd.LabData("platelets", 40, day)),
        signoffs=(cd.SignOffData("latex_precautions_arranged", "coordinator", start - dt.timedelta(days=6)),),
    )


def store_cases(count: int, config: RuleConfig, first_start: dt.datetime) -> None:
    """`count` full cases, two hours apart in one room."""
    cases = [full_case(f"Q-{i:03d}", first_start + dt.timedelta(hours=2 * i)) for i in range(count)]
    cases_import(cases=cases, config=config)
