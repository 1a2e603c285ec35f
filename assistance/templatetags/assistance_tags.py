"""Template tags that show assistance on other apps' pages: coded answers in words, and the
dashboard panel. The case page's sections are read by its view (``assistance.case_page``)."""

from __future__ import annotations

from typing import Any

from django import template

from assistance import case_page
from assistance.models import AssistanceInterview
from assistance.selectors import movement_list_upcoming, service_list_in_progress

register = template.Library()

# How many rows of each kind the dashboard shows before "see all".
DASHBOARD_SHOWN = 10


def _bounded(queryset, limit: int) -> tuple[list, bool]:
    """At most ``limit`` rows, and whether there are more, in one query."""
    rows = list(queryset[: limit + 1])
    return rows[:limit], len(rows) > limit


@register.simple_tag
def needs_summary(interview: AssistanceInterview) -> list[dict[str, Any]]:
    """The coded needs of an interview, in words, one entry per kind of need."""
    return case_page.needs_summary(interview)


@register.simple_tag
def plan_type_labels(codes: list[str]) -> list[str]:
    return case_page.plan_type_labels(codes)


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
