"""Access-matrix rows for the privacy budget API (issue 11 §3)."""

from __future__ import annotations

from tests.matrix.roles import (
    ADMIN_ONLY,
    API_ADMIN_ONLY,
    API_RESEARCH,
    API_RESEARCH_POST,
    RESEARCH,
    _row,
)

# Researchers see their own ledger, central administrators everyone's.
API_RESEARCH_OR_ADMIN = _row(404, anonymous=403, researcher=200, central_admin=200, superuser=200)

ROWS: dict[str, tuple[dict, tuple[str, ...]]] = {
    "research_api:privacy_budget": (API_RESEARCH, ()),
    "research_api:privacy_ledger": (API_RESEARCH_OR_ADMIN, ()),
    "research_api:privacy_budgets": (API_ADMIN_ONLY, ()),
    # POST only (it reads a request body); the GET of the matrix is refused before any work.
    "research_api:privacy_estimate": (API_RESEARCH_POST, ()),
    "research:extract_estimate": (RESEARCH, ()),
    "research:privacy": (RESEARCH, ()),
    "research:privacy_admin": (ADMIN_ONLY, ()),
    "research:privacy_admin_ledger": (ADMIN_ONLY, ()),
}

SCOPED_WRITES: list[str] = []


def world(*, case, users) -> dict:
    return {}
