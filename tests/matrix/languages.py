"""Access-matrix rows for the language switcher (see tests/matrix/__init__.py)."""

from __future__ import annotations

from tests.matrix.roles import _row

# POST only, for everyone (the sign-in page has the switcher too); GET is refused.
ROWS: dict[str, tuple[dict, tuple[str, ...]]] = {
    "accounts:language": (_row(405), ()),
}

SCOPED_WRITES: list[str] = []


def world(*, case, users) -> dict:
    return {}
