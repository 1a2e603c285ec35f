"""The client's address, as the configured trusted reverse proxies report it.

One function for everything that needs the client's address: the sign-in lockout
(``AXES_CLIENT_IP_CALLABLE``) and the audit trail (``config.middleware.RequestIdMiddleware``).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip_address(request: HttpRequest) -> str | None:
    """The client address behind ``HARBOUR_TRUSTED_PROXY_COUNT`` reverse proxies.

    Behind proxies, REMOTE_ADDR is the nearest proxy for every client. Each trusted proxy
    appends the address it was reached from to X-Forwarded-For, so the client is the entry that
    many places from the right; anything left of it was written by the client and is ignored.
    A header shorter than the number of proxies, or an entry that is not an address, falls back
    to REMOTE_ADDR.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.HARBOUR_TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return _address(remote)
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < proxies:
        return _address(remote)
    return _address(forwarded[-proxies]) or _address(remote)


def _address(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None
