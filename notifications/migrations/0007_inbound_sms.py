"""Inbound SMS: the texts patients send (a reply to the day-before question, STOP, START, anything)
and the numbers that opted out of texts (a row while opted out; its history audits STOP and START)."""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("checklists", "0015_driver_answers_by_link"),
        ("notifications", "0006_outbox_sms_channel"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SmsOptOut",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("phone", models.CharField(help_text="E.164, e.g. +15551234567", max_length=20, unique=True)),
                ("opted_out_at", models.DateTimeField()),
                (
                    "keyword",
                    models.CharField(help_text="The word the patient sent, e.g. STOP.", max_length=20),
                ),
            ],
            options={
                "verbose_name": "SMS opt-out",
            },
        ),
        migrations.CreateModel(
            name="HistoricalSmsOptOut",
            fields=[
                (
                    "id",
                    models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID"),
                ),
                (
                    "phone",
                    models.CharField(db_index=True, help_text="E.164, e.g. +15551234567", max_length=20),
                ),
                ("opted_out_at", models.DateTimeField()),
                (
                    "keyword",
                    models.CharField(help_text="The word the patient sent, e.g. STOP.", max_length=20),
                ),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(
                        choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1
                    ),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "historical SMS opt-out",
                "verbose_name_plural": "historical SMS opt-outs",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="InboundSms",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "provider_id",
                    models.CharField(help_text="The provider's MessageSid.", max_length=64, unique=True),
                ),
                (
                    "from_phone",
                    models.CharField(help_text="E.164 where the number could be read.", max_length=20),
                ),
                ("body", models.TextField(blank=True)),
                ("received_at", models.DateTimeField()),
                (
                    "meaning",
                    models.CharField(
                        choices=[
                            ("confirmed", "Confirmed: fasting and driver set"),
                            ("talk", "Asked to talk"),
                            ("stop", "Replied STOP: no more texts"),
                            ("start", "Replied START"),
                        ],
                        max_length=10,
                    ),
                ),
                ("handled_at", models.DateTimeField(blank=True, null=True)),
                (
                    "case",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="inbound_sms",
                        to="checklists.case",
                    ),
                ),
                (
                    "handled_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "question",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="notifications.notification",
                    ),
                ),
            ],
            options={
                "verbose_name": "inbound SMS",
                "verbose_name_plural": "inbound SMS",
                "ordering": ["-received_at", "-id"],
                "indexes": [
                    models.Index(
                        condition=models.Q(("handled_at__isnull", True), ("meaning", "talk")),
                        fields=["-received_at"],
                        name="inbound_sms_talk_waiting",
                    )
                ],
            },
        ),
    ]
