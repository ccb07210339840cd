"""Sign-offs about a medicine are now per medication line (MEDICATIONS.md). For each active one:

- attach it to the one line it could have meant: a line that names a drug of the item's class and
  already existed, under the same name, when it was signed off; a plan also records the start the
  case had at that moment (from the appointment's history), so a later move voids it as it would now;
- otherwise (no such line, several, or no start on record for a plan) withdraw it with a note: a
  clinician approves again, per medicine. Never guess in the unsafe direction.
"""

import datetime as dt

from django.db import migrations

from checklists.catalog import DrugEntry, read_medication
from checklists.casedata import ANTICOAGULANT_CLASSES

# The per-medication items that existed before this change, and the classes each was about.
ITEM_CLASSES = {
    "anticoagulant_plan_approved": ANTICOAGULANT_CLASSES,
    "anticoagulant_exception_approved": ANTICOAGULANT_CLASSES,
    "supplement_advice_given": frozenset({"herbal_bleeding"}),
    "glp1_plan_given": frozenset({"glp1"}),
    "sglt2_plan_given": frozenset({"sglt2"}),
    "metformin_plan_given": frozenset({"metformin"}),
}
PLANS = frozenset({"anticoagulant_plan_approved"})
NOTE = (
    "Withdrawn on the change to per-medicine sign-offs: {why}. A clinician records it again for "
    "each medicine."
)


def _catalogue(Drug) -> tuple[DrugEntry, ...]:
    return tuple(
        DrugEntry(
            name=d.name,
            drug_class=d.drug_class,
            aliases=tuple(a.strip() for a in d.aliases.split(",") if a.strip()),
        )
        for d in Drug.objects.order_by("name")
    )


def _name_at(HistoricalMedication, line, moment):
    """The line's name at `moment`, or None if it did not exist yet."""
    record = (
        HistoricalMedication.objects.filter(id=line.pk, history_date__lte=moment)
        .order_by("-history_date", "-history_id")
        .first()
    )
    if record is None:
        # No history at all (rows written before history was kept): take the line as it is.
        exists = HistoricalMedication.objects.filter(id=line.pk).exists()
        return None if exists else line.name
    return None if record.history_type == "-" else record.name


def _start_at(HistoricalAppointment, case_id, moment):
    record = (
        HistoricalAppointment.objects.filter(case_id=case_id, history_date__lte=moment)
        .order_by("-history_date", "-history_id")
        .first()
    )
    if record is None or record.history_type == "-" or not record.is_active:
        return None
    return record.start


def attach_signoffs(apps, schema_editor):
    SignOff = apps.get_model("checklists", "SignOff")
    Medication = apps.get_model("checklists", "Medication")
    Drug = apps.get_model("checklists", "Drug")
    HistoricalMedication = apps.get_model("checklists", "HistoricalMedication")
    HistoricalAppointment = apps.get_model("checklists", "HistoricalAppointment")
    drugs = _catalogue(Drug)
    now = dt.datetime.now(dt.UTC)
    attached = withdrawn = 0
    for signoff in SignOff.objects.filter(withdrawn_at__isnull=True, item__in=ITEM_CLASSES, medication_name=""):
        classes = ITEM_CLASSES[signoff.item]
        lines = [
            line
            for line in Medication.objects.filter(case_id=signoff.case_id).order_by("position", "id")
            if any(d.drug_class in classes for d in read_medication(line.name, drugs).drugs)
            and _name_at(HistoricalMedication, line, signoff.at) == line.name
        ]
        start = _start_at(HistoricalAppointment, signoff.case_id, signoff.at)
        why = None
        if not lines:
            why = "no medicine line of that kind was on the case when it was signed off"
        elif len(lines) > 1:
            why = f"it could have meant {len(lines)} medicines ({', '.join(line.name for line in lines)})"
        elif signoff.item in PLANS and start is None:
            why = "the case had no appointment when the plan was approved"
        if why is not None:
            signoff.withdrawn_at = now
            signoff.note = "\n".join(filter(None, [signoff.note, NOTE.format(why=why)]))
            signoff.save()
            withdrawn += 1
            continue
        signoff.medication, signoff.medication_name = lines[0], lines[0].name
        if signoff.item in PLANS:
            signoff.for_start = start  # last_dose_on stays empty: the computed day
        signoff.save()
        attached += 1
    if attached or withdrawn:
        print(f"\n  Per-medicine sign-offs: {attached} attached to their medicine, {withdrawn} withdrawn.")


class Migration(migrations.Migration):
    dependencies = [("checklists", "0007_catalogue_2026_11")]

    operations = [migrations.RunPython(attach_signoffs, migrations.RunPython.noop)]
