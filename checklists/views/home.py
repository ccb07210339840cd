"""The front door: `/` and the health check."""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache


def home(request):
    """Staff go to the dashboard; everyone else to the login page."""
    return redirect("checklists:dashboard" if request.user.is_authenticated else "login")


@never_cache
def healthz(request):
    """200 with {"status": "ok"} when the database answers; 503 otherwise. No login."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
