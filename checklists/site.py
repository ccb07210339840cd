"""Where PrepDesk is served, for the links it prints and emails.

`SITE_URL` wins when it is set (production, or `make run`, which sets it to its own host and
port); otherwise a page uses the host the browser asked for, and work without a request (the
reminder sweep, commands) the local development address.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

LOCAL_DEFAULT = "http://127.0.0.1:8000"


def site_url(request: HttpRequest | None = None) -> str:
    """The scheme and host links start with, without a trailing slash."""
    configured = (getattr(settings, "SITE_URL", "") or "").rstrip("/")
    if configured:
        return configured
    if request is not None:
        return f"{request.scheme}://{request.get_host()}"
    return LOCAL_DEFAULT


def absolute(path: str, request: HttpRequest | None = None) -> str:
    """A path of this site as a full link."""
    return f"{site_url(request)}{path}"
