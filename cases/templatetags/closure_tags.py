"""Template tags for the closure panel of the case page and the dashboard's closure panel."""

from __future__ import annotations

from typing import Any

from django import template

from cases.forms import ClosureRequestForm, ReopenForm
from cases.selectors import closure_dashboard as select_closure_dashboard
from cases.selectors import closure_panel as select_closure_panel

register = template.Library()


@register.simple_tag(takes_context=True)
def closure_panel(context: template.Context, case) -> dict[str, Any]:
    """The closure panel of ``case`` for the signed-in user, with its unbound forms."""
    panel = select_closure_panel(case=case, user=context["request"].user)
    initial = {"version": case.version}
    panel["request_form"] = ClosureRequestForm(initial=initial) if panel["can_request"] else None
    panel["reopen_form"] = ReopenForm(initial=initial) if panel["can_reopen"] else None
    return panel


@register.simple_tag(takes_context=True)
def closure_dashboard(context: template.Context) -> dict[str, Any]:
    return select_closure_dashboard(user=context["request"].user)
