"""The outbox: one row for every message PrepDesk sends or means to send, and when reminders go out.

Unique per (case, kind, planned time, channel, recipient), so however many workers or sweeps run, a
message is created, and therefore sent, at most once on each channel. Email and SMS rows live side
by side; an SMS that fails for good may be followed by one email standing in for it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, validate_comma_separated_integer_list
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from checklists.models import Case
from notifications.defaults import NOTIFICATION_SETTINGS


class Notification(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"  # an SMS: accepted by the provider, not yet confirmed on the phone
        DELIVERED = "delivered", "Delivered"  # an SMS: the provider confirmed the handset got it
        FAILED = "failed", "Failed"  # will be retried
        # An SMS that failed for good (the provider refused the number, retries ran out, or it
        # reported the text undelivered): never retried; its fallback email, if any, stands in.
        UNDELIVERED = "undelivered", "Not delivered"
        CANCELLED = "cancelled", "Cancelled"
        # The worker stopped mid-send: it may have gone out, or not. Never sent again by itself;
        # staff check with the recipient and send it again with one click.
        UNKNOWN = "unknown", "May not have been sent"

    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(
        max_length=50, help_text="e.g. intake_invitation, reminder_7d, digest_coordinator"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    recipient = models.CharField(max_length=254)
    language = models.CharField(max_length=2, default="en")
    subject = models.CharField(max_length=200)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    planned_at = models.DateTimeField(db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Set by the sweep when it queues a send task, cleared when a worker takes the row: a lease, so
    # concurrent sweeps queue a row once and a lost task is queued again only after a while.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    sending_since = models.DateTimeField(null=True, blank=True)  # when a worker took it
    error = models.TextField(blank=True)
    # SMS only: the provider's id for the message (its status callbacks name it) and how many parts
    # it costs (planned from the text, then as the provider counted it); 0 for email.
    provider_id = models.CharField(max_length=64, blank=True, db_index=True)
    segments = models.PositiveSmallIntegerField(default=0)
    # Where an SMS falls back to when it fails for good ("" for none), and on that email the SMS it
    # stands in for: unique, so a failed SMS falls back at most once.
    fallback_email = models.EmailField(blank=True)
    fallback_for = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-planned_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kind", "planned_at", "channel", "recipient"],
                name="one_notification_per_case_kind_time_channel_recipient",
            ),
            models.UniqueConstraint(
                fields=["kind", "planned_at", "channel", "recipient"],
                condition=Q(case__isnull=True),
                name="one_caseless_notification_per_kind_time_channel_recipient",
            ),
            models.UniqueConstraint(
                fields=["fallback_for"],
                condition=Q(fallback_for__isnull=False),
                name="one_fallback_per_notification",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient} ({self.status})"


def _help(name: str) -> str:
    return NOTIFICATION_SETTINGS[name][1]


class NotificationSettings(models.Model):
    """When reminders and digests go out: a single row (pk=1), edited in the admin. Clinic times."""

    patient_reminder_days = models.CharField(
        max_length=50,
        validators=[validate_comma_separated_integer_list],
        help_text=_help("patient_reminder_days"),
    )
    patient_reminder_time = models.TimeField(help_text=_help("patient_reminder_time"))
    day_before_time = models.TimeField(help_text=_help("day_before_time"))
    last_dose_time = models.TimeField(help_text=_help("last_dose_time"))
    coordinator_digest_time = models.TimeField(help_text=_help("coordinator_digest_time"))
    clinician_digest_time = models.TimeField(help_text=_help("clinician_digest_time"))
    digest_horizon_days = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(60)], help_text=_help("digest_horizon_days")
    )
    clinician_digest_horizon_days = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(60)], help_text=_help("clinician_digest_horizon_days")
    )
    quiet_hours_start = models.TimeField(
        default=NOTIFICATION_SETTINGS["quiet_hours_start"][0], help_text=_help("quiet_hours_start")
    )
    quiet_hours_end = models.TimeField(
        default=NOTIFICATION_SETTINGS["quiet_hours_end"][0], help_text=_help("quiet_hours_end")
    )
    driver_pickup_time = models.TimeField(
        default=NOTIFICATION_SETTINGS["driver_pickup_time"][0], help_text=_help("driver_pickup_time")
    )
    late_send_grace_hours = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(72)], help_text=_help("late_send_grace_hours")
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "notification settings"
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="notification_settings_single_row")]

    def __str__(self) -> str:
        return "Reminder and digest times"


class SmsOptOut(models.Model):
    """A number that replied STOP (or PARAR, BAJA...): no SMS goes to it while this row exists.

    START deletes the row; the history keeps every STOP and START (who, when, which word).
    """

    phone = models.CharField(max_length=20, unique=True, help_text="E.164, e.g. +15551234567")
    opted_out_at = models.DateTimeField()
    keyword = models.CharField(max_length=20, help_text="The word the patient sent, e.g. STOP.")
    history = HistoricalRecords()

    class Meta:
        verbose_name = "SMS opt-out"

    def __str__(self) -> str:
        return f"{self.phone} replied {self.keyword}"


class InboundSms(models.Model):
    """A text a patient sent us, stored once (the provider's MessageSid is unique), with the case
    it answers (matched by the number and the open question) and what it meant."""

    class Meaning(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed: fasting and driver set"  # "1" to the day-before question
        TALK = "talk", "Asked to talk"  # "2", or any other text: a person calls back
        STOP = "stop", "Replied STOP: no more texts"
        START = "start", "Replied START"

    provider_id = models.CharField(max_length=64, unique=True, help_text="The provider's MessageSid.")
    from_phone = models.CharField(max_length=20, help_text="E.164 where the number could be read.")
    body = models.TextField(blank=True)
    received_at = models.DateTimeField()
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_sms"
    )
    # The day-before SMS this text answers, when one was open for the number.
    question = models.ForeignKey(
        Notification, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    meaning = models.CharField(max_length=10, choices=Meaning.choices)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = verbose_name_plural = "inbound SMS"
        ordering = ["-received_at", "-id"]
        indexes = [
            # The dashboard's "patient asked to talk": few rows, whatever the number of texts.
            models.Index(
                fields=["-received_at"],
                condition=Q(meaning="talk", handled_at__isnull=True),
                name="inbound_sms_talk_waiting",
            ),
        ]

    def __str__(self) -> str:
        return f"SMS from {self.from_phone} ({self.meaning})"
