"""Reads of case data. Every one starts from ``Case.objects.visible_to(user)``."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from typing import Any, TypeVar

from django.db import models
from django.db.models import Case as Choose
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.http import Http404
from django.utils import timezone

from accounts.models import Mission

from . import search
from .audit import audit_record, refuse_access
from .models import (
    PERSON_IDENTITY_FIELDS,
    AuditAction,
    AuditEvent,
    Case,
    CaseClosureRequest,
    CaseLink,
    CaseStatusCount,
    SearchToken,
)
from .vocabularies import CLOSED_STATUSES, CaseStatus


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
    """One row per mission with a count per status and a total, in one query.

    The missions of the user's scope are read from ``CaseStatusCount`` (kept by triggers, so a
    mission of 25,000 cases costs a few rows, not a scan); the cases shared into the scope from
    other missions, few by nature, are counted through ``visible_to``.
    """
    mission_ids = Case.objects.scope_missions(user)
    summary = CaseStatusCount.objects.filter(count__gt=0)
    if mission_ids is not None:
        summary = summary.filter(mission_id__in=mission_ids)
    rows = summary.values_list("mission_id", "mission__code", "mission__name", "status", "count")
    if mission_ids:
        # Named apart as well, so PostgreSQL starts from the few grants instead of scanning
        # every case to test the scope's OR.
        shared = (
            Case.objects.visible_to(user)
            .filter(pk__in=Case.objects.shared_with(mission_ids))
            .exclude(mission_id__in=mission_ids)
            .values("mission_id", "mission__code", "mission__name", "status")
            .annotate(n=Count("id"))
            .values_list("mission_id", "mission__code", "mission__name", "status", "n")
            .order_by()
        )
        rows = rows.union(shared, all=True)
    elif mission_ids is not None:
        return []
    missions: dict[int, dict[str, Any]] = {}
    for mission_id, code, name, status, count in rows:
        mission = missions.setdefault(
            mission_id,
            {"mission_id": mission_id, "mission_code": code, "mission_name": name, "by": {}},
        )
        mission["by"][status] = mission["by"].get(status, 0) + count
    return [
        {
            "mission_id": row["mission_id"],
            "mission_code": row["mission_code"],
            "mission_name": row["mission_name"],
            "counts": [
                {"status": status, "count": row["by"].get(status, 0)}
                for status in CaseStatus.values
            ],
            "total": sum(row["by"].values()),
        }
        for row in sorted(missions.values(), key=lambda row: row["mission_code"])
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


# Closure and re-trafficking links

RETURNED_REQUESTS_SHOWN = 10


def _is_central_admin(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.sees_all_missions)


def case_links_queryset(*, case: Case, user) -> QuerySet[CaseLink]:
    """The links of ``case`` to other cases of the same person: central administrators only."""
    if not _is_central_admin(user):
        return CaseLink.objects.none()
    return CaseLink.objects.filter(Q(earlier_case=case) | Q(later_case=case)).select_related(
        "earlier_case__mission", "later_case__mission"
    )


def case_links_rows(*, case: Case, links: Iterable[CaseLink]) -> list[dict[str, Any]]:
    rows = []
    for link in links:
        other = link.later_case if link.earlier_case_id == case.pk else link.earlier_case
        rows.append({"case": other, "later": other.pk == link.later_case_id, "link": link})
    return sorted(rows, key=lambda row: (row["case"].registered_on, row["case"].reference))


def closure_panel_querysets(*, case: Case, user) -> dict[str, QuerySet]:
    return {
        "latest": case.closure_requests.select_related("requested_by", "decided_by").order_by(
            "-requested_at", "-id"
        )[:1],
        "links": case_links_queryset(case=case, user=user),
    }


def closure_panel_build(*, case: Case, user, rows: dict[str, list]) -> dict[str, Any]:
    """What the case page's closure panel shows ``user`` (who can already see ``case``)."""
    latest = rows["latest"][0] if rows["latest"] else None
    pending = latest if latest and latest.status == CaseClosureRequest.Status.PENDING else None
    returned = latest if latest and latest.status == CaseClosureRequest.Status.RETURNED else None
    is_admin = _is_central_admin(user)
    is_closed = case.status in CLOSED_STATUSES
    return {
        "is_closed": is_closed,
        "pending": pending,
        "returned": returned if not is_closed else None,
        "can_request": not is_closed and pending is None and not user.is_researcher,
        "can_decide": bool(pending and is_admin and pending.requested_by_id != user.pk),
        "is_requester": bool(pending and pending.requested_by_id == user.pk),
        "can_reopen": is_closed and is_admin,
        "is_admin": is_admin,
        "links": case_links_rows(case=case, links=rows["links"]),
    }


def closure_queue(*, user, mission_id: int | None = None) -> QuerySet[CaseClosureRequest]:
    """Pending closure requests, oldest first. Central administrators only."""
    if not _is_central_admin(user):
        return CaseClosureRequest.objects.none()
    queryset = (
        CaseClosureRequest.objects.filter(
            status=CaseClosureRequest.Status.PENDING, case__in=Case.objects.visible_to(user)
        )
        .select_related("case", "case__mission", "requested_by")
        .defer("comment", "return_comment")
        .order_by("requested_at", "id")
    )
    if mission_id is not None:
        queryset = queryset.filter(case__mission_id=mission_id)
    return queryset


def closure_request_get(*, user, request_id: Any) -> CaseClosureRequest:
    """A closure request opened for a decision: its comment is shown, so the read is audited."""
    if not _is_central_admin(user):
        raise Http404
    request = access_case_record_by_id(
        model=CaseClosureRequest, user=user, object_id=request_id, for_update=False
    )
    audit_record(actor=user, action=AuditAction.CASE_VIEWED, case=request.case, obj=request)
    return request


def closure_dashboard(*, user) -> dict[str, Any]:
    """Counts for central administrators; a caseworker's own returned requests."""
    if user is None or not user.is_authenticated or user.is_researcher:
        return {}
    if _is_central_admin(user):
        return {
            "is_admin": True,
            "pending_count": closure_queue(user=user).count(),
            "retrafficked_count": Case.objects.visible_to(user).filter(retrafficked=True).count(),
        }
    # Returned requests the caseworker has not followed up with a new one.
    newer = CaseClosureRequest.objects.filter(
        case=models.OuterRef("case"), requested_at__gt=models.OuterRef("requested_at")
    )
    returned = (
        CaseClosureRequest.objects.filter(
            requested_by=user,
            status=CaseClosureRequest.Status.RETURNED,
            case__in=Case.objects.visible_to(user).exclude(status__in=CLOSED_STATUSES),
        )
        .exclude(models.Exists(newer))
        .select_related("case", "case__mission")
        .defer("comment", "return_comment")
        .order_by("-decided_at", "-id")
    )
    return {"is_admin": False, "returned": list(returned[:RETURNED_REQUESTS_SHOWN])}


# The nightly integrity check runs at 02:15; a result older than this means it stopped running.
AUDIT_INTEGRITY_STALE_AFTER = datetime.timedelta(hours=48)


def audit_integrity_warning(*, user) -> dict[str, Any] | None:
    """For central administrators: the last nightly integrity check, when it failed or is stale.

    One query, only for central administrators; codes only (the recorded detail has no
    personal data).
    """
    if not _is_central_admin(user):
        return None
    latest = (
        AuditEvent.objects.filter(action=AuditAction.AUDIT_INTEGRITY_CHECKED)
        .order_by("-seq")
        .only("occurred_at", "detail")
        .first()
    )
    if latest is None:
        return None
    stale = latest.occurred_at < timezone.now() - AUDIT_INTEGRITY_STALE_AFTER
    if latest.detail.get("ok") and not stale:
        return None
    detail = latest.detail
    problems = []
    if not detail.get("trigger_enabled", True) or not detail.get("truncate_trigger_enabled", True):
        problems.append("trigger")
    if detail.get("chain_problem"):
        problems.append(f"chain:{detail['chain_problem']}")
    problems.extend(f"role:{code}" for code in detail.get("role_problems", []))
    return {
        "checked_at": latest.occurred_at,
        "failed": not detail.get("ok"),
        "stale": stale,
        "problems": problems,
    }


REFERENCE_MAX = Case._meta.get_field("reference").max_length


def case_search(*, queryset: QuerySet[Case], query: str) -> QuerySet[Case]:
    """Cases of ``queryset`` (already scoped) whose person matches every term of ``query``, or
    whose reference contains ``query``; best matches (most tokens in common) first."""
    terms = search.query_terms(query)
    typed = query.strip()
    # References are matched directly, in part too (the number a caseworker remembers). A
    # reference is one word with digits: only such a query pays for scanning the references.
    reference = (
        Q(reference__icontains=typed)
        if 0 < len(typed) <= REFERENCE_MAX and " " not in typed and any(c.isdigit() for c in typed)
        else None
    )
    if not terms:
        return queryset.filter(reference) if reference is not None else queryset.none()
    term_of = Choose(
        *[When(token__in=list(tokens), then=Value(n)) for n, tokens in enumerate(terms)],
        output_field=IntegerField(),
    )
    every = set().union(*terms)
    # The matching persons are read first, by the token index alone: given as a list, their
    # number is known to the planner, which then reads the few cases by person. As a subquery
    # it guessed a third of all cases and scanned every case and person (seconds at 100,000).
    persons = list(
        SearchToken.objects.filter(token__in=list(every))
        .values("person_id")
        .annotate(terms=Count(term_of, distinct=True))
        .filter(terms=len(terms))
        .values_list("person_id", flat=True)
    )
    matched = Q(person_id__in=persons)
    if reference is not None:
        matched |= reference
    score = (
        SearchToken.objects.filter(person_id=OuterRef("person_id"), token__in=list(every))
        .values("person_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        queryset.filter(matched)
        .annotate(search_score=Subquery(score, output_field=IntegerField()))
        .order_by(models.F("search_score").desc(nulls_last=True), "-registered_on", "-reference")
    )
