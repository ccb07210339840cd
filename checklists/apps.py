from django.apps import AppConfig


class ChecklistsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "checklists"
    verbose_name = "PrepDesk checklists"

    def ready(self) -> None:
        from simple_history.signals import post_create_historical_record

        from checklists import checks  # noqa: F401 - registers the system checks

        # The one signal: whatever saves or deletes a catalogue drug, a flag deadline or a
        # premedication step (admin, service, shell) writes a history row, and so moves the
        # version every process's kept copy of them is checked against (selectors/catalogue.py).
        post_create_historical_record.connect(_rule_data_changed, dispatch_uid="rule_data_changed")


def _rule_data_changed(sender, instance, **kwargs) -> None:
    from checklists.models import Drug, FlagDeadline, PremedicationStep
    from checklists.selectors.catalogue import rule_data_changed

    if isinstance(instance, Drug | FlagDeadline | PremedicationStep):
        rule_data_changed()
