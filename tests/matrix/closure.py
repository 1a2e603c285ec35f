"""Access-matrix rows for case closure, reopening and their API (see tests/matrix/__init__.py)."""

from __future__ import annotations

from tests import factories
from tests.matrix.roles import (
    ADMIN_CASE_SCOPED,
    ADMIN_ONLY,
    API_ADMIN_ONLY,
    API_ADMIN_ONLY_POST,
    API_CASE_SCOPED_POST,
    CASE_SCOPED,
)

ROWS: dict[str, tuple[dict, tuple[str, ...]]] = {
    "cases:closure_request": (CASE_SCOPED, ("case_id",)),
    "cases:reopen": (ADMIN_CASE_SCOPED, ("case_id",)),
    "cases:closure_queue": (ADMIN_ONLY, ()),
    "cases:closure_decide": (ADMIN_CASE_SCOPED, ("closure_request_id",)),
    "cases_api:closure_request": (API_CASE_SCOPED_POST, ("case_id",)),
    "cases_api:reopen": (API_ADMIN_ONLY_POST, ("case_id",)),
    "cases_api:closure_queue": (API_ADMIN_ONLY, ()),
    "cases_api:closure_approve": (API_ADMIN_ONLY_POST, ("closure_request_id",)),
    "cases_api:closure_return": (API_ADMIN_ONLY_POST, ("closure_request_id",)),
}

SCOPED_WRITES: list[str] = list(ROWS)


def world(*, case, users) -> dict:
    # A pending request on the matrix case; the case itself stays open (status "screening").
    closure = factories.CaseClosureRequestFactory(case=case, requested_by=users["caseworker"])
    return {"closure_request_id": closure.pk}
