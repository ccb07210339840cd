"""The staff workspace's URLs (namespace `checklists`), gathered from each area's module."""

from checklists.views import case_detail, cases, dashboard, home, sheet

app_name = "checklists"

urlpatterns = [
    *home.urlpatterns,
    *dashboard.urlpatterns,
    *cases.urlpatterns,
    *case_detail.urlpatterns,
    *sheet.urlpatterns,
]
