"""Access-matrix rows for research releases (issue 11 §2)."""

from __future__ import annotations

from tests.matrix.roles import LOGIN, _row

# Researchers read the releases; central administrators read and publish them.
RESEARCH_OR_ADMIN = _row(404, anonymous=LOGIN, researcher=200, central_admin=200, superuser=200)
API_RESEARCH_OR_ADMIN = _row(404, anonymous=403, researcher=200, central_admin=200, superuser=200)

ROWS: dict[str, tuple[dict, tuple[str, ...]]] = {
    "research:releases": (RESEARCH_OR_ADMIN, ()),
    "research_api:releases": (API_RESEARCH_OR_ADMIN, ()),
}

SCOPED_WRITES: list[str] = []


def world(*, case, users) -> dict:
    return {}
