"""What every answer of the app gets: not kept by any cache, and its access logged.

Every staff view of patient data lands in the access log: one mechanism, keyed on the URL.

A staff URL naming a case (`<uuid:case_uuid>`, the htmx actions included), the pages listing many
patients, and the admin's lists, pages and histories of patient data are logged once their answer
is not an error; a view never calls the log itself, so a new view cannot forget it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

from checklists.models import Case, Patient
from checklists.services.access_log import access_log_record

# The names the log has always used for these pages (clinics filter on them); any other case
# URL is logged under its URL name, e.g. "checklists.case_signoff_record".
CASE_ACTIONS = {
    "checklists:case_detail": "case.view",
    "checklists:case_sheet": "case.sheet",
    "checklists:case_ics": "case.ics",
    "checklists:case_edit": "case.edit",
    "intake:link_send": "intake.link_send",
}
LIST_ACTIONS = {"checklists:dashboard": "dashboard", "checklists:schedule": "schedule"}
# Admin models whose rows are patient data ("app_model"), and what their pages are called.
ADMIN_MODELS = frozenset(
    {
        "checklists_patient",
        "checklists_case",
        "checklists_appointment",
        "checklists_medication",
        "checklists_allergy",
        "checklists_intake",
        "checklists_driver",
        "checklists_labresult",
        "checklists_signoff",
        "checklists_accesslog",
        "intake_intakelink",
        "notifications_notification",
    }
)
ADMIN_PAGES = {"changelist": "list", "change": "view", "history": "history"}


class StaffSessionMiddleware:
    """A signed-in staff member's session never idles longer than SESSION_COOKIE_AGE (30 min),
    even when a patient link opened in the same browser gave the session the patient's longer
    idle time (or the other way round)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is not None and user is not None and user.is_authenticated:
            if session.get_expiry_age() > settings.SESSION_COOKIE_AGE:
                session.set_expiry(settings.SESSION_COOKIE_AGE)
        return response


class NoStoreMiddleware:
    """`Cache-Control: no-store, private` on every page and file the app writes (static files are
    answered before this by whitenoise): nearly all of them carry patient data, and a shared
    computer's browser cache or a proxy must keep none of it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        patch_cache_control(response, no_store=True, private=True)
        return response


class AccessLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        target = getattr(request, "_access_logged", None)
        if target is not None and response.status_code < 400 and request.user.is_authenticated:
            action, case, patient = target()
            access_log_record(request=request, action=action, case=case, patient=patient)
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        """Remember what this request shows; the case is looked up only if it is logged."""
        name = request.resolver_match.view_name if request.resolver_match else ""
        if "case_uuid" in view_kwargs:
            action = CASE_ACTIONS.get(name, name.replace(":", "."))
            uuid = view_kwargs["case_uuid"]
            request._access_logged = lambda: (action, _shown(request, uuid) or _case(uuid=uuid), None)
        elif name in LIST_ACTIONS:
            request._access_logged = lambda: (LIST_ACTIONS[name], None, None)
        elif name.startswith("admin:"):
            model, page = _admin_page(name.removeprefix("admin:"))
            if model in ADMIN_MODELS and page in ADMIN_PAGES:
                action = f"admin.{model.partition('_')[2]}.{ADMIN_PAGES[page]}"
                object_id = view_kwargs.get("object_id")
                request._access_logged = lambda: (action, *_admin_target(model, object_id))


def _admin_page(url_name: str) -> tuple[str, str]:
    """'checklists_case_change' -> ('checklists_case', 'change'); simple-history's one version
    ('checklists_case_simple_history') is a history page."""
    if url_name.endswith("_simple_history"):
        return url_name.removesuffix("_simple_history"), "history"
    model, _, page = url_name.rpartition("_")
    return model, page


def _shown(request: HttpRequest, uuid) -> Case | None:
    """The case a page showed, handed over by its view (`request.case_shown`) so it is not read
    again for the log; only pages that change nothing do (an action's case may have changed)."""
    case = getattr(request, "case_shown", None)
    return case if case is not None and case.uuid == uuid else None


def _case(**lookup) -> Case | None:
    return Case.objects.select_related("patient").filter(**lookup).first()


def _admin_target(model: str, object_id: str | None) -> tuple[Case | None, Patient | None]:
    """The case (and so the patient) an admin page shows, or the patient alone."""
    if object_id is None:
        return None, None
    app_label, _, model_name = model.partition("_")
    try:
        row = apps.get_model(app_label, model_name)._default_manager.filter(pk=object_id).first()
    except (ValueError, ValidationError):  # not an id at all: the admin said so already
        return None, None
    if row is None:
        return None, None
    if isinstance(row, Patient):
        return None, row
    if isinstance(row, Case):
        return _case(pk=row.pk), None
    case_id = getattr(row, "case_id", None)
    return (_case(pk=case_id) if case_id else None), None
