"""Access-matrix rows for password change and reset, sign-in history and the API token page
(see tests/matrix/__init__.py)."""

from __future__ import annotations

from accounts import services
from tests.matrix.roles import ADMIN_ONLY, LOGIN, SIGNED_IN, _row

ROWS: dict[str, tuple[dict, tuple[str, ...]]] = {
    "accounts:user_password_reset": (ADMIN_ONLY, ("user_id",)),
    "accounts:password_change": (SIGNED_IN, ()),
    # Public: someone who cannot sign in must reach them. A link that does not check out
    # answers 200 with the same "does not work" page for everyone.
    "accounts:password_forgot": (_row(200), ()),
    "accounts:password_reset_confirm": (_row(200), ("uidb64", "token")),
    "accounts:sign_ins": (SIGNED_IN, ()),
    "accounts:sign_ins_all": (ADMIN_ONLY, ()),
    "accounts:api_tokens": (SIGNED_IN, ()),
    # The token is the caseworker's: anyone else's request is the 404 of a missing token.
    "accounts:api_token_revoke": (_row(404, anonymous=LOGIN, caseworker=200), ("token_id",)),
}

SCOPED_WRITES: list[str] = []


def world(*, case, users) -> dict:
    token, _secret = services.api_token_create(user=users["caseworker"], name="matrix script")
    return {
        "token_id": token.harbour_detail.pk,
        "uidb64": "MQ",
        "token": "not-a-reset-token",
    }
