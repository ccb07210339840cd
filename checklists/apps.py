from django.apps import AppConfig


class ChecklistsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "checklists"
    verbose_name = "PrepDesk checklists"

    def ready(self) -> None:
        from simple_history.signals import post_create_historical_record

        from checklists import (
            checks,  # noqa: F401 - registers the system checks
            lookups,  # noqa: F401 - registers `__any_of`
        )

        # The one signal: whatever saves or deletes a case, its patient or any of its parts, or the
        # rule data (admin, service, shell) writes a history row, and so, in the same transaction,
        # makes the stored readiness of the cases concerned stale (services/readiness.py), or
        # moves the rule data's version (every process's kept copy and every stored readiness
        # is checked against it; selectors/catalogue.py). An import (services/imports.py) writes its
        # history rows in bulk, which sends no signal, and makes its cases stale itself.
        post_create_historical_record.connect(_inputs_changed, dispatch_uid="readiness_inputs_changed")


def _inputs_changed(sender, instance, **kwargs) -> None:
    from checklists import models
    from checklists.selectors.catalogue import rule_data_changed
    from checklists.services.readiness import readiness_inputs_changed

    rule_data = models.Drug | models.FlagDeadline | models.PremedicationStep | models.RuleSettings
    if isinstance(instance, rule_data):
        rule_data_changed()
    elif isinstance(instance, models.Case):
        readiness_inputs_changed([instance.pk])
    elif isinstance(instance, models.Patient):
        readiness_inputs_changed(instance.cases.values_list("pk", flat=True))
    elif isinstance(
        instance,
        models.Appointment
        | models.Medication
        | models.Allergy
        | models.Intake
        | models.Driver
        | models.LabResult
        | models.SignOff,
    ):
        readiness_inputs_changed([instance.case_id])
