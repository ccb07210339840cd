"""The dashboard (which upcoming cases are not ready, why, and who must act) and the day view per room."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.views.generic import TemplateView

from checklists.forms.dashboard import DashboardFilterForm, DayViewDateForm
from checklists.forms.days import has_out_of_range
from checklists.permissions import CLINICIAN, COORDINATOR, has_role
from checklists.selectors.catalogue import load_rule_config
from checklists.selectors.dashboard import case_rows, dashboard_cases, room_days
from checklists.views.common import StaffRequiredMixin

PAGE_SIZE = 50


class DashboardView(StaffRequiredMixin, TemplateView):
    """Upcoming cases by day with their readiness, and the cases still waiting for a slot."""

    template_name = "checklists/dashboard/dashboard.html"

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        # A clinician lands on the items only a clinician can clear; a coordinator on everything.
        clinician_only = has_role(request.user, CLINICIAN) and not has_role(request.user, COORDINATOR)
        form = DashboardFilterForm(
            request.GET, today=timezone.localdate(), default_owner=CLINICIAN if clinician_only else ""
        )
        filters = form.filters()
        now, config = timezone.now(), load_rule_config()
        upcoming, unscheduled = dashboard_cases(filters=filters, as_of=now, config=config)
        pages = {}
        for name, cases, number in (
            ("page", upcoming, request.GET.get("page")),
            ("unscheduled", unscheduled, request.GET.get("unscheduled_page")),
        ):
            pages[name] = Paginator(cases, PAGE_SIZE).get_page(number)  # paged in SQL
            pages[name].object_list = case_rows(pages[name].object_list, as_of=now, config=config)
        # Other apps' panels (settings.DASHBOARD_PANELS), so checklists imports none of them.
        panels = [import_string(path)(request) for path in settings.DASHBOARD_PANELS]
        return self.render_to_response(
            self.get_context_data(form=form, filters=filters, dashboard_panels=panels, **pages),
            status=400 if has_out_of_range(form) else 200,  # the error shows next to the date
        )


class DayView(StaffRequiredMixin, TemplateView):
    """One day per room: cases in time order and the free time between them."""

    template_name = "checklists/dashboard/day_view.html"

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        today = timezone.localdate()
        query = DayViewDateForm(request.GET)
        day = query.day(today)
        status = 200
        if has_out_of_range(query):
            messages.error(request, f"{' '.join(query.errors['date'])} Showing today.")
            status = 400
        elif query.errors:
            messages.warning(request, "That date could not be read (use YYYY-MM-DD); showing today.")
        rooms = room_days(day=day, as_of=timezone.now(), config=load_rule_config())
        return self.render_to_response(
            self.get_context_data(
                day=day,
                rooms=rooms,
                form=DayViewDateForm(initial={"date": day}),
                previous_day=day - dt.timedelta(days=1),
                next_day=day + dt.timedelta(days=1),
                is_today=day == today,
            ),
            status=status,
        )
