"""Access-matrix rows for second factors (see tests/matrix/__init__.py).

Every matrix client has a verified session (tests/second_factor.py), so the code step sends
them on to the dashboard; each user's security pages show their own devices only.
"""

from __future__ import annotations

from tests.matrix.roles import ADMIN_ONLY, HOME, LOGIN, SIGNED_IN, _row
from tests.second_factor import totp_device

ROWS: dict[str, tuple[dict, tuple[str, ...]]] = {
    "accounts:second_factor": (_row(HOME, anonymous=LOGIN), ()),
    "accounts:security": (SIGNED_IN, ()),
    "accounts:reauthenticate": (SIGNED_IN, ()),
    "accounts:totp_enrol": (SIGNED_IN, ()),
    # The caseworker's own device: anybody else gets the 404 of a device that is not there.
    "accounts:totp_remove": (_row(404, anonymous=LOGIN, caseworker=200), ("device_id",)),
    "accounts:recovery_codes_regenerate": (_row(405, anonymous=LOGIN), ()),
    "accounts:user_second_factors_reset": (ADMIN_ONLY, ("user_id",)),
}

SCOPED_WRITES: list[str] = []


def world(*, case, users) -> dict:
    return {"device_id": totp_device(users["caseworker"]).pk}
