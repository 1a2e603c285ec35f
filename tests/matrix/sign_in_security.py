"""Access-matrix rows for sign-in security: API token revocation (see tests/matrix/__init__.py)."""

from __future__ import annotations

from tests.matrix.roles import _row

ROWS: dict[str, tuple[dict, tuple[str, ...]]] = {
    # Token authentication only: a session (every matrix client) is not enough, so all 401.
    "api_token_revoke": (_row(401), ()),
}

SCOPED_WRITES: list[str] = []


def world(*, case, users) -> dict:
    return {}
