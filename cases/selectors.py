"""Reads of case data. Every one starts from ``Case.objects.visible_to(user)``."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, TypeVar

from django.db import models
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from accounts.models import Mission

from .audit import audit_record, refuse_access
from .models import PERSON_IDENTITY_FIELDS, AuditAction, AuditEvent, Case
from .vocabularies import CaseStatus


def _parse_case_id(case_id: Any) -> uuid.UUID | None:
    if isinstance(case_id, uuid.UUID):
        return case_id
    try:
        return uuid.UUID(str(case_id))
    except (TypeError, ValueError, AttributeError):
        return None


def access_case_by_id(*, user, case_id: Any, for_update: bool = False) -> Case:
    """The case if ``user`` may see it; otherwise the same 404 whether or not it exists.

    A refusal of an existing case is audited (the response does not tell the difference).
    """
    parsed = _parse_case_id(case_id)
    if parsed is None:
        raise Http404
    queryset = Case.objects.visible_to(user).select_related("mission", "person", "assigned_to")
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    case = queryset.filter(pk=parsed).first()
    if case is None:
        mission_id = Case.objects.filter(pk=parsed).values_list("mission_id", flat=True).first()
        if mission_id is not None:
            raise refuse_access(
                user=user, object_type="cases.case", object_id=str(parsed), mission_id=mission_id
            )
        raise Http404
    return case


def registrable_missions(user) -> QuerySet:
    """Active missions ``user`` may register a case for."""
    missions = Mission.objects.filter(is_active=True)
    if not user.is_authenticated or user.is_researcher:
        return missions.none()
    if user.sees_all_missions:
        return missions
    return missions.filter(pk__in=user.caseworker_mission_ids)


M = TypeVar("M", bound=models.Model)


def access_case_record_by_id(*, model: type[M], user, object_id: Any, for_update: bool) -> M:
    """A record of ``model`` (with a ``case`` field) whose case ``user`` may see; the same 404
    otherwise, and an audited refusal when it exists out of scope. Case-owned records of every
    app go through this, so the rule stays in one place."""
    try:
        parsed = uuid.UUID(str(object_id))
    except (TypeError, ValueError, AttributeError):
        raise Http404 from None
    queryset = model.objects.filter(case__in=Case.objects.visible_to(user)).select_related(
        "case", "case__mission"
    )
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    record = queryset.filter(pk=parsed).first()
    if record is None:
        mission_id = (
            model.objects.filter(pk=parsed).values_list("case__mission_id", flat=True).first()
        )
        if mission_id is not None:
            raise refuse_access(
                user=user,
                object_type=model._meta.label_lower,
                object_id=str(parsed),
                mission_id=mission_id,
            )
        raise Http404
    return record


def case_get(*, user, case_id: Any) -> Case:
    """A case opened by a person: the read is audited."""
    case = access_case_by_id(user=user, case_id=case_id)
    audit_record(actor=user, action=AuditAction.CASE_VIEWED, case=case)
    return case


def case_list(*, user) -> QuerySet[Case]:
    """Cases the user may see, with what a list row shows, in a fixed number of queries."""
    return (
        Case.objects.visible_to(user)
        .select_related("mission", "person", "assigned_to")
        .order_by("-registered_on", "-reference")
    )


def case_counts_by_mission_and_status(*, user) -> list[dict[str, Any]]:
    return list(
        Case.objects.visible_to(user)
        .values("mission__code", "mission__name", "status")
        .annotate(total=Count("id"))
        .order_by("mission__code", "status")
    )


def audit_event_list(*, user) -> QuerySet[AuditEvent]:
    """The audit trail, for central administrators only (others get an empty list)."""
    if not (user.is_authenticated and user.sees_all_missions):
        return AuditEvent.objects.none()
    return AuditEvent.objects.select_related("actor", "mission").order_by("-occurred_at", "-id")


# Open means the case still needs work from its caseworker.
OPEN_STATUSES = (
    CaseStatus.SCREENING,
    CaseStatus.PENDING_REVIEW,
    CaseStatus.ACTIVE,
    CaseStatus.FOLLOW_UP,
)
# What a list row never shows: leaving these undecrypted keeps names out of list pages.
_PERSON_IDENTITY_COLUMNS = tuple(f"person__{name}" for name in PERSON_IDENTITY_FIELDS)


def case_list_rows(*, user) -> QuerySet[Case]:
    """``case_list`` for list pages: identity columns are not even loaded."""
    return case_list(user=user).defer(*_PERSON_IDENTITY_COLUMNS)


def case_list_assigned_open(*, user) -> QuerySet[Case]:
    """The user's own open cases, for the dashboard."""
    return (
        case_list_rows(user=user)
        .filter(assigned_to=user, status__in=OPEN_STATUSES)
        .order_by("registered_on", "reference")
    )


def case_status_table(*, user) -> list[dict[str, Any]]:
    """One row per mission with a count per status and a total, in one query."""
    per_status = {
        f"count_{status}": Count("id", filter=Q(status=status)) for status in CaseStatus.values
    }
    rows = (
        Case.objects.visible_to(user)
        .values("mission_id", "mission__code", "mission__name")
        .annotate(total=Count("id"), **per_status)
        .order_by("mission__code")
    )
    return [
        {
            "mission_id": row["mission_id"],
            "mission_code": row["mission__code"],
            "mission_name": row["mission__name"],
            "counts": [
                {"status": status, "count": row[f"count_{status}"]} for status in CaseStatus.values
            ],
            "total": row["total"],
        }
        for row in rows
    ]


def audit_trail_open(*, user, filters: Iterable[str] = ()) -> QuerySet[AuditEvent]:
    """The audit trail as a person opens it; the opening is itself audited.

    Only central administrators and superusers read it; for anyone else it does not exist.
    ``filters`` are the names of the filters applied (names only, values may identify a case).
    """
    if not (user.is_authenticated and user.sees_all_missions):
        raise Http404
    audit_record(actor=user, action=AuditAction.AUDIT_VIEWED, detail={"filters": sorted(filters)})
    return audit_event_list(user=user)
