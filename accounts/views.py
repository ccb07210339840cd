"""Two-factor sign-in pages: verify a code after the password, set up an app, manage the
backup codes. The middleware sends a signed-in but unverified user here (accounts.middleware)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice

from accounts import devices
from accounts.forms import CodeForm
from accounts.policy import required_because, two_factor_required


def next_url(request: HttpRequest) -> str:
    """Where to go once verified: the page asked for, if it is on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def with_next(name: str, request: HttpRequest) -> str:
    return f"{reverse(name)}?{urlencode({'next': next_url(request)})}"


def _signed_in_with(request: HttpRequest, device) -> None:
    """The second factor is in: a new session key (as at any change of privilege), then remember
    the device for this session."""
    request.session.cycle_key()
    otp_login(request, device)


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.is_verified():
        return redirect(next_url(request))
    if not user_has_device(user):
        return redirect(
            with_next("two_factor:setup", request) if two_factor_required(user) else next_url(request)
        )
    form = CodeForm(
        request.POST or None,
        user=user,
        help_text="The 6 digits your authenticator app shows for PrepDesk, or one of your backup codes.",
    )
    if request.method == "POST" and form.is_valid():
        _signed_in_with(request, form.device)
        if isinstance(form.device, StaticDevice):
            left = devices.backup_codes_left(user)
            messages.warning(
                request,
                f"You signed in with a backup code; {left} left. "
                + ("Make new ones under Two-factor sign-in." if left <= 3 else "Each code works once."),
            )
        return redirect(next_url(request))
    return render(request, "two_factor/verify.html", {"form": form, "next": next_url(request)})


@login_required
def setup(request: HttpRequest) -> HttpResponse:
    """Scan the QR code (or type the key), answer with the app's code, get the backup codes. With
    an app already set up, only a verified session may replace it (a new phone)."""
    user = request.user
    if user_has_device(user) and not user.is_verified():
        return redirect(with_next("two_factor:verify", request))
    device = devices.app_pending(user)
    form = CodeForm(
        request.POST or None, user=user, device=device, help_text="The 6 digits the app shows now."
    )
    if request.method == "POST" and form.is_valid():
        codes = devices.app_confirm(user, device)
        _signed_in_with(request, device)
        return _codes_page(request, codes, first=True)
    context = {
        "form": form,
        "next": next_url(request),
        "qr_svg": devices.app_qr_svg(device),
        "secret": devices.app_secret(device),
        "required": required_because(user),
        "replacing": devices.app_device(user) is not None,
    }
    return render(request, "two_factor/setup.html", context)


@require_GET
@login_required
def manage(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "app": devices.app_device(user),
        "codes_left": devices.backup_codes_left(user),
        "required": required_because(user),
    }
    return render(request, "two_factor/manage.html", context)


@require_POST
@login_required
def backup_codes(request: HttpRequest) -> HttpResponse:
    if devices.app_device(request.user) is None:
        messages.error(request, "Set up an authenticator app first; backup codes come with it.")
        return redirect("two_factor:manage")
    return _codes_page(request, devices.backup_codes_issue(request.user), first=False)


@require_POST
@login_required
def disable(request: HttpRequest) -> HttpResponse:
    reason = required_because(request.user)
    if reason:
        messages.error(request, f"Two-factor sign-in cannot be turned off for you. {reason}")
    else:
        devices.two_factor_off(request.user)
        messages.success(request, "Two-factor sign-in is off. You sign in with your password alone.")
    return redirect("two_factor:manage")


def _codes_page(request: HttpRequest, codes: list[str], *, first: bool) -> HttpResponse:
    """The codes are shown once, on the answer to the POST: they are stored only as used-up-on-use
    tokens and never put in the session or a URL."""
    context = {"codes": [devices.code_grouped(c) for c in codes], "first": first, "next": next_url(request)}
    return render(request, "two_factor/backup_codes.html", context)
