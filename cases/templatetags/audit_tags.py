"""Template tags of the audit trail: the dashboard's integrity warning."""

from __future__ import annotations

from typing import Any

from django import template

from cases.selectors import audit_integrity_warning as select_audit_integrity_warning

register = template.Library()


@register.simple_tag(takes_context=True)
def audit_integrity_warning(context: template.Context) -> dict[str, Any] | None:
    return select_audit_integrity_warning(user=context["request"].user)
