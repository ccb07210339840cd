"""Who may open what: every URL pattern of the project, for an anonymous visitor, a patient (a
verified intake session), a coordinator, a clinician and an admin, by GET and by POST, answers
exactly the status this matrix says. A new URL without a row here fails the test, so nobody adds
a page without deciding who may see it. The admin site's own pages follow one rule (below).

302 for a visitor or a patient on a staff page is the login page; for a staff member on a patient
page, the intake's start; 403 a signed-in person without the role; 405 a method the page does not
take. An empty POST to a staff action is answered (302 back with a message, or 200 with the
form's errors) but changes nothing.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.factories import SignedInClient, StaffFactory
from tests.intake.support import next_start, store_case, verified_client

pytestmark = pytest.mark.django_db
ROLES = ("anonymous", "patient", "coordinator", "clinician", "admin")

Row = tuple[tuple[int, int], ...]  # (GET, POST) per role, in ROLES order
PUBLIC_GET = ((200, 200),) * 5
LOGGED_OUT = ((302, 302), (302, 302))  # anonymous, patient: to the login page
STAFF_VIEW = (*LOGGED_OUT, (200, 405), (200, 405), (200, 405))
STAFF_READ = ((302, 405), (302, 405), (200, 405), (200, 405), (200, 405))  # GET only, even to a visitor
STAFF_FORM = (*LOGGED_OUT, (200, 200), (200, 200), (200, 200))
ACTION = ((405, 302), (405, 302))  # POST only; a visitor or patient is sent to log in
STAFF_ACTION = (*ACTION, (405, 302), (405, 302), (405, 302))
STAFF_ACTION_FORM = (*ACTION, (405, 200), (405, 200), (405, 200))
PATIENT_PAGE = ((302, 302), (200, 200), (302, 302), (302, 302), (302, 302))
PATIENT_GET = ((302, 302), (200, 405), (302, 302), (302, 302), (302, 302))

MATRIX: dict[str, Row] = {
    "login": ((200, 200), (200, 200), (302, 302), (302, 302), (302, 302)),
    "logout": ((405, 302),) * 5,
    "password_change": (*LOGGED_OUT, (200, 200), (200, 200), (200, 200)),
    "password_change_done": STAFF_VIEW,
    "healthz": PUBLIC_GET,
    "intake:open": ((302, 405),) * 5,
    "intake:start": ((200, 200), (302, 302), (200, 200), (200, 200), (200, 200)),
    "intake:language": ((405, 302),) * 5,
    "intake:about": PATIENT_PAGE,
    "intake:medicines": PATIENT_PAGE,
    "intake:allergies": PATIENT_PAGE,
    "intake:health": PATIENT_PAGE,
    "intake:driver": PATIENT_PAGE,
    "intake:instructions": PATIENT_PAGE,
    "intake:review": PATIENT_PAGE,
    "intake:medicine_hint": PATIENT_GET,
    "intake:driver_link": ((404, 404),) * 5,  # a driver's own link: this one names no driver
    "notifications:sms_status": ((405, 403),) * 5,  # the SMS provider's signed reports only
    "notifications:driver_ready": STAFF_ACTION,
    "fhir:bundle": ((401, 405), (401, 405), (200, 405), (200, 405), (200, 405)),  # an API: 401, no login page
    # An API: 401 rather than the login page; staff posting an empty Bundle get 400.
    "fhir:bundle_create": ((405, 401), (405, 401), (405, 400), (405, 400), (405, 400)),
    "fhir:questionnaire": ((200, 405),) * 5,  # the intake's questions: no patient data
    "fhir:metadata": ((200, 405),) * 5,
    "notifications:sms_inbound": ((405, 403),) * 5,  # the SMS provider's signed texts only
    "notifications:reply_handled": STAFF_ACTION,  # no such text on the case: back with a message
    "intake:done": ((302, 302), (302, 405), (302, 302), (302, 302), (302, 302)),  # not submitted yet
    "intake:print": PATIENT_GET,
    "intake:ics": PATIENT_GET,
    "intake:link_send": STAFF_ACTION,
    "intake:link_sent": STAFF_READ,
    "intake:link_revoke": STAFF_ACTION,
    "intake:outbox_resend": STAFF_ACTION,
    "checklists:home": ((302, 302),) * 5,
    "checklists:dashboard": STAFF_VIEW,
    "checklists:schedule": STAFF_VIEW,
    "checklists:case_create": STAFF_FORM,
    "checklists:case_times_preview": STAFF_READ,
    "checklists:case_edit": STAFF_FORM,
    "checklists:case_cancel": (*LOGGED_OUT, (405, 302), (405, 302), (405, 302)),
    "checklists:case_detail": STAFF_READ,
    "checklists:case_editor": STAFF_READ,
    "checklists:case_signoff_record": STAFF_ACTION,
    # labs_reviewed is a clinician's item: a coordinator may not withdraw it.
    "checklists:case_signoff_withdraw": (*ACTION, (405, 403), (405, 302), (405, 302)),
    "checklists:case_driver_save": STAFF_ACTION_FORM,
    "checklists:case_driver_confirm": STAFF_ACTION,
    "checklists:case_driver_remove": STAFF_ACTION,
    "checklists:case_lab_add": STAFF_ACTION_FORM,
    "checklists:case_medications_save": STAFF_ACTION_FORM,
    "checklists:case_medication_resolve": STAFF_ACTION,
    "checklists:case_allergies_save": STAFF_ACTION_FORM,
    "checklists:case_intake_save": STAFF_ACTION_FORM,
    "checklists:case_sheet": STAFF_READ,
    "checklists:case_ics": STAFF_READ,
    "checklists:case_history": ((302, 405), (302, 405), (403, 405), (403, 405), (200, 405)),  # admins only
    # Two-factor sign-in. The coordinator has no app (optional for coordinators); the clinician and
    # the admin have one, and this session passed it: verify sends them on, setup replaces the phone.
    "two_factor:manage": STAFF_READ,
    "two_factor:verify": ((302, 302),) * 5,
    "two_factor:setup": STAFF_FORM,
    "two_factor:backup_codes": (*ACTION, (405, 302), (405, 200), (405, 200)),
    "two_factor:disable": STAFF_ACTION,
}


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = ""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from _walk(pattern, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), namespace + (pattern.name or "")


ROUTES = list(_walk(get_resolver()))
APP_ROUTES = [(route, name) for route, name in ROUTES if not route.startswith("admin/")]


@pytest.fixture
def people(config, django_user_model):
    """A fresh client per request and role (a logout or a refused post leaves nothing behind)."""
    case = store_case(config, "M-1", start=next_start())
    patient_case = store_case(config, "M-2", start=next_start(days=6))
    users = {role: StaffFactory(username=f"m-{role}", role=role) for role in ("coordinator", "clinician")}
    users["admin"] = django_user_model.objects.create_superuser("m-admin", "admin@clinic.example", "x" * 20)

    def client_for(role: str) -> SignedInClient:
        client = SignedInClient()  # staff past both factors of sign-in
        if role == "patient":
            verified_client(client, patient_case, config)
        elif role in users:
            client.force_login(users[role])
        return client

    return case, client_for


def fill(route: str, case) -> str:
    return "/" + (
        route.replace("<uuid:case_uuid>", str(case.uuid))
        .replace("<str:item>", "labs_reviewed")
        .replace("<str:section>", "medications")
        .replace("<str:token>", "not-a-real-token")
        .replace("<path:object_id>", str(case.pk))
        .replace("<int:reply_id>", "999999")
    )


def test_every_url_of_the_apps_has_a_row_in_the_matrix():
    assert sorted(name for _, name in APP_ROUTES) == sorted(MATRIX)
    assert all(name for _, name in APP_ROUTES), "an unnamed URL pattern cannot be checked"


@pytest.mark.parametrize(("route", "name"), APP_ROUTES, ids=[name for _, name in APP_ROUTES])
def test_each_role_gets_exactly_the_expected_answer(people, route, name):
    case, client_for = people
    url = fill(route, case)

    seen = tuple(
        (client_for(role).get(url).status_code, client_for(role).post(url, {}).status_code) for role in ROLES
    )

    assert dict(zip(ROLES, seen, strict=True)) == dict(zip(ROLES, MATRIX[name], strict=True))


# The admin's own log-in and log-out pages are open to all; every other admin page is checked.
ADMIN_OPEN = {"admin:login", "admin:logout"}
ADMIN_ROUTES = [
    route
    for route, name in ROUTES
    if route.startswith("admin/") and "(?P" not in route and name not in ADMIN_OPEN
]


def test_the_admin_site_is_closed_to_everyone_but_admins(people):
    """Every admin page (one object of each kind, where the page names one): a visitor, a patient,
    a coordinator and a clinician are sent to the admin's login; an admin gets an answer, never
    an error page."""
    case, client_for = people
    clients = {role: client_for(role) for role in ROLES}  # admin pages change no one's session
    for route in ADMIN_ROUTES:
        url = fill(route, case).replace("<str:version_id>", "1").replace("<path:", "<")
        if "<" in url:
            continue  # a page that needs more than an object id (checked by the admin's own tests)
        for role in ROLES[:4]:
            for method in ("get", "post"):
                response = getattr(clients[role], method)(url)
                assert response.status_code == 302 and "/admin/login/" in response["Location"], (role, url)
        assert clients["admin"].get(url).status_code < 500, url
