"""Access-matrix rows for further trafficking details and joint case-sharing decisions.

The matrix case (mission A) gets a pending further detail, a pending proposal to share it with
a third mission (so the "other" caseworker of mission B is a stranger to it, as to the case),
and a live share with a fourth mission. The page of proposals awaiting a decision is not
case-scoped: it lists proposals addressed to the user's own missions.
"""

from __future__ import annotations

from tests import factories
from tests.matrix.roles import (
    ADMIN_CASE_SCOPED,
    ADMIN_ONLY,
    API_ADMIN_ONLY_POST,
    API_CASE_SCOPED,
    API_CASE_SCOPED_POST,
    API_CASE_WORK,
    CASE_SCOPED,
    CASE_WORK,
)

ROWS: dict[str, tuple[dict, tuple[str, ...]]] = {
    "assistance:profile_changes": (CASE_SCOPED, ("case_id",)),
    "assistance:profile_change_new": (CASE_SCOPED, ("case_id",)),
    "assistance:profile_review_queue": (ADMIN_ONLY, ()),
    "assistance:profile_change_review": (ADMIN_CASE_SCOPED, ("change_id",)),
    "assistance:sharing_propose": (CASE_SCOPED, ("case_id",)),
    "assistance:sharing_grant": (ADMIN_CASE_SCOPED, ("case_id",)),
    "assistance:sharing_awaiting": (CASE_WORK, ()),
    "assistance:sharing_decide": (CASE_SCOPED, ("proposal_id",)),
    "assistance:sharing_withdraw": (CASE_SCOPED, ("proposal_id",)),
    "assistance:sharing_revoke": (ADMIN_CASE_SCOPED, ("access_id",)),
    "assistance_api:case_trafficking_details": (API_CASE_SCOPED, ("case_id",)),
    "assistance_api:trafficking_detail_review": (API_ADMIN_ONLY_POST, ("change_id",)),
    "assistance_api:case_trafficking_profile": (API_CASE_SCOPED, ("case_id",)),
    "assistance_api:case_access_proposals": (API_CASE_SCOPED, ("case_id",)),
    "assistance_api:access_proposals_awaiting": (API_CASE_WORK, ()),
    "assistance_api:access_proposal_decide": (API_CASE_SCOPED_POST, ("proposal_id",)),
    "assistance_api:access_proposal_withdraw": (API_CASE_SCOPED_POST, ("proposal_id",)),
    "assistance_api:case_access_revoke": (API_ADMIN_ONLY_POST, ("access_id",)),
}

SCOPED_WRITES: list[str] = [
    "assistance:profile_change_new",
    "assistance:profile_change_review",
    "assistance:sharing_propose",
    "assistance:sharing_grant",
    "assistance:sharing_decide",
    "assistance:sharing_withdraw",
    "assistance:sharing_revoke",
    "assistance_api:case_trafficking_details",
    "assistance_api:trafficking_detail_review",
    "assistance_api:case_access_proposals",
    "assistance_api:access_proposal_decide",
    "assistance_api:access_proposal_withdraw",
    "assistance_api:case_access_revoke",
]


def world(*, case, users) -> dict:
    change = factories.TraffickingDetailChangeFactory(case=case, created_by=users["caseworker"])
    proposal = factories.CaseAccessProposalFactory(
        case=case, mission=factories.MissionFactory(), proposed_by=users["caseworker"]
    )
    access = factories.CaseMissionAccessFactory(
        case=case, mission=factories.MissionFactory(), granted_by=users["central_admin"]
    )
    return {"change_id": change.pk, "proposal_id": proposal.pk, "access_id": access.pk}
