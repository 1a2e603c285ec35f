"""The second step of sign-in, re-authentication, and the user's own security page."""

from __future__ import annotations

from urllib.parse import urlencode

from axes.handlers.proxy import AxesProxyHandler
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from accounts import lockout
from accounts.models import AuthenticatorApp

from . import policy, services
from .forms import CodeForm, EnrolForm
from .passkeys import REAUTHENTICATED_MESSAGE, RECOVERY_CODES_DUE_SESSION_KEY
from .qr import qr_svg

PENDING_DEVICE_SESSION_KEY = "harbour_2fa_pending_device"
DEVICE_ADDED_MESSAGE = _("The authenticator app was added.")
DEVICE_REMOVED_MESSAGE = _("The authenticator app was removed.")
PASSKEY_REMOVED_MESSAGE = _("The passkey was removed.")
NO_FACTOR_MESSAGE = _("Set up an authenticator app first.")


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("dashboard")


def _check_code(request: HttpRequest, form: CodeForm):
    """The device that accepts the posted code, or the response to give instead.

    Wrong codes are sign-in failures for the lockout (per account and client, and the client's
    budget), exactly as wrong passwords are; a locked-out session ends here.
    """
    user = request.user
    AxesProxyHandler.update_request(request)
    credentials = lockout.second_factor_credentials(user)
    if AxesProxyHandler.is_locked(request, credentials):
        logout(request)
        return None, lockout.lockout_page(request)
    device = services.second_factor_match(user=user, token=form.cleaned_data["otp_token"])
    if device is None:
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        if getattr(request, "axes_locked_out", False):
            request.axes_locked_out = False
            logout(request)
            return None, lockout.lockout_page(request)
        form.add_error("otp_token", services.CODE_WRONG_MESSAGE)
        return None, None
    AxesProxyHandler.get_implementation().reset_user_attempts(request, credentials)
    return device, None


@never_cache
@require_http_methods(["GET", "POST"])
def second_factor_verify(request: HttpRequest) -> HttpResponse:
    """Step two of sign-in: the session is not verified until a code is accepted here."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    next_url = _next_url(request)
    if policy.session_state(request) is not policy.SessionState.VERIFY:
        return redirect(next_url)
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        device, refusal = _check_code(request, form)
        if refusal is not None:
            return refusal
        if device is not None:
            # A new session key for the verified session, as for the password step.
            request.session.cycle_key()
            otp_login(request, device)
            policy.mark_verified_now(request)
            return redirect(next_url)
    return render(
        request,
        "accounts/second_factor.html",
        {
            "form": form,
            "next": _next_url(request),
            "has_passkey": services.passkeys(user=request.user).exists(),
        },
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def reauthenticate(request: HttpRequest) -> HttpResponse:
    """A second factor again before a sensitive action (``requires_recent_second_factor``):
    a code here, or a passkey through the sign-in's WebAuthn ceremony, which comes back to
    ``next`` itself (``PasskeyAuthenticationCompleteView``)."""
    if not policy.is_verified(request.user):
        raise Http404
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        device, refusal = _check_code(request, form)
        if refusal is not None:
            return refusal
        if device is not None:
            services.reauthenticated(user=request.user, device=device)
            otp_login(request, device)
            policy.mark_verified_now(request)
            messages.info(request, REAUTHENTICATED_MESSAGE)
            return redirect(_next_url(request))
    return render(
        request,
        "accounts/reauthenticate.html",
        {
            "form": form,
            "next": _next_url(request),
            "has_passkey": services.passkeys(user=request.user).exists(),
        },
    )


@login_required
@never_cache
@require_http_methods(["GET"])
def security(request: HttpRequest) -> HttpResponse:
    user = request.user
    devices = list(services.primary_devices(user=user))
    keys = list(services.passkeys(user=user))
    if request.session.pop(RECOVERY_CODES_DUE_SESSION_KEY, False) and (devices or keys):
        # A passkey was just registered as the first factor (the browser reloads this page).
        return _recovery_codes_page(request, services.recovery_codes_generate(user=user))
    return render(
        request,
        "accounts/security.html",
        {
            "devices": devices,
            "passkeys": keys,
            "recovery_codes_left": services.recovery_codes_left(user=user),
            "required": policy.is_required(user),
            "grace_ends_at": policy.grace_ends_at(user),
            "passkey_needs_code": bool(devices or keys) and not policy.verified_recently(request),
            "reauthenticate_url": (
                f"{reverse('accounts:reauthenticate')}?"
                f"{urlencode({'next': reverse('accounts:security')})}"
            ),
        },
    )


def _recovery_codes_page(request: HttpRequest, codes: list[str]) -> HttpResponse:
    return render(request, "accounts/recovery_codes.html", {"codes": codes})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def totp_enrol(request: HttpRequest) -> HttpResponse:
    """Add an authenticator app: scan the code (drawn on the server), confirm with a code."""
    user = request.user
    if _needs_fresh_code(request):
        # Adding a factor to an account that has one is a way to keep a stolen session's
        # access: the owner confirms a code first (the first factor can be added freely).
        return _reauthenticate_first(reverse("accounts:totp_enrol"))
    form = EnrolForm(request.POST if request.method == "POST" else None)
    device_id = request.session.get(PENDING_DEVICE_SESSION_KEY)
    device = AuthenticatorApp.objects.filter(pk=device_id, user=user, confirmed=False).first()
    if request.method == "POST" and form.is_valid() and device is not None:
        try:
            device, codes = services.totp_device_confirm(
                user=user,
                device_id=device.pk,
                token=form.cleaned_data["otp_token"],
                name=form.cleaned_data["name"],
            )
        except ValidationError as exc:
            for field, errors in exc.error_dict.items():
                form.add_error(field, errors)
        else:
            request.session.pop(PENDING_DEVICE_SESSION_KEY, None)
            if not policy.is_verified(user):
                otp_login(request, device)
                policy.mark_verified_now(request)
            if codes:
                return _recovery_codes_page(request, codes)
            messages.success(request, DEVICE_ADDED_MESSAGE)
            return redirect("accounts:security")
    if device is None or request.method == "GET":
        device = services.totp_device_start(user=user)
        request.session[PENDING_DEVICE_SESSION_KEY] = device.pk
    return render(
        request,
        "accounts/totp_enrol.html",
        {
            "form": form,
            "qr_svg": qr_svg(device.config_url),
            "secret": services.totp_secret_base32(device),
            "grace_ends_at": policy.grace_ends_at(user),
        },
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def totp_remove(request: HttpRequest, device_id: int) -> HttpResponse:
    device = services.primary_devices(user=request.user).filter(pk=device_id).first()
    return _device_remove(
        request,
        device,
        remove=services.totp_device_remove,
        done_message=DEVICE_REMOVED_MESSAGE,
        action_name="accounts:totp_remove",
        action_kwargs={"device_id": device_id},
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def passkey_remove(request: HttpRequest, passkey_id: int) -> HttpResponse:
    device = services.passkeys(user=request.user).filter(pk=passkey_id).first()
    return _device_remove(
        request,
        device,
        remove=services.passkey_remove,
        done_message=PASSKEY_REMOVED_MESSAGE,
        action_name="accounts:passkey_remove",
        action_kwargs={"passkey_id": passkey_id},
    )


def _device_remove(
    request: HttpRequest, device, *, remove, done_message, action_name: str, action_kwargs: dict
) -> HttpResponse:
    """The confirmation page of removing one of the user's own factors, and the removal."""
    if device is None:
        raise Http404
    error = None
    if request.method == "POST":
        try:
            remove(user=request.user, device_id=device.pk)
        except ValidationError as exc:
            error = exc.messages[0]
        else:
            messages.success(request, done_message)
            return redirect("accounts:security")
    return render(
        request,
        "accounts/totp_remove.html",
        {"device": device, "error": error, "action": reverse(action_name, kwargs=action_kwargs)},
        status=400 if error else 200,
    )


@login_required
@never_cache
@require_POST
def recovery_codes_regenerate(request: HttpRequest) -> HttpResponse:
    """New recovery codes, shown once; the old ones stop working."""
    user = request.user
    if not _has_factor(user):
        messages.error(request, NO_FACTOR_MESSAGE)
        return redirect("accounts:security")
    if not policy.verified_recently(request):
        return _reauthenticate_first(reverse("accounts:security"))
    return _recovery_codes_page(request, services.recovery_codes_generate(user=user))


def _has_factor(user) -> bool:
    return services.has_factor(user)


def _needs_fresh_code(request: HttpRequest) -> bool:
    return _has_factor(request.user) and not policy.verified_recently(request)


def _reauthenticate_first(back: str) -> HttpResponse:
    return redirect(f"{reverse('accounts:reauthenticate')}?{urlencode({'next': back})}")
