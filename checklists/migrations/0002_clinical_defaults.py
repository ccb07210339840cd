"""Load the shipped clinical defaults (checklists/defaults.py) into the clinic-editable tables."""

from django.db import migrations

from checklists import defaults

# The first catalogue (v1), frozen here as it shipped: later versions are loaded by later
# migrations from checklists/data/catalogue-<version>/, and compare against this one.
SIR_2019 = defaults.SIR_2019
ACR_CONTRAST = defaults.ACR_CONTRAST
ASA_GLP1 = defaults.ASA_GLP1
FDA_SGLT2 = defaults.FDA_SGLT2
HERBAL = defaults.HERBAL

DRUGS_V1: tuple[dict, ...] = (
    {
        "name": "warfarin",
        "drug_class": "vka",
        "aliases": ["coumadin", "jantoven"],
        "hold_days": 5,
        "source": SIR_2019,
    },
    {
        "name": "apixaban",
        "drug_class": "doac",
        "aliases": ["eliquis"],
        "hold_days": 2,
        "renal_egfr_below": 50,
        "renal_hold_days": 3,
        "source": SIR_2019,
    },
    {
        "name": "rivaroxaban",
        "drug_class": "doac",
        "aliases": ["xarelto"],
        "hold_days": 2,
        "renal_egfr_below": 30,
        "renal_hold_days": 3,
        "source": SIR_2019,
    },
    {
        "name": "edoxaban",
        "drug_class": "doac",
        "aliases": ["savaysa", "lixiana"],
        "hold_days": 2,
        "source": SIR_2019,
    },
    {
        "name": "dabigatran",
        "drug_class": "doac",
        "aliases": ["pradaxa"],
        "hold_days": 2,
        "renal_egfr_below": 50,
        "renal_hold_days": 4,
        "source": SIR_2019,
    },
    {
        "name": "clopidogrel",
        "drug_class": "antiplatelet",
        "aliases": ["plavix"],
        "hold_days": 5,
        "source": SIR_2019,
    },
    {
        "name": "prasugrel",
        "drug_class": "antiplatelet",
        "aliases": ["effient"],
        "hold_days": 7,
        "source": SIR_2019,
    },
    {
        "name": "ticagrelor",
        "drug_class": "antiplatelet",
        "aliases": ["brilinta"],
        "hold_days": 5,
        "source": SIR_2019,
    },
    {
        "name": "aspirin",
        "drug_class": "antiplatelet",
        "aliases": ["asa", "baby aspirin", "ecotrin", "bayer aspirin"],
        "hold_days": 5,
        "source": f"{SIR_2019}: 3-5 days, patient-specific",
    },
    {
        "name": "enoxaparin",
        "drug_class": "heparin",
        "aliases": ["lovenox"],
        "hold_hours": 24,
        "source": SIR_2019,
    },
    {
        "name": "dalteparin",
        "drug_class": "heparin",
        "aliases": ["fragmin"],
        "hold_hours": 24,
        "source": SIR_2019,
    },
    {"name": "heparin", "drug_class": "heparin", "aliases": [], "hold_hours": 6, "source": SIR_2019},
    {
        "name": "ginkgo",
        "drug_class": "herbal_bleeding",
        "aliases": ["ginkgo biloba"],
        "hold_days": 7,
        "source": HERBAL,
    },
    {"name": "garlic", "drug_class": "herbal_bleeding", "aliases": [], "hold_days": 7, "source": HERBAL},
    {"name": "ginseng", "drug_class": "herbal_bleeding", "aliases": [], "hold_days": 7, "source": HERBAL},
    {
        "name": "fish oil",
        "drug_class": "herbal_bleeding",
        "aliases": ["omega-3", "omega 3"],
        "hold_days": 7,
        "source": HERBAL,
    },
    {"name": "vitamin e", "drug_class": "herbal_bleeding", "aliases": [], "hold_days": 7, "source": HERBAL},
    {
        "name": "turmeric",
        "drug_class": "herbal_bleeding",
        "aliases": ["curcumin"],
        "hold_days": 7,
        "source": HERBAL,
    },
    {"name": "feverfew", "drug_class": "herbal_bleeding", "aliases": [], "hold_days": 7, "source": HERBAL},
    {"name": "dong quai", "drug_class": "herbal_bleeding", "aliases": [], "hold_days": 7, "source": HERBAL},
    {
        "name": "semaglutide",
        "drug_class": "glp1",
        "aliases": ["ozempic", "wegovy", "rybelsus"],
        "source": ASA_GLP1,
    },
    {"name": "liraglutide", "drug_class": "glp1", "aliases": ["victoza", "saxenda"], "source": ASA_GLP1},
    {"name": "dulaglutide", "drug_class": "glp1", "aliases": ["trulicity"], "source": ASA_GLP1},
    {"name": "tirzepatide", "drug_class": "glp1", "aliases": ["mounjaro", "zepbound"], "source": ASA_GLP1},
    {"name": "exenatide", "drug_class": "glp1", "aliases": ["byetta", "bydureon"], "source": ASA_GLP1},
    {
        "name": "empagliflozin",
        "drug_class": "sglt2",
        "aliases": ["jardiance"],
        "hold_days": 3,
        "source": FDA_SGLT2,
    },
    {
        "name": "dapagliflozin",
        "drug_class": "sglt2",
        "aliases": ["farxiga"],
        "hold_days": 3,
        "source": FDA_SGLT2,
    },
    {
        "name": "canagliflozin",
        "drug_class": "sglt2",
        "aliases": ["invokana"],
        "hold_days": 3,
        "source": FDA_SGLT2,
    },
    {
        "name": "ertugliflozin",
        "drug_class": "sglt2",
        "aliases": ["steglatro"],
        "hold_days": 4,
        "source": FDA_SGLT2,
    },
    {
        "name": "metformin",
        "drug_class": "metformin",
        "aliases": ["glucophage", "glumetza", "fortamet"],
        "source": ACR_CONTRAST,
    },
    {
        "name": "insulin",
        "drug_class": "insulin",
        "aliases": ["lantus", "basaglar", "toujeo", "humalog", "novolog", "levemir", "tresiba"],
        "source": "Clinic diabetes plan",
    },
)



def load_defaults(apps, schema_editor):
    RuleSettings = apps.get_model("checklists", "RuleSettings")
    Drug = apps.get_model("checklists", "Drug")
    FlagDeadline = apps.get_model("checklists", "FlagDeadline")
    PremedicationStep = apps.get_model("checklists", "PremedicationStep")

    RuleSettings.objects.get_or_create(
        pk=1, defaults={name: value for name, (value, _source) in defaults.RULE_SETTINGS.items()}
    )
    for entry in DRUGS_V1:
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
