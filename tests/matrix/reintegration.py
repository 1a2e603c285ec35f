"""Access-matrix rows for this feature's URLs (see tests/matrix/__init__.py)."""

from __future__ import annotations

from tests import factories
from tests.matrix.roles import (
    API_CASE_SCOPED,
    API_CASE_SCOPED_POST,
    CASE_SCOPED,
    CASE_WORK,
)

ROWS: dict[str, tuple[dict, tuple[str, ...]]] = {
    "reintegration:plan_create": (CASE_SCOPED, ("case_id",)),
    "reintegration:plan_edit": (CASE_SCOPED, ("reintegration_plan_id",)),
    "reintegration:assistance_create": (CASE_SCOPED, ("case_id",)),
    "reintegration:assistance_status": (CASE_SCOPED, ("reintegration_item_id",)),
    "reintegration:visit_add": (CASE_SCOPED, ("case_id",)),
    "reintegration:visit_record": (CASE_SCOPED, ("visit_id",)),
    "reintegration:overdue_visits": (CASE_WORK, ()),
    "reintegration_api:case_plan": (API_CASE_SCOPED, ("case_id",)),
    "reintegration_api:case_assistance": (API_CASE_SCOPED, ("case_id",)),
    "reintegration_api:assistance_item": (API_CASE_SCOPED_POST, ("reintegration_item_id",)),
    "reintegration_api:case_visits": (API_CASE_SCOPED, ("case_id",)),
    "reintegration_api:visit_record": (API_CASE_SCOPED_POST, ("visit_id",)),
}

SCOPED_WRITES: list[str] = [
    "reintegration:plan_create",
    "reintegration:plan_edit",
    "reintegration:assistance_create",
    "reintegration:assistance_status",
    "reintegration:visit_add",
    "reintegration:visit_record",
    "reintegration_api:case_plan",
    "reintegration_api:case_assistance",
    "reintegration_api:assistance_item",
    "reintegration_api:case_visits",
    "reintegration_api:visit_record",
]


def world(*, case, users) -> dict:
    # Made with factories, so the matrix case keeps its status for the other parts' rows.
    caseworker = users["caseworker"]
    plan = factories.ReintegrationPlanFactory(case=case, created_by=caseworker)
    visit = factories.MonitoringVisitFactory(plan=plan, created_by=caseworker, schedule_month=3)
    item = factories.ReintegrationAssistanceFactory(case=case, created_by=caseworker)
    return {
        "reintegration_plan_id": plan.pk,
        "reintegration_item_id": item.pk,
        "visit_id": visit.pk,
    }
