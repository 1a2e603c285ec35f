"""Template tags that let other apps' pages show reintegration data (the case page's section
and the dashboard panel) without their views knowing about it."""

from __future__ import annotations

from typing import Any

from django import template

from reintegration.selectors import reintegration_case_panel as select_case_panel
from reintegration.selectors import reintegration_dashboard as select_dashboard

register = template.Library()


@register.simple_tag(takes_context=True)
def reintegration_case_panel(context: template.Context, case) -> dict[str, Any]:
    """The reintegration section of ``case`` (from a scoped read) for the signed-in user."""
    return select_case_panel(case=case, user=context["request"].user)


@register.simple_tag(takes_context=True)
def reintegration_dashboard(context: template.Context) -> dict[str, Any] | None:
    """The overdue-visits panel of the signed-in user; None for researchers."""
    return select_dashboard(user=context["request"].user)
