"""Create, edit, reschedule and cancel cases (being written)."""

from django.http import HttpResponse
from django.urls import path

from checklists.views.common import staff_required


@staff_required
def case_create(request):
    return HttpResponse("New case")


urlpatterns = [
    path("cases/new/", case_create, name="case_create"),
]
