"""Reads of reintegration records. Scoping always comes from the case:
``Case.objects.visible_to``."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from accounts.models import Mission
from assistance.services import ASSISTANCE_CASE_STATUSES
from cases.audit import audit_record
from cases.models import AuditAction, Case
from cases.selectors import access_case_by_id, access_case_record_by_id
from config.querybatch import fetch_together

from .charts import monitoring_chart
from .models import MonitoringVisit, ReintegrationAssistance, ReintegrationPlan

DASHBOARD_VISITS_SHOWN = 10


def access_plan_by_id(*, user, plan_id: Any, for_update: bool = False) -> ReintegrationPlan:
    return access_case_record_by_id(
        model=ReintegrationPlan, user=user, object_id=plan_id, for_update=for_update
    )


def access_item_by_id(*, user, item_id: Any, for_update: bool = False) -> ReintegrationAssistance:
    return access_case_record_by_id(
        model=ReintegrationAssistance, user=user, object_id=item_id, for_update=for_update
    )


def access_visit_by_id(*, user, visit_id: Any, for_update: bool = False) -> MonitoringVisit:
    return access_case_record_by_id(
        model=MonitoringVisit, user=user, object_id=visit_id, for_update=for_update
    )


def case_reintegration_get(*, user, case_id: Any, section: str) -> Case:
    """A case whose reintegration records (goals and notes included) are about to be shown:
    the read is audited, naming the section and nothing of its content."""
    case = access_case_by_id(user=user, case_id=case_id)
    audit_record(actor=user, action=AuditAction.CASE_VIEWED, case=case, detail={"section": section})
    return case


def plan_get(*, user, plan_id: Any) -> ReintegrationPlan:
    """A plan opened by a person: its assessment and goals are shown, so the read is audited."""
    plan = access_plan_by_id(user=user, plan_id=plan_id)
    audit_record(actor=user, action=AuditAction.CASE_VIEWED, case=plan.case, obj=plan)
    return plan


def plan_for_case(*, case: Case) -> ReintegrationPlan | None:
    """``case`` must come from a scoped read (``access_case_by_id``/``case_get``)."""
    return ReintegrationPlan.objects.filter(case=case).first()


def assistance_list_for_case(*, case: Case) -> QuerySet[ReintegrationAssistance]:
    return case.reintegration_assistance.select_related("organisation").order_by(
        "-start_date", "-created_at"
    )


def visit_list_for_case(*, case: Case) -> QuerySet[MonitoringVisit]:
    """The monitoring timeline of a scoped ``case``, oldest planned date first."""
    return case.monitoring_visits.select_related("visited_by").order_by(
        "planned_date", "created_at"
    )


def reintegration_case_querysets(*, case: Case, user) -> dict[str, QuerySet]:
    """What the case page's reintegration section reads (``case`` from a scoped read)."""
    return {
        "plan": ReintegrationPlan.objects.filter(case=case)[:1],
        "items": assistance_list_for_case(case=case),
        "visits": visit_list_for_case(case=case),
    }


def reintegration_case_build(*, case: Case, user, rows: dict[str, list]) -> dict[str, Any]:
    plan = rows["plan"][0] if rows["plan"] else None
    visits = rows["visits"] if plan is not None else []
    done = sorted(
        (v for v in visits if v.status == MonitoringVisit.Status.DONE),
        key=lambda v: (v.done_date, v.created_at),
    )
    return {
        "plan": plan,
        "items": rows["items"],
        "visits": visits,
        "done_visits": done,
        "chart": monitoring_chart(done),
        "editable": not user.is_researcher and case.status in ASSISTANCE_CASE_STATUSES,
        "pending_statuses": (MonitoringVisit.Status.SCHEDULED, MonitoringVisit.Status.OVERDUE),
        "final_statuses": (
            ReintegrationAssistance.Status.PROVIDED,
            ReintegrationAssistance.Status.DECLINED,
            ReintegrationAssistance.Status.CANCELLED,
        ),
    }


def reintegration_case_panel(*, case: Case, user) -> dict[str, Any]:
    """What the case page shows of reintegration, in one query whatever the number of items
    and visits. ``case`` must come from a scoped read."""
    rows = fetch_together(reintegration_case_querysets(case=case, user=user))
    return reintegration_case_build(case=case, user=user, rows=rows)


def overdue_visit_list(*, user, mission_id: int | None = None) -> QuerySet[MonitoringVisit]:
    """Overdue visits of the open cases ``user`` may see, oldest first."""
    queryset = (
        MonitoringVisit.objects.filter(
            case__in=Case.objects.visible_to(user),
            case__status__in=ASSISTANCE_CASE_STATUSES,
            status=MonitoringVisit.Status.OVERDUE,
        )
        .select_related("case", "case__mission")
        .order_by("planned_date", "pk")
    )
    if mission_id is not None:
        queryset = queryset.filter(case__mission_id=mission_id)
    return queryset


def overdue_missions(*, user) -> QuerySet[Mission]:
    """The missions a user may filter the overdue visits by."""
    if user.sees_all_missions:
        return Mission.objects.order_by("code")
    return Mission.objects.filter(pk__in=user.caseworker_mission_ids).order_by("code")


def overdue_counts_by_mission(*, user) -> list[dict[str, Any]]:
    return list(
        overdue_visit_list(user=user)
        .order_by()
        .values("case__mission_id", "case__mission__code", "case__mission__name")
        .annotate(total=Count("id"))
        .order_by("case__mission__code")
    )


def reintegration_dashboard(*, user) -> dict[str, Any] | None:
    """The dashboard panel: a central administrator's overdue counts by mission, or a
    caseworker's first overdue visits. Nothing for researchers or users without a role."""
    if not user.is_authenticated or user.is_researcher:
        return None
    if user.sees_all_missions:
        counts = overdue_counts_by_mission(user=user)
        return {
            "by_mission": counts,
            "total": sum(row["total"] for row in counts),
            "admin": True,
        }
    if not user.is_caseworker:
        return None
    visits = list(overdue_visit_list(user=user)[: DASHBOARD_VISITS_SHOWN + 1])
    return {
        "visits": visits[:DASHBOARD_VISITS_SHOWN],
        "more": len(visits) > DASHBOARD_VISITS_SHOWN,
        "admin": False,
    }
