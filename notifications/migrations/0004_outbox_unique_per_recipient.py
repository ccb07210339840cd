"""The outbox keeps one row per (case, kind, planned time, recipient).

Before, one row per (case, kind, time) forced per-coordinator copies apart with a kind suffix
("intake_submitted:u7") or a microsecond offset. The suffixes are dropped here; a row that would
then repeat another (two coordinators sharing one address) is removed, the older one kept.
"""

from django.db import migrations, models

SUFFIXED = "intake_submitted:"


def drop_recipient_suffixes(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    kept = set()
    for row in Notification.objects.filter(kind__startswith=SUFFIXED).order_by("pk"):
        key = (row.case_id, row.planned_at, row.recipient)
        if key in kept:
            row.delete()
            continue
        kept.add(key)
        row.kind = "intake_submitted"
        row.save(update_fields=["kind"])


class Migration(migrations.Migration):
    dependencies = [
        ("checklists", "0008_signoffs_attach_to_medications"),
        ("notifications", "0003_notification_settings_defaults"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="notification",
            name="one_notification_per_case_kind_time",
        ),
        migrations.RunPython(drop_recipient_suffixes, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.UniqueConstraint(
                fields=("case", "kind", "planned_at", "recipient"),
                name="one_notification_per_case_kind_time_recipient",
            ),
        ),
    ]
