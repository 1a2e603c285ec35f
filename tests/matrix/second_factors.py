"""Access-matrix rows for second factors (see tests/matrix/__init__.py).

Every matrix client has a verified session (tests/second_factor.py), so the code step sends
them on to the dashboard; each user's security pages show their own devices only.
"""

from __future__ import annotations

from django_otp_webauthn.models import WebAuthnCredential

from tests.matrix.roles import ADMIN_ONLY, HOME, LOGIN, SIGNED_IN, _row
from tests.second_factor import totp_device

ROWS: dict[str, tuple[dict, tuple[str, ...]]] = {
    "accounts:second_factor": (_row(HOME, anonymous=LOGIN), ()),
    "accounts:security": (SIGNED_IN, ()),
    "accounts:reauthenticate": (SIGNED_IN, ()),
    "accounts:totp_enrol": (SIGNED_IN, ()),
    # The caseworker's own device: anybody else gets the 404 of a device that is not there.
    "accounts:totp_remove": (_row(404, anonymous=LOGIN, caseworker=200), ("device_id",)),
    "accounts:passkey_remove": (_row(404, anonymous=LOGIN, caseworker=200), ("passkey_id",)),
    "accounts:recovery_codes_regenerate": (_row(405, anonymous=LOGIN), ()),
    # django-otp-webauthn's JSON ceremonies: POST only, and never for an anonymous visitor
    # (passkeys are a second factor, not a way to sign in without a password).
    "otp_webauthn:credential-registration-begin": (_row(405, anonymous=403), ()),
    "otp_webauthn:credential-registration-complete": (_row(405, anonymous=403), ()),
    "otp_webauthn:credential-authentication-begin": (_row(405, anonymous=403), ()),
    "otp_webauthn:credential-authentication-complete": (_row(405, anonymous=403), ()),
    # The library's translated strings for its script: no data, as on any static file.
    "otp_webauthn:js-i18n-catalog": (_row(200), ()),
    "accounts:user_second_factors_reset": (ADMIN_ONLY, ("user_id",)),
}

SCOPED_WRITES: list[str] = []


def world(*, case, users) -> dict:
    passkey = WebAuthnCredential.objects.create(
        user=users["caseworker"],
        name="Test key",
        credential_id=b"matrix-test-credential",
        public_key=b"not-a-real-key",
        sign_count=0,
    )
    return {"device_id": totp_device(users["caseworker"]).pk, "passkey_id": passkey.pk}
