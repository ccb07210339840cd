from django.apps import AppConfig


class ChecklistsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "checklists"
    verbose_name = "PrepDesk checklists"

    def ready(self) -> None:
        from checklists import checks  # noqa: F401 - registers the system checks
