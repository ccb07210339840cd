"""Load the shipped clinical defaults (checklists/defaults.py) into the clinic-editable tables."""

from django.db import migrations

from checklists import defaults


def load_defaults(apps, schema_editor):
    RuleSettings = apps.get_model("checklists", "RuleSettings")
    Drug = apps.get_model("checklists", "Drug")
    FlagDeadline = apps.get_model("checklists", "FlagDeadline")
    PremedicationStep = apps.get_model("checklists", "PremedicationStep")

    RuleSettings.objects.get_or_create(
        pk=1, defaults={name: value for name, (value, _source) in defaults.RULE_SETTINGS.items()}
    )
    for entry in defaults.DRUGS:
        Drug.objects.get_or_create(
            name=entry["name"],
            defaults={
                "drug_class": entry["drug_class"],
                "aliases": ", ".join(entry["aliases"]),
                "hold_days": entry.get("hold_days"),
                "hold_hours": entry.get("hold_hours"),
                "renal_egfr_below": entry.get("renal_egfr_below"),
                "renal_hold_days": entry.get("renal_hold_days"),
                "source": entry["source"],
            },
        )
    for code, hours in defaults.FLAG_DEADLINES.items():
        FlagDeadline.objects.get_or_create(code=code, defaults={"hours_before_start": hours})
    if not PremedicationStep.objects.exists():
        for position, (drug, hours) in enumerate(defaults.PREMEDICATION):
            PremedicationStep.objects.create(position=position, drug=drug, hours_before_start=hours)


class Migration(migrations.Migration):
    dependencies = [("checklists", "0001_initial")]

    operations = [migrations.RunPython(load_defaults, migrations.RunPython.noop)]
