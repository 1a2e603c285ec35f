"""Template tags for the dashboard's closure panel. The case page's closure panel is read by
its view (``cases.case_page``)."""

from __future__ import annotations

from typing import Any

from django import template

from cases.selectors import closure_dashboard as select_closure_dashboard

register = template.Library()


@register.simple_tag(takes_context=True)
def closure_dashboard(context: template.Context) -> dict[str, Any]:
    return select_closure_dashboard(user=context["request"].user)
