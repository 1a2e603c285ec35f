"""Fair sign-in lockout, built on django-axes.

Axes counts failures per (account, client address) pair: five wrong passwords from one client
pause that account *from that client* only, so a stranger cannot keep a caseworker out from
the office by guessing at her address from elsewhere. On top of that, each client address has
a budget of failures across all accounts (``HARBOUR_SIGN_IN_CLIENT_FAILURE_LIMIT`` within
``AXES_COOLOFF_TIME``), so guessing spread over many accounts from one client is stopped too.

The client address is ``config.client_address.client_ip_address`` (trusted proxies), the
same one the audit trail records.

Both refusals show the same lockout page (or API error), whether or not the account exists.
Failures of the second-factor step arrive through the same ``user_login_failed`` signal and
count the same way.
"""

from __future__ import annotations

from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

LOCKOUT_STATUS = 429
# Marks the failures of the second step in the credentials passed to user_login_failed.
SECOND_FACTOR_MARK = "second_factor"


def second_factor_credentials(user) -> dict:
    """What the code step reports to axes: the same account key as the password step."""
    return {settings.AXES_USERNAME_FORM_FIELD: user.get_username(), SECOND_FACTOR_MARK: True}


def lockout_page(request: HttpRequest) -> HttpResponse:
    """The one lockout page: it reads the same for every account, existing or not."""
    return render(request, "accounts/lockout.html", status=LOCKOUT_STATUS)


def client_failure_count(*, ip_address: str | None, request: HttpRequest | None = None) -> int:
    """Failures from one client address within the cool-off window, across every username."""
    if not ip_address:
        return 0
    attempts = AccessAttempt.objects.filter(ip_address=ip_address)
    if settings.AXES_COOLOFF_TIME is not None:
        attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


def client_over_budget(*, request: HttpRequest) -> bool:
    ip_address = getattr(request, "axes_ip_address", None)
    limit = settings.HARBOUR_SIGN_IN_CLIENT_FAILURE_LIMIT
    return client_failure_count(ip_address=ip_address, request=request) >= limit


class HarbourAxesHandler(AxesDatabaseHandler):
    """Axes' database handler plus a per-client failure budget across accounts."""

    def is_locked(self, request: HttpRequest, credentials: dict | None = None) -> bool:
        if super().is_locked(request, credentials):
            return True
        return bool(settings.AXES_LOCK_OUT_AT_FAILURE) and client_over_budget(request=request)

    def user_logged_in(self, sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
        # A correct password for an account with a second factor is half a sign-in: it must not
        # wipe the failures of the code step, or an attacker who knows the password could
        # guess codes forever by signing in again every four tries. The code step resets them.
        if getattr(request, "harbour_second_factor_pending", False):
            return
        super().user_logged_in(sender, request, user, **kwargs)

    def user_login_failed(
        self, sender: Any, credentials: dict, request: HttpRequest | None = None, **kwargs: Any
    ) -> None:
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if request is None or getattr(request, "axes_locked_out", False):
            return
        if settings.AXES_LOCK_OUT_AT_FAILURE and client_over_budget(request=request):
            # The failure that spends the client's budget already answers with the lockout
            # page, as the fifth failure for one account does.
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send(
                "axes",
                request=request,
                username=get_client_username(request, credentials),
                ip_address=request.axes_ip_address,
            )
