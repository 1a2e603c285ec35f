"""The case page's assistance sections: assistance, trafficking profile and sharing.

Registered with ``cases.case_page`` (``AssistanceConfig.ready``): the page reads every
section's querysets in one statement, then each ``*_build`` makes its template context.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from cases.case_page import CaseSection
from cases.models import Case
from cases.vocabularies import CaseStatus, SupportPlanType
from config.querybatch import attach_prefetched, fetch_together

from . import services
from .models import (
    AssistanceInterview,
    DocumentationNeed,
    HealthNeed,
    ImmediateNeed,
    LegalNeed,
    MovementLeg,
    SupportPlan,
)
from .profile_forms import GRANT_PREFIX, PROPOSE_PREFIX, ProposeSharingForm
from .selectors import (
    case_sharing_build,
    case_sharing_querysets,
    interview_list_for_case,
    movement_list_for_case,
    referral_list_for_case,
    service_list_for_case,
    trafficking_profile_build,
    trafficking_profile_querysets,
)

# How many rows of each kind the case page shows before "see all".
INTERVIEWS_SHOWN = 10
SERVICES_SHOWN = 5
REFERRALS_SHOWN = 10
MOVEMENTS_SHOWN = 5
# The case page lists this many pending details; the rest are on the changes page.
PENDING_SHOWN = 10

NEEDS: tuple[tuple[str, Any, type[models.TextChoices]], ...] = (
    ("immediate_needs", _("Immediate needs"), ImmediateNeed),
    ("health_needs", _("Health needs"), HealthNeed),
    ("legal_needs", _("Legal needs"), LegalNeed),
    ("documentation_needs", _("Documentation needs"), DocumentationNeed),
)


def choice_labels(codes: list[str], choices: type[models.TextChoices]) -> list[str]:
    names = dict(choices.choices)
    return [str(names.get(code, code)) for code in codes]


def needs_summary(interview: AssistanceInterview) -> list[dict[str, Any]]:
    """The coded needs of an interview, in words, one entry per kind of need."""
    return [
        {"label": label, "needs": choice_labels(getattr(interview, field), choices)}
        for field, label, choices in NEEDS
    ]


def plan_type_labels(codes: list[str]) -> list[str]:
    return choice_labels(codes, SupportPlanType)


def assistance_case_querysets(*, case: Case, user) -> dict[str, QuerySet]:
    """Each list one row longer than shown, to tell whether there are more."""
    movements = movement_list_for_case(case=case).prefetch_related(None)[: MOVEMENTS_SHOWN + 1]
    return {
        "interviews": interview_list_for_case(case=case)[: INTERVIEWS_SHOWN + 1],
        "services": service_list_for_case(case=case)[: SERVICES_SHOWN + 1],
        "referrals": referral_list_for_case(case=case)[: REFERRALS_SHOWN + 1],
        "movements": movements,
        "legs": MovementLeg.objects.filter(movement__in=movements.values("pk")),
        "plan": SupportPlan.objects.filter(case=case)[:1],
    }


def assistance_case_build(*, case: Case, user, rows: dict[str, list]) -> dict[str, Any]:
    interviews = rows["interviews"][:INTERVIEWS_SHOWN]
    movements = rows["movements"][:MOVEMENTS_SHOWN]
    attach_prefetched(movements, "legs", rows["legs"], "movement_id")
    latest = interviews[0] if interviews else None
    return {
        "can_interview": case.status == CaseStatus.ACTIVE,
        "can_record": case.status in services.ASSISTANCE_CASE_STATUSES,
        "not_active_message": _(services.CASE_NOT_ACTIVE_MESSAGE),
        "interviews": interviews,
        "more_interviews": len(rows["interviews"]) > INTERVIEWS_SHOWN,
        "latest": latest,
        "needs": needs_summary(latest) if latest else [],
        "plan": rows["plan"][0] if rows["plan"] else None,
        "services": rows["services"][:SERVICES_SHOWN],
        "more_services": len(rows["services"]) > SERVICES_SHOWN,
        "referrals": rows["referrals"][:REFERRALS_SHOWN],
        "more_referrals": len(rows["referrals"]) > REFERRALS_SHOWN,
        "movements": movements,
        "more_movements": len(rows["movements"]) > MOVEMENTS_SHOWN,
        "has_open_movement": any(m.status in services.MOVEMENT_NEXT for m in movements),
    }


def assistance_case_panel(*, case: Case, user) -> dict[str, Any]:
    """The assistance sections of a scoped ``case``, in one query whatever the records."""
    rows = fetch_together(assistance_case_querysets(case=case, user=user))
    return assistance_case_build(case=case, user=user, rows=rows)


def _profile_querysets(*, case: Case, user) -> dict[str, QuerySet]:
    return trafficking_profile_querysets(case=case)


def trafficking_profile_panel_build(*, case: Case, user, rows: dict[str, list]) -> dict[str, Any]:
    profile = trafficking_profile_build(case=case, rows=rows)
    return {
        **profile,
        "pending_shown": profile["pending"][:PENDING_SHOWN],
        "pending_more": max(len(profile["pending"]) - PENDING_SHOWN, 0),
        "can_record": not user.is_researcher and case.status in services.ASSISTANCE_CASE_STATUSES,
        "can_review": user.sees_all_missions,
    }


def sharing_panel_build(*, case: Case, user, rows: dict[str, list]) -> dict[str, Any]:
    """The sharing of ``case``: current shares, proposals and the unbound forms."""
    panel = case_sharing_build(case=case, user=user, rows=rows)
    panel["propose_form"] = (
        ProposeSharingForm(case=case, prefix=PROPOSE_PREFIX) if panel["can_propose"] else None
    )
    panel["grant_form"] = (
        ProposeSharingForm(case=case, prefix=GRANT_PREFIX)
        if panel["is_central_admin"] and not case.is_closed
        else None
    )
    return panel


SECTIONS = (
    CaseSection("assistance", assistance_case_querysets, assistance_case_build),
    CaseSection("trafficking_profile", _profile_querysets, trafficking_profile_panel_build),
    CaseSection("sharing", case_sharing_querysets, sharing_panel_build),
)
