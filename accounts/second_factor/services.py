"""Writes for second factors. Each is one audited transaction; no audit row holds a code,
a secret or a digest, only device ids and kinds."""

from __future__ import annotations

import base64
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_otp_webauthn.models import WebAuthnCredential
from knox.models import AuthToken

from accounts.models import (
    AuthenticatorApp,
    RecoveryCode,
    RecoveryCodeDevice,
    User,
    recovery_code_digest,
)
from accounts.services import SUPERUSER_PROTECTED_MESSAGE
from cases.audit import audit_record
from cases.models import AuditAction

from . import policy

LAST_FACTOR_MESSAGE = _(
    "This is your last second factor, and your account must have one. Add another before "
    "removing this one."
)
CODE_WRONG_MESSAGE = _("This code is not correct or has expired. Try the current code.")
DEVICE_NAME_DEFAULT = _("Authenticator app")
# 10 characters from a 32-letter alphabet without look-alikes: 50 bits per code.
RECOVERY_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
RECOVERY_CODE_LENGTH = 10

TOTP_DIGITS = 6

KIND_TOTP = "totp"
KIND_RECOVERY = "recovery"
KIND_PASSKEY = "passkey"


def _kind(device) -> str:
    if isinstance(device, WebAuthnCredential):
        return KIND_PASSKEY
    return KIND_RECOVERY if isinstance(device, RecoveryCodeDevice) else KIND_TOTP


def primary_devices(*, user: User):
    """The user's confirmed authenticator apps (passkeys are ``passkeys``)."""
    return AuthenticatorApp.objects.filter(user=user, confirmed=True).order_by("created_at", "pk")


def recovery_codes_left(*, user: User) -> int:
    return RecoveryCode.objects.filter(device__user=user).count()


def totp_secret_base32(device: AuthenticatorApp) -> str:
    """The device's key as authenticator apps take it when typed in by hand."""
    return base64.b32encode(device.bin_key).decode("ascii").rstrip("=")


def passkeys(*, user: User):
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("created_at", "pk")


def has_factor(user: User) -> bool:
    """Whether ``user`` has an authenticator app or a passkey (recovery codes are no factor)."""
    return primary_devices(user=user).exists() or passkeys(user=user).exists()


def _other_factors_exist(*, user: User, keep_out) -> bool:
    totp = primary_devices(user=user)
    keys = passkeys(user=user)
    if isinstance(keep_out, AuthenticatorApp):
        totp = totp.exclude(pk=keep_out.pk)
    else:
        keys = keys.exclude(pk=keep_out.pk)
    return totp.exists() or keys.exists()


@transaction.atomic
def totp_device_start(*, user: User) -> AuthenticatorApp:
    """A new, unconfirmed authenticator device; earlier unconfirmed ones of the user go."""
    AuthenticatorApp.objects.filter(user=user, confirmed=False).delete()
    return AuthenticatorApp.objects.create(
        user=user, name=str(DEVICE_NAME_DEFAULT), confirmed=False
    )


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_CODE_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


@transaction.atomic
def recovery_codes_generate(*, user: User) -> list[str]:
    """Fresh recovery codes for ``user``; the earlier ones stop working. Returned once."""
    RecoveryCodeDevice.objects.filter(user=user).delete()
    device = RecoveryCodeDevice.objects.create(user=user, name=str(_("Recovery codes")))
    codes = [_new_recovery_code() for _ in range(settings.HARBOUR_2FA_RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(device=device, digest=recovery_code_digest(code)) for code in codes
    )
    audit_record(
        actor=user,
        action=AuditAction.RECOVERY_CODES_GENERATED,
        obj=device,
        detail={"count": len(codes)},
    )
    return codes


@transaction.atomic
def totp_device_confirm(
    *, user: User, device_id: int, token: str, name: str = ""
) -> tuple[AuthenticatorApp, list]:
    """Confirm an enrolment with a code from the app.

    Returns the device and, when it is the user's first factor, their new recovery codes
    (otherwise an empty list). Raises ValidationError for a wrong code or a device that is
    not this user's pending one.
    """
    device = (
        AuthenticatorApp.objects.select_for_update()
        .filter(pk=device_id, user=user, confirmed=False)
        .first()
    )
    if device is None or not device.verify_token(token):
        if device is not None:
            audit_record(
                actor=user,
                action=AuditAction.SECOND_FACTOR_FAILED,
                obj=device,
                detail={"kind": KIND_TOTP, "step": "enrolment"},
            )
        raise ValidationError({"otp_token": [CODE_WRONG_MESSAGE]})
    first = not primary_devices(user=user).exists() and not passkeys(user=user).exists()
    device.confirmed = True
    device.name = name.strip()[:64] or str(DEVICE_NAME_DEFAULT)
    device.save(update_fields=["confirmed", "name"])
    audit_record(
        actor=user,
        action=AuditAction.SECOND_FACTOR_ENROLLED,
        obj=device,
        detail={"kind": KIND_TOTP},
    )
    codes = recovery_codes_generate(user=user) if first else []
    return device, codes


def second_factor_match(*, user: User, token: str):
    """The device of ``user`` that accepts ``token`` (an app code or a recovery code), audited.

    Not atomic on purpose: a wrong code's throttling counter and its audit row must stay even
    though the caller then refuses the sign-in step.
    """
    token = (token or "").strip()
    devices: list = []
    if len(token) == TOTP_DIGITS and token.isdigit():
        devices = list(primary_devices(user=user))
    elif token:
        devices = list(RecoveryCodeDevice.objects.filter(user=user, confirmed=True))
    for device in devices:
        if device.verify_token(token):
            audit_record(
                actor=user,
                action=AuditAction.SECOND_FACTOR_VERIFIED,
                obj=device,
                detail={"kind": _kind(device)},
            )
            return device
    audit_record(actor=user, action=AuditAction.SECOND_FACTOR_FAILED)
    return None


def _device_remove(*, user: User, device, kind: str) -> None:
    remaining = _other_factors_exist(user=user, keep_out=device)
    if not remaining and policy.is_required(user):
        raise ValidationError(LAST_FACTOR_MESSAGE, code="last_factor")
    audit_record(
        actor=user, action=AuditAction.SECOND_FACTOR_REMOVED, obj=device, detail={"kind": kind}
    )
    device.delete()
    if not remaining:
        RecoveryCodeDevice.objects.filter(user=user).delete()


@transaction.atomic
def totp_device_remove(*, user: User, device_id: int) -> None:
    """Remove one of the user's own authenticator apps.

    Refused for the last factor (app or passkey) of a user who must have one. With the last
    factor the recovery codes go too: they are a way back to a factor, not a factor of their own.
    """
    User.objects.select_for_update().get(pk=user.pk)
    device = primary_devices(user=user).get(pk=device_id)
    _device_remove(user=user, device=device, kind=KIND_TOTP)


@transaction.atomic
def passkey_remove(*, user: User, device_id: int) -> None:
    """Remove one of the user's own passkeys (same rule as for apps)."""
    User.objects.select_for_update().get(pk=user.pk)
    device = passkeys(user=user).get(pk=device_id)
    _device_remove(user=user, device=device, kind=KIND_PASSKEY)


@transaction.atomic
def second_factors_reset(*, actor: User, user: User) -> int:
    """A central administrator removes every factor of ``user`` (a lost phone).

    The user's sessions lose their verification (the device is gone) and their API tokens are
    revoked, so they must sign in again and enrol before anything else.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_superuser and not actor.is_superuser:
        raise ValidationError(SUPERUSER_PROTECTED_MESSAGE, code="superuser_protected")
    totp_count, _rows = AuthenticatorApp.objects.filter(user=user).delete()
    key_count, _rows = WebAuthnCredential.objects.filter(user=user).delete()
    RecoveryCodeDevice.objects.filter(user=user).delete()
    tokens, _rows = AuthToken.objects.filter(user=user).delete()
    audit_record(
        actor=actor,
        action=AuditAction.SECOND_FACTORS_RESET,
        obj=user,
        detail={"devices": totp_count + key_count, "tokens_revoked": tokens},
    )
    return totp_count + key_count


def reauthenticated(*, user: User, device) -> None:
    audit_record(
        actor=user, action=AuditAction.REAUTHENTICATED, obj=device, detail={"kind": _kind(device)}
    )
