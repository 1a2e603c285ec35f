"""Second factors in tests: a TOTP device per user, its current code, a verified session.

Codes are computed from the device's secret with django-otp's own TOTP function, as an
authenticator app would.
"""

from __future__ import annotations

from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp

from accounts.models import AuthenticatorApp
from accounts.second_factor.policy import VERIFIED_AT_SESSION_KEY


def totp_device(user, *, name: str = "Test phone") -> AuthenticatorApp:
    """The user's confirmed authenticator device (created the first time)."""
    device = AuthenticatorApp.objects.filter(user=user, confirmed=True).order_by("pk").first()
    return device or AuthenticatorApp.objects.create(user=user, name=name, confirmed=True)


def totp_code(device: AuthenticatorApp) -> str:
    """The code the app shows now."""
    device.refresh_from_db()
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return str(value).zfill(device.digits)


def fresh_code(device: AuthenticatorApp) -> str:
    """A code the device accepts now even if this time step's code was already used.

    django-otp refuses a code of a time step it already accepted (replay), so tests that need
    a second code in the same 30 seconds forget the last accepted step first.
    """
    AuthenticatorApp.objects.filter(pk=device.pk).update(last_t=-1)
    return totp_code(device)


def verified_login(client, user) -> AuthenticatorApp:
    """Sign ``client`` in as ``user`` with a session that passed the second factor just now."""
    device = totp_device(user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[VERIFIED_AT_SESSION_KEY] = timezone.now().isoformat()
    session.save()
    return device


# A verified session costs one query on every request: django-otp loads the session's device,
# so that a removed or reset device ends the verification at once. Pinned query counts of
# signed-in requests include it.
SECOND_FACTOR_QUERIES = 1
