"""Passkeys and security keys (WebAuthn) as a second factor, on django-otp-webauthn.

Only as a second factor: signing in without a password is off
(``OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN``). The library's ceremonies are kept; what Harbour
adds is the relying party taken from the request's validated host (unless configured), the
audit rows, and wrong or refused assertions counting in the sign-in lockout like wrong codes.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp_webauthn import exceptions as webauthn_exceptions
from django_otp_webauthn import views as webauthn_views
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.models import WebAuthnCredential

from accounts import lockout
from cases.audit import audit_record
from cases.models import AuditAction
from config.api.auth import LOCKED_OUT_MESSAGE

from . import policy
from .services import KIND_PASSKEY, has_factor, reauthenticated

# The session flag (no code in it) that makes the security page, which the browser reloads
# after a registration, make and show the recovery codes of a first factor once.
RECOVERY_CODES_DUE_SESSION_KEY = "harbour_2fa_recovery_codes_due"
REAUTH_FIRST_MESSAGE = gettext_lazy(
    "Confirm with a code or passkey first: reload the page and follow the link shown."
)
REAUTHENTICATED_MESSAGE = gettext_lazy("Confirmed. Submit your change again.")


class ReauthenticationRequired(webauthn_exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_detail = REAUTH_FIRST_MESSAGE
    default_code = "reauthentication_required"


def _refuse_without_fresh_factor(request: HttpRequest) -> None:
    """Adding a passkey to an account that has a factor is a sensitive action, as adding an
    app is: a stolen session must not add its own. The first factor can be added freely."""
    if has_factor(request.user) and not policy.verified_recently(request):
        raise ReauthenticationRequired()


class PasskeyRegistrationBeginView(webauthn_views.BeginCredentialRegistrationView):
    def post(self, *args, **kwargs):
        _refuse_without_fresh_factor(self.request)
        return super().post(*args, **kwargs)


def relying_party_id(request: HttpRequest) -> str:
    """``HARBOUR_WEBAUTHN_RP_ID``, or the host this request came to (already checked
    against ALLOWED_HOSTS by ``get_host``), without its port."""
    configured = settings.HARBOUR_WEBAUTHN_RP_ID
    if configured:
        return configured
    return urlsplit(f"//{request.get_host()}").hostname or ""


class HarbourWebAuthnHelper(WebAuthnHelper):
    def get_allowed_origins(self) -> list[str]:
        configured = settings.HARBOUR_WEBAUTHN_ORIGINS
        if configured:
            return list(configured)
        scheme = "https" if self.request.is_secure() else "http"
        return [f"{scheme}://{self.request.get_host()}"]


class PasskeyRegistrationCompleteView(webauthn_views.CompleteCredentialRegistrationView):
    """The library's registration, audited; a first factor also verifies the session."""

    def post(self, *args, **kwargs):
        _refuse_without_fresh_factor(self.request)
        was_verified = policy.is_verified(self.request.user)
        first = not has_factor(self.request.user)
        response = super().post(*args, **kwargs)
        device = WebAuthnCredential.objects.get(
            pk=json.loads(response.content)["id"], user=self.request.user
        )
        audit_record(
            actor=self.request.user,
            action=AuditAction.SECOND_FACTOR_ENROLLED,
            obj=device,
            detail={"kind": KIND_PASSKEY},
        )
        if not was_verified:
            policy.mark_verified_now(self.request)
        if first:
            self.request.session[RECOVERY_CODES_DUE_SESSION_KEY] = True
        return response


class PasskeyAuthenticationCompleteView(webauthn_views.CompleteCredentialAuthenticationView):
    """The second step with a passkey, and the confirmation before a sensitive action (the
    re-authentication page runs the same ceremony in a session that is already verified).
    A refused assertion is a sign-in failure either way."""

    def handle_exception(self, exc):
        request = self.request
        user = request.user
        if isinstance(exc, webauthn_exceptions.OTPWebAuthnApiError) and user.is_authenticated:
            audit_record(actor=user, action=AuditAction.SECOND_FACTOR_FAILED)
            AxesProxyHandler.update_request(request)
            user_login_failed.send(
                sender=__name__,
                credentials=lockout.second_factor_credentials(user),
                request=request,
            )
            if getattr(request, "axes_locked_out", False):
                request.axes_locked_out = False
                logout(request)
                return JsonResponse(
                    {"detail": _(LOCKED_OUT_MESSAGE), "code": "locked_out"},
                    status=lockout.LOCKOUT_STATUS,
                )
        return super().handle_exception(exc)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not request.user.is_authenticated:
            # Passkeys are a second factor only: the password comes first.
            raise webauthn_exceptions.PasswordlessLoginDisabled()
        AxesProxyHandler.update_request(request)
        if AxesProxyHandler.is_locked(request, lockout.second_factor_credentials(request.user)):
            logout(request)
            raise webauthn_exceptions.UserDisabled()

    def complete_auth(self, device) -> None:
        request = self.request
        if device.user_id != request.user.pk:
            raise webauthn_exceptions.CredentialUserMismatch()
        confirming = policy.is_verified(request.user)
        request.session.cycle_key()
        super().complete_auth(device)
        policy.mark_verified_now(request)
        AxesProxyHandler.get_implementation().reset_user_attempts(
            request, lockout.second_factor_credentials(request.user)
        )
        audit_record(
            actor=request.user,
            action=AuditAction.SECOND_FACTOR_VERIFIED,
            obj=device,
            detail={"kind": KIND_PASSKEY},
        )
        if confirming:
            reauthenticated(user=request.user, device=device)
            messages.info(request, REAUTHENTICATED_MESSAGE)
