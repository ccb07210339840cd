"""`manage.py send_due_notifications`: the reminder sweep, for cron or a systemd timer every 5 minutes."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from notifications.sweep import notifications_sweep


class Command(BaseCommand):
    help = (
        "Plan every reminder and digest that is due, cancel those no longer due, and queue the sending "
        "for the task workers (manage.py db_worker). Safe to run often and concurrently."
    )

    def handle(self, *args, **options) -> None:
        report = notifications_sweep()
        if options["verbosity"] > 0:
            self.stdout.write(f"send_due_notifications: {report}")
        if report.errors:
            raise CommandError(f"{report.errors} case(s) or digest(s) could not be planned; see the log.")
