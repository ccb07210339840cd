"""The address a request really came from, for the login lockout and the access log.

Behind a reverse proxy every request arrives from the proxy's address; the client's is in
X-Forwarded-For, which anyone can also send. So the header is read only when the request came
from an address in TRUSTED_PROXIES (IPs or networks), walking it from the right past further
trusted proxies: the first untrusted address is the client. Otherwise REMOTE_ADDR is the client.
"""

from __future__ import annotations

import ipaddress
from functools import cache

from django.conf import settings
from django.http import HttpRequest


@cache
def _trusted(networks: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(network, strict=False) for network in networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def is_trusted_proxy(text: str) -> bool:
    address = _address(text)
    trusted = _trusted(tuple(getattr(settings, "TRUSTED_PROXIES", ())))
    return address is not None and any(address in network for network in trusted)


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP address as text (None when the server was given none)."""
    remote = request.META.get("REMOTE_ADDR") or None
    if remote is None or not is_trusted_proxy(remote):
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if _address(hop) is None:
            return remote  # a garbled header: trust nothing in it
        if not is_trusted_proxy(hop):
            return str(_address(hop))
    return remote
