"""Dashboard and day schedule (being written)."""

from django.http import HttpResponse
from django.urls import path

from checklists.views.common import staff_required


@staff_required
def dashboard(request):
    return HttpResponse("Dashboard")


@staff_required
def schedule(request):
    return HttpResponse("Schedule")


urlpatterns = [
    path("dashboard/", dashboard, name="dashboard"),
    path("schedule/", schedule, name="schedule"),
]
