"""Access-matrix rows for this feature's URLs (see tests/matrix/__init__.py)."""

from __future__ import annotations

ROWS: dict[str, tuple[dict, tuple[str, ...]]] = {}

SCOPED_WRITES: list[str] = []


def world(*, case, users) -> dict:
    return {}
