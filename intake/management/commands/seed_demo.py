"""`seed_demo`: staff logins, rooms and demo cases; safe to run again (nothing is duplicated).

It lives in the intake app, the top layer, because it also prints a patient intake link: checklists
imports nothing from intake.
"""

from __future__ import annotations

import datetime as dt
import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from checklists import demo
from checklists.management.casefile_command import rule_config
from checklists.models import Case, Patient, Room
from checklists.permissions import DEMO_GROUP
from checklists.services.imports import CaseConflict, cases_import
from checklists.site import absolute
from intake.services import intake_link_issue
from notifications.inbound import sms_receive

DEFAULT_PASSWORD = "prepdesk-demo"
DEMO_TEXTER = "DEMO-013"  # Lucia Ferreira: texts and email, in Spanish


class Command(BaseCommand):
    help = "Create the demo staff users, rooms and cases (idempotent); prints the demo logins."

    def handle(self, *args, **options) -> None:
        config = rule_config()
        password = os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD
        with transaction.atomic():
            self._staff(password)
            for name, location in demo.ROOMS:
                Room.objects.get_or_create(name=name, defaults={"location": location})
        today = dt.datetime.now(config.time_zone).date()
        existing = set(Case.objects.values_list("reference", flat=True))
        missing = [
            case for case in demo.demo_cases(today, config.time_zone) if case.reference not in existing
        ]
        created = 0
        for case in missing:  # one at a time, so a slot someone has since taken skips only that case
            try:
                cases_import(cases=[case], config=config)
                created += 1
            except CaseConflict as conflict:
                self.stderr.write(f"Skipped demo case {case.reference}: {conflict.message}")
        self.stdout.write(f"Demo data: {created} case(s) created, {len(existing)} already there.")
        self._texts()
        self.stdout.write(f"Demo logins (password: {password}):")
        for username in demo.STAFF:
            self.stdout.write(f"  {username}")
        if settings.DEBUG:
            self.stdout.write(
                "  (no two-factor code while DEBUG is on; with DEBUG off they set it up at sign-in)"
            )
        self._patient_link(config)
        self._fhir_link()

    def _fhir_link(self) -> None:
        """Where a signed-in demo login reads a demo case as the clinic's EHR would (FHIR R4)."""
        case = Case.objects.filter(reference=demo.FHIR_CASE).first()
        if case is not None:
            self.stdout.write(
                f"FHIR R4 Bundle of {case.reference} (signed in as a demo login, or an API token):"
            )
            self.stdout.write(f"  {absolute(reverse('fhir:bundle', args=[case.uuid]))}")

    def _texts(self) -> None:
        """A demo patient who chose text messages, and who texted "2" (the dashboard's "patient asked
        to talk"); stored once, by the text's id, however often this runs."""
        patient = Patient.objects.filter(cases__reference=DEMO_TEXTER).first()
        if patient is None:
            return
        if patient.message_channel == Patient.MessageChannel.EMAIL and not patient.sms_confirmed_phone:
            Patient.objects.filter(pk=patient.pk).update(
                message_channel=Patient.MessageChannel.BOTH, sms_confirmed_phone=patient.phone
            )
        sms_receive(provider_id=f"DEMO-{DEMO_TEXTER}", from_phone=patient.phone, body="2", now=timezone.now())

    def _patient_link(self, config) -> None:
        """A fresh intake link for the demo patient who has not started (the previous one stops)."""
        case = Case.objects.select_related("patient").filter(reference=demo.LINK_CASE).first()
        if case is None:
            return
        _, token = intake_link_issue(case=case, user=None, now=timezone.now(), config=config)
        patient = case.patient
        self.stdout.write(
            f"Patient intake link for {case.reference} ({patient.first_name} {patient.last_name}, "
            f"date of birth {patient.date_of_birth:%Y-%m-%d}):"
        )
        self.stdout.write(f"  {absolute(reverse('intake:open', args=[token]))}")

    def _staff(self, password: str) -> None:
        """The demo logins, in the "demo" group: exempt from two-factor sign-in while DEBUG is on."""
        users = get_user_model()
        demo_group, _ = Group.objects.get_or_create(name=DEMO_GROUP)
        for role in ("coordinator", "clinician"):
            group, _ = Group.objects.get_or_create(name=role)
            user, _ = users.objects.get_or_create(username=role, defaults={"first_name": role.capitalize()})
            user.groups.add(group, demo_group)
            # An address, so the demo's digests and "intake submitted" notices have someone to reach.
            user.email = user.email or f"{role}@clinic.example"
            user.set_password(password)
            user.save()
        admin, _ = users.objects.get_or_create(username="admin", defaults={"email": "admin@example.org"})
        admin.is_staff = admin.is_superuser = True
        admin.set_password(password)
        admin.save()
        admin.groups.add(demo_group)
