"""A signed-in user who owes a second factor sees nothing but the way to give it.

After the password, a user with an authenticator app is sent to enter a code, and a user who must
have one (accounts.policy) but has none is sent to set it up, from every page of the staff
workspace and the admin; htmx requests are told to load that page instead. Runs after django-otp's
OTPMiddleware (which knows whether this session is verified) and before the access log, so a
refused request logs no view of patient data.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect
from django_otp import user_has_device

from accounts.policy import two_factor_required

# Pages a half-signed-in user may still open: signing in and out, the health check, the two pages
# that complete the sign-in, and the patient's own intake pages (they do not use the staff login).
OPEN_VIEWS = frozenset(
    {"login", "logout", "admin:logout", "healthz", "two_factor:verify", "two_factor:setup"}
)


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or user.is_verified() or _open(request, view_kwargs):
            return None
        if user_has_device(user):
            target = "two_factor:verify"
        elif two_factor_required(user):
            target = "two_factor:setup"
        else:
            return None
        url = f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}"
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(url)
        return redirect(url)


def _open(request: HttpRequest, view_kwargs: dict) -> bool:
    match = request.resolver_match
    name = match.view_name if match else ""
    patient_page = match is not None and match.namespace == "intake" and "case_uuid" not in view_kwargs
    return name in OPEN_VIEWS or patient_page
