"""Template tags for the case page's trafficking profile and sharing panels."""

from __future__ import annotations

from typing import Any

from django import template

from assistance.profile_forms import GRANT_PREFIX, PROPOSE_PREFIX, ProposeSharingForm
from assistance.selectors import case_sharing_panel, trafficking_profile_current
from assistance.services import ASSISTANCE_CASE_STATUSES

register = template.Library()

# The case page lists this many pending details; the rest are on the changes page.
PENDING_SHOWN = 10


@register.simple_tag(takes_context=True)
def trafficking_profile_panel(context: template.Context, case) -> dict[str, Any]:
    """The current trafficking profile of ``case`` (a scoped read), in a fixed number of
    queries whatever the number of details or rows."""
    user = context["request"].user
    profile = trafficking_profile_current(case=case)
    return {
        **profile,
        "pending_shown": profile["pending"][:PENDING_SHOWN],
        "pending_more": max(len(profile["pending"]) - PENDING_SHOWN, 0),
        "can_record": not user.is_researcher and case.status in ASSISTANCE_CASE_STATUSES,
        "can_review": user.sees_all_missions,
    }


@register.simple_tag(takes_context=True)
def sharing_panel(context: template.Context, case) -> dict[str, Any]:
    """The sharing of ``case`` (a scoped read): current shares, proposals and the forms."""
    user = context["request"].user
    panel = case_sharing_panel(case=case, user=user)
    panel["propose_form"] = (
        ProposeSharingForm(case=case, prefix=PROPOSE_PREFIX) if panel["can_propose"] else None
    )
    panel["grant_form"] = (
        ProposeSharingForm(case=case, prefix=GRANT_PREFIX)
        if panel["is_central_admin"] and not case.is_closed
        else None
    )
    return panel
