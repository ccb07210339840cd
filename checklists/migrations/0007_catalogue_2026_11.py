"""Load the 2026-11 medication catalogue (checklists/data/catalogue-2026-11/) and the new flags' deadlines.

New drugs are added. A drug shipped in v1 is brought up to this version field by field, but only
where the clinic has not changed the v1 value; names the clinic added are kept, v1's own names are
replaced by this version's (so "lantus" moves from "insulin" to "insulin glargine").
"""

from importlib import import_module

from django.db import migrations

from checklists import defaults

VERSION = "2026-11"
FIELDS = ("drug_class", "hold_days", "hold_hours", "renal_egfr_below", "renal_hold_days", "source")
# Deadlines of the flags this version adds (hours before the start), READINESS.md.
NEW_DEADLINES = {
    "MEDICATION_UNRECOGNISED": 72,
    "SUPPLEMENT_OTHER_RISK": 72,
    "ANTICOAGULANT_COMBINATION": 72,
    "MEDICATION_LISTED_TWICE": 72,
}


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def load_catalogue(apps, schema_editor):
    Drug = apps.get_model("checklists", "Drug")
    FlagDeadline = apps.get_model("checklists", "FlagDeadline")
    v1 = {d["name"]: d for d in import_module("checklists.migrations.0002_clinical_defaults").DRUGS_V1}

    stored = {drug.name: drug for drug in Drug.objects.all()}
    new = []
    for entry in defaults.catalogue_drugs(VERSION):
        drug = stored.get(entry["name"])
        if drug is None:
            drug = Drug(name=entry["name"], aliases=", ".join(entry["aliases"]))
            for field in FIELDS:
                setattr(drug, field, entry.get(field))
            new.append(drug)
            continue
        before = [getattr(drug, field) for field in (*FIELDS, "aliases")]
        old = v1.get(entry["name"], {})
        for field in FIELDS:
            if getattr(drug, field) == old.get(field):  # unchanged by the clinic since v1
                setattr(drug, field, entry.get(field))
        shipped = set(old.get("aliases", ()))
        added_by_clinic = [name for name in _names(drug.aliases) if name not in shipped]
        drug.aliases = ", ".join(dict.fromkeys([*entry["aliases"], *added_by_clinic]))
        if [getattr(drug, field) for field in (*FIELDS, "aliases")] != before:
            drug.save()
    Drug.objects.bulk_create(new)

    for code, hours in NEW_DEADLINES.items():
        FlagDeadline.objects.get_or_create(code=code, defaults={"hours_before_start": hours})


class Migration(migrations.Migration):
    dependencies = [("checklists", "0006_signoffs_per_medication")]

    operations = [migrations.RunPython(load_catalogue, migrations.RunPython.noop)]
