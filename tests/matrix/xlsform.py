"""Access-matrix rows for the XLSForm download (issue 13 §3): central administrators only."""

from __future__ import annotations

from tests.matrix.roles import ADMIN_ONLY

ROWS: dict[str, tuple[dict, tuple[str, ...]]] = {
    "intake_xlsform:screening_form": (ADMIN_ONLY, ()),
}

SCOPED_WRITES: list[str] = []


def world(*, case, users) -> dict:
    return {}
