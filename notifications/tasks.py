"""Background work on Django's tasks API (django-tasks backport; the database backend by default).

Run the queue with `manage.py db_worker`; any number of workers may share one PostgreSQL.
"""

from __future__ import annotations

from django_tasks import task

from notifications.services import notification_send


@task()
def send_notification(notification_id: int) -> str:
    """Send one outbox row (at most once, however often it is queued); returns its new status."""
    return notification_send(notification_id=notification_id).status
