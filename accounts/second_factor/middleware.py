"""Sends a signed-in user whose sign-in is not complete to the code step or to enrolment.

One place for every page and every session-authenticated API call: a user with a device
must pass it first; a user who must have one and has none (grace period over) must enrol
first. API clients get a 403 in the API's error shape instead of a redirect. Token clients
never reach this state: a token is only issued after the second factor.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .policy import SessionState, session_state

API_PREFIX = "/api/"
VERIFY_REQUIRED_MESSAGE = gettext_noop(
    "Confirm your sign-in with your second factor in the browser first."
)
ENROL_REQUIRED_MESSAGE = gettext_noop("Set up a second factor in the browser first.")

# Pages each unfinished state may still open.
ALLOWED = {
    SessionState.VERIFY: {
        "accounts:second_factor",
        "accounts:logout",
        "accounts:login",
        "accounts:language",
        "otp_webauthn:credential-authentication-begin",
        "otp_webauthn:credential-authentication-complete",
        "otp_webauthn:js-i18n-catalog",
    },
    SessionState.ENROL: {
        "accounts:totp_enrol",
        "accounts:security",
        "accounts:logout",
        "accounts:login",
        "accounts:language",
        "otp_webauthn:credential-registration-begin",
        "otp_webauthn:credential-registration-complete",
        "otp_webauthn:js-i18n-catalog",
    },
}
TARGET = {SessionState.VERIFY: "accounts:second_factor", SessionState.ENROL: "accounts:totp_enrol"}
API_MESSAGE = {
    SessionState.VERIFY: VERIFY_REQUIRED_MESSAGE,
    SessionState.ENROL: ENROL_REQUIRED_MESSAGE,
}


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refusal = self._refusal(request)
        return refusal if refusal is not None else self.get_response(request)

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        path = request.path_info
        if path.startswith(settings.STATIC_URL):
            return None
        state = session_state(request)
        if state not in ALLOWED:
            return None
        try:
            view_name = resolve(path).view_name
        except Resolver404:
            return None
        if view_name in ALLOWED[state] or view_name == "healthz":
            return None
        if path.startswith(API_PREFIX):
            return JsonResponse(
                {"message": _(API_MESSAGE[state]), "code": "second_factor_required", "errors": {}},
                status=403,
            )
        target = reverse(TARGET[state])
        if request.method == "GET":
            target = f"{target}?{urlencode({'next': request.get_full_path()})}"
        return redirect(target)
