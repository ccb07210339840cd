"""SMS becomes a channel of the outbox.

An SMS row keeps the provider's message id and its segment count, and may name an email address to
fall back to; the email standing in for a failed SMS points at it (once: unique). Two statuses are
new: "delivered" (the provider confirmed the handset got it) and "undelivered" (failed for good,
never retried). The at-most-once constraints now include the channel, so the same message may go
once by email and once by SMS. Every existing row is an email: nothing to copy.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0005_outbox_unknown_outcome"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="notification",
            name="one_caseless_notification_per_kind_time_recipient",
        ),
        migrations.RemoveConstraint(
            model_name="notification",
            name="one_notification_per_case_kind_time_recipient",
        ),
        migrations.AddField(
            model_name="notification",
            name="fallback_email",
            field=models.EmailField(blank=True, max_length=254),
        ),
        migrations.AddField(
            model_name="notification",
            name="fallback_for",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="notifications.notification",
            ),
        ),
        migrations.AddField(
            model_name="notification",
            name="provider_id",
            field=models.CharField(blank=True, db_index=True, max_length=64),
        ),
        migrations.AddField(
            model_name="notification",
            name="segments",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AlterField(
            model_name="notification",
            name="channel",
            field=models.CharField(
                choices=[("email", "Email"), ("sms", "SMS")], default="email", max_length=10
            ),
        ),
        migrations.AlterField(
            model_name="notification",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Pending"),
                    ("sending", "Sending"),
                    ("sent", "Sent"),
                    ("delivered", "Delivered"),
                    ("failed", "Failed"),
                    ("undelivered", "Not delivered"),
                    ("cancelled", "Cancelled"),
                    ("unknown", "May not have been sent"),
                ],
                db_index=True,
                default="pending",
                max_length=12,
            ),
        ),
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.UniqueConstraint(
                fields=("case", "kind", "planned_at", "channel", "recipient"),
                name="one_notification_per_case_kind_time_channel_recipient",
            ),
        ),
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.UniqueConstraint(
                condition=models.Q(("case__isnull", True)),
                fields=("kind", "planned_at", "channel", "recipient"),
                name="one_caseless_notification_per_kind_time_channel_recipient",
            ),
        ),
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.UniqueConstraint(
                condition=models.Q(("fallback_for__isnull", False)),
                fields=("fallback_for",),
                name="one_fallback_per_notification",
            ),
        ),
    ]
