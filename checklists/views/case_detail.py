"""The case page and the actions that clear flags (being written)."""

from django.http import HttpResponse
from django.urls import path

from checklists.views.common import case_or_404, staff_required


@staff_required
def case_detail(request, case_uuid):
    return HttpResponse(str(case_or_404(case_uuid)))


urlpatterns = [
    path("cases/<uuid:case_uuid>/", case_detail, name="case_detail"),
]
