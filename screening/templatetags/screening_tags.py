"""Template tags that let other apps' pages show screening data (the case page's panel)."""

from __future__ import annotations

from typing import Any

from django import template

from screening.selectors import screening_case_panel as select_case_panel

register = template.Library()


@register.simple_tag(takes_context=True)
def screening_case_panel(context: template.Context, case) -> dict[str, Any]:
    """The screening panel of ``case`` for the signed-in user (see the selector)."""
    return select_case_panel(case=case, user=context["request"].user)
