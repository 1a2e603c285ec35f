"""Template tags that let other pages show reintegration data without their views knowing
about it: the dashboard panel. The case page's section is read by its view
(``reintegration.selectors.reintegration_case_build``)."""

from __future__ import annotations

from typing import Any

from django import template

from reintegration.selectors import reintegration_dashboard as select_dashboard

register = template.Library()


@register.simple_tag(takes_context=True)
def reintegration_dashboard(context: template.Context) -> dict[str, Any] | None:
    """The overdue-visits panel of the signed-in user; None for researchers."""
    return select_dashboard(user=context["request"].user)
