"""Access-matrix rows for this feature's URLs (see tests/matrix/__init__.py)."""

from __future__ import annotations

from tests.matrix.roles import CASE_SCOPED, CASE_SCOPED_POST

ROWS: dict[str, tuple[dict, tuple[str, ...]]] = {
    "assistance:interview_create": (CASE_SCOPED, ("case_id",)),
    "assistance:interview": (CASE_SCOPED, ("interview_id",)),
    "assistance:interview_edit": (CASE_SCOPED, ("interview_id",)),
    "assistance:support_plan": (CASE_SCOPED, ("case_id",)),
    "assistance:services": (CASE_SCOPED, ("case_id",)),
    "assistance:service_create": (CASE_SCOPED, ("case_id",)),
    "assistance:service_status": (CASE_SCOPED, ("service_id",)),
    "assistance:referral_create": (CASE_SCOPED, ("case_id",)),
    "assistance:movement_create": (CASE_SCOPED, ("case_id",)),
    "assistance:movement": (CASE_SCOPED, ("movement_id",)),
    "assistance:movement_assess": (CASE_SCOPED_POST, ("movement_id",)),
    "assistance:movement_transition": (CASE_SCOPED_POST, ("movement_id",)),
    "assistance:movement_cancel": (CASE_SCOPED, ("movement_id",)),
}

SCOPED_WRITES: list[str] = [
    "assistance:interview_create",
    "assistance:interview_edit",
    "assistance:support_plan",
    "assistance:service_create",
    "assistance:service_status",
    "assistance:referral_create",
    "assistance:movement_create",
    "assistance:movement_assess",
    "assistance:movement_transition",
    "assistance:movement_cancel",
]


def world(*, case, users) -> dict:
    # The matrix world already creates an interview, a service, a movement and a support plan
    # for the case (their ids are in its kwargs); these pages need nothing more.
    return {}
