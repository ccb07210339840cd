"""Load the shipped reminder and digest times (notifications/defaults.py) into the single settings row."""

from django.db import migrations

from notifications import defaults


def load_defaults(apps, schema_editor):
    NotificationSettings = apps.get_model("notifications", "NotificationSettings")
    # Only the settings this migration's model has: later ones arrive with their own defaults.
    known = {field.name for field in NotificationSettings._meta.get_fields()}
    NotificationSettings.objects.get_or_create(
        pk=1,
        defaults={
            name: value for name, (value, _meaning) in defaults.NOTIFICATION_SETTINGS.items() if name in known
        },
    )


class Migration(migrations.Migration):
    dependencies = [("notifications", "0002_notification_settings_and_enqueue_lease")]

    operations = [migrations.RunPython(load_defaults, migrations.RunPython.noop)]
