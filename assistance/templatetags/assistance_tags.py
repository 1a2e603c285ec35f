"""Template tags that show assistance on other apps' pages: the case page and the dashboard."""

from __future__ import annotations

from typing import Any

from django import template
from django.db import models
from django.utils.translation import gettext_lazy as _

from assistance import services
from assistance.models import (
    AssistanceInterview,
    DocumentationNeed,
    HealthNeed,
    ImmediateNeed,
    LegalNeed,
)
from assistance.selectors import (
    interview_list_for_case,
    movement_list_for_case,
    movement_list_upcoming,
    referral_list_for_case,
    service_list_for_case,
    service_list_in_progress,
    support_plan_for_case,
)
from cases.vocabularies import CaseStatus, SupportPlanType

register = template.Library()

# How many rows of each kind the case page and the dashboard show before "see all".
INTERVIEWS_SHOWN = 10
SERVICES_SHOWN = 5
REFERRALS_SHOWN = 10
MOVEMENTS_SHOWN = 5
DASHBOARD_SHOWN = 10

NEEDS: tuple[tuple[str, Any, type[models.TextChoices]], ...] = (
    ("immediate_needs", _("Immediate needs"), ImmediateNeed),
    ("health_needs", _("Health needs"), HealthNeed),
    ("legal_needs", _("Legal needs"), LegalNeed),
    ("documentation_needs", _("Documentation needs"), DocumentationNeed),
)


def _labels(codes: list[str], choices: type[models.TextChoices]) -> list[str]:
    names = dict(choices.choices)
    return [str(names.get(code, code)) for code in codes]


def _bounded(queryset, limit: int) -> tuple[list, bool]:
    """At most ``limit`` rows, and whether there are more, in one query."""
    rows = list(queryset[: limit + 1])
    return rows[:limit], len(rows) > limit


@register.simple_tag
def needs_summary(interview: AssistanceInterview) -> list[dict[str, Any]]:
    """The coded needs of an interview, in words, one entry per kind of need."""
    return [
        {"label": label, "needs": _labels(getattr(interview, field), choices)}
        for field, label, choices in NEEDS
    ]


@register.simple_tag
def plan_type_labels(codes: list[str]) -> list[str]:
    return _labels(codes, SupportPlanType)


@register.simple_tag(takes_context=True)
def assistance_case_panel(context: template.Context, case) -> dict[str, Any]:
    """The assistance sections of ``case``, which the case page has already read in scope.

    A fixed number of queries whatever the number of records: each list is bounded."""
    interviews, more_interviews = _bounded(interview_list_for_case(case=case), INTERVIEWS_SHOWN)
    service_rows, more_services = _bounded(service_list_for_case(case=case), SERVICES_SHOWN)
    referrals, more_referrals = _bounded(referral_list_for_case(case=case), REFERRALS_SHOWN)
    movements, more_movements = _bounded(movement_list_for_case(case=case), MOVEMENTS_SHOWN)
    latest = interviews[0] if interviews else None
    return {
        "can_interview": case.status == CaseStatus.ACTIVE,
        "can_record": case.status in services.ASSISTANCE_CASE_STATUSES,
        "not_active_message": _(services.CASE_NOT_ACTIVE_MESSAGE),
        "interviews": interviews,
        "more_interviews": more_interviews,
        "latest": latest,
        "needs": needs_summary(latest) if latest else [],
        "plan": support_plan_for_case(case=case),
        "services": service_rows,
        "more_services": more_services,
        "referrals": referrals,
        "more_referrals": more_referrals,
        "movements": movements,
        "more_movements": more_movements,
        "has_open_movement": any(m.status in services.MOVEMENT_NEXT for m in movements),
    }


@register.simple_tag(takes_context=True)
def assistance_dashboard(context: template.Context) -> dict[str, Any] | None:
    """Upcoming movements and services in progress of the caseworker's cases; None for anyone
    who is not a caseworker (researchers never see case data)."""
    user = context["request"].user
    if not user.is_authenticated or user.is_researcher or not user.is_caseworker:
        return None
    movements, more_movements = _bounded(movement_list_upcoming(user=user), DASHBOARD_SHOWN)
    in_progress, more_services = _bounded(service_list_in_progress(user=user), DASHBOARD_SHOWN)
    return {
        "movements": movements,
        "more_movements": more_movements,
        "services": in_progress,
        "more_services": more_services,
    }
