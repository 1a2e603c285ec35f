"""Reads of assistance records. Scoping always comes from the case: ``Case.objects.visible_to``."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from cases.audit import audit_record, refuse_access
from cases.models import AuditAction, Case, CaseMissionAccess
from cases.selectors import access_case_by_id, access_case_record_by_id
from config.querybatch import attach_prefetched, fetch_together
from screening.models import Perpetrator, TraffickingEvent
from screening.selectors import screening_approved_latest_first

from .models import (
    AssistanceInterview,
    AssistanceService,
    CaseAccessProposal,
    Movement,
    MovementLeg,
    Organisation,
    Referral,
    SupportPlan,
    TraffickingDetailChange,
)
from .profile_items import (
    display_row,
    display_value,
    profile_items,
    screening_rows,
    screening_value,
)

# The case page shows this many sharing proposals; older ones stay in the audit trail.
SHARING_PANEL_LIMIT = 20


def access_interview_by_id(
    *, user, interview_id: Any, for_update: bool = False
) -> AssistanceInterview:
    return access_case_record_by_id(
        model=AssistanceInterview, user=user, object_id=interview_id, for_update=for_update
    )


def access_support_plan_by_id(*, user, plan_id: Any, for_update: bool = False) -> SupportPlan:
    return access_case_record_by_id(
        model=SupportPlan, user=user, object_id=plan_id, for_update=for_update
    )


def access_service_by_id(*, user, service_id: Any, for_update: bool = False) -> AssistanceService:
    return access_case_record_by_id(
        model=AssistanceService, user=user, object_id=service_id, for_update=for_update
    )


def access_movement_by_id(*, user, movement_id: Any, for_update: bool = False) -> Movement:
    return access_case_record_by_id(
        model=Movement, user=user, object_id=movement_id, for_update=for_update
    )


def organisation_list(*, active_only: bool = True) -> QuerySet[Organisation]:
    """The organisation directory. Organisations are not case data, so any signed-in role may
    read it."""
    queryset = Organisation.objects.order_by("name", "pk")
    if active_only:
        queryset = queryset.filter(is_active=True)
    return queryset


def interview_list_for_case(*, case: Case) -> QuerySet[AssistanceInterview]:
    """``case`` must come from a scoped read (``access_case_by_id``/``case_get``)."""
    return case.assistance_interviews.select_related("interviewer").order_by(
        "-interview_date", "-created_at"
    )


def service_list_for_case(
    *, case: Case, category: str | None = None, status: str | None = None
) -> QuerySet[AssistanceService]:
    """The services timeline of a scoped ``case``, optionally filtered."""
    queryset = case.assistance_services.select_related("organisation").order_by(
        "-start_date", "-created_at"
    )
    if category:
        queryset = queryset.filter(category=category)
    if status:
        queryset = queryset.filter(status=status)
    return queryset


def referral_list_for_case(*, case: Case) -> QuerySet[Referral]:
    return case.referrals.select_related("organisation").order_by("-referral_date", "-created_at")


def movement_list_for_case(*, case: Case) -> QuerySet[Movement]:
    return (
        case.movements.select_related("reception_organisation", "reception_mission")
        .prefetch_related("legs")
        .order_by("-created_at")
    )


def support_plan_for_case(*, case: Case) -> SupportPlan | None:
    return SupportPlan.objects.filter(case=case).first()


def case_assistance_get(*, user, case_id: Any, section: str) -> Case:
    """A case whose assistance records (notes and reasoning included) are about to be shown:
    the read is audited, naming the section read and nothing of its content."""
    case = access_case_by_id(user=user, case_id=case_id)
    audit_record(actor=user, action=AuditAction.CASE_VIEWED, case=case, detail={"section": section})
    return case


def interview_get(*, user, interview_id: Any) -> AssistanceInterview:
    """An assistance interview opened by a person: its notes are shown, so the read is audited."""
    interview = access_interview_by_id(user=user, interview_id=interview_id)
    audit_record(actor=user, action=AuditAction.CASE_VIEWED, case=interview.case, obj=interview)
    return interview


def movement_get(*, user, movement_id: Any) -> Movement:
    """A movement with its legs, opened by a person: places are shown, so the read is audited."""
    movement = access_movement_by_id(user=user, movement_id=movement_id)
    models.prefetch_related_objects([movement], "legs")
    audit_record(actor=user, action=AuditAction.CASE_VIEWED, case=movement.case, obj=movement)
    return movement


def movement_list_upcoming(*, user) -> QuerySet[Movement]:
    """Planned or confirmed movements of the cases ``user`` may see, the next leg soonest first.

    The next leg is the earliest one not yet travelled; a movement without one comes last."""
    return (
        Movement.objects.filter(
            case__in=Case.objects.visible_to(user),
            status__in=[Movement.Status.PLANNED, Movement.Status.CONFIRMED],
        )
        # The cases of the few rows shown are fetched apart, and the next leg is a subquery:
        # joining cases (or grouping legs) made the planner scan the whole case table for
        # every dashboard (55 ms over 100,000 cases; see benchmarks/bench_case_page.py).
        .prefetch_related("case")
        .annotate(
            next_leg_date=Subquery(
                MovementLeg.objects.filter(movement=OuterRef("pk"), actual_date__isnull=True)
                .order_by("planned_date")
                .values("planned_date")[:1]
            )
        )
        .order_by(F("next_leg_date").asc(nulls_last=True), "-created_at")
    )


def service_list_in_progress(*, user) -> QuerySet[AssistanceService]:
    """Services in progress in the cases ``user`` may see, the longest running first."""
    return (
        AssistanceService.objects.filter(
            case__in=Case.objects.visible_to(user), status=AssistanceService.Status.IN_PROGRESS
        )
        .select_related("case", "organisation")
        .order_by(F("start_date").asc(nulls_last=True), "created_at")
    )


# Further trafficking details


def access_detail_change_by_id(
    *, user, change_id: Any, for_update: bool = False
) -> TraffickingDetailChange:
    return access_case_record_by_id(
        model=TraffickingDetailChange, user=user, object_id=change_id, for_update=for_update
    )


def detail_change_list_for_case(*, case: Case) -> QuerySet[TraffickingDetailChange]:
    """Every further detail of a scoped ``case``, newest first."""
    return case.trafficking_detail_changes.select_related(
        "created_by", "reviewed_by", "interview"
    ).order_by("-created_at", "-pk")


def detail_review_queue(*, user) -> QuerySet[TraffickingDetailChange]:
    """Further details awaiting review, oldest first. Central administrators only."""
    if not (user.is_authenticated and user.sees_all_missions):
        return TraffickingDetailChange.objects.none()
    return (
        TraffickingDetailChange.objects.filter(
            case__in=Case.objects.visible_to(user),
            status=TraffickingDetailChange.Status.PENDING,
        )
        .select_related("case", "case__mission", "created_by")
        .order_by("created_at", "pk")
    )


def _screening_provenance(screening) -> dict[str, Any]:
    author = screening.interviewer or screening.created_by
    return {
        "source": "screening",
        "change_id": None,
        "date": screening.interview_date,
        "author_id": author.pk,
        "author_name": str(author),
        "kind": "",
        "kind_label": "",
        "reviewer_id": screening.reviewed_by_id,
        "reviewer_name": str(screening.reviewed_by) if screening.reviewed_by else "",
        "reviewed_at": screening.reviewed_at,
    }


def _change_provenance(change: TraffickingDetailChange) -> dict[str, Any]:
    return {
        "source": "change",
        "change_id": change.pk,
        "date": change.created_at,
        "author_id": change.created_by_id,
        "author_name": str(change.created_by),
        "kind": change.kind,
        "kind_label": change.get_kind_display(),
        "reviewer_id": change.reviewed_by_id,
        "reviewer_name": str(change.reviewed_by) if change.reviewed_by else "",
        "reviewed_at": change.reviewed_at,
    }


def _no_provenance() -> dict[str, Any]:
    return {
        "source": "",
        "change_id": None,
        "date": None,
        "author_id": None,
        "author_name": "",
        "kind": "",
        "kind_label": "",
        "reviewer_id": None,
        "reviewer_name": "",
        "reviewed_at": None,
    }


def _row_entry(item, position, value, text, provenance) -> dict[str, Any]:
    return {
        "position": position,
        "value": value,
        "text": text,
        "display": display_row(item, value, text),
        "provenance": provenance,
    }


def _pending_entry(change: TraffickingDetailChange) -> dict[str, Any]:
    item = profile_items().get(change.item)
    if item is None:
        display: list = []
    elif item.is_rows:
        display = display_row(item, change.value, change.value_text)
    else:
        display = [("", ", ".join(display_value(item, change.value, change.value_text)))]
    return {
        "change": change,
        "item_label": item.label if item else change.item,
        "display": display,
        "provenance": _change_provenance(change),
    }


def trafficking_profile_querysets(*, case: Case) -> dict[str, QuerySet]:
    """What the current trafficking profile of a scoped ``case`` is built from."""
    current = screening_approved_latest_first(case=case)[:1]
    return {
        "screening": current.select_related("interviewer", "created_by", "reviewed_by"),
        "events": TraffickingEvent.objects.filter(screening__in=current.values("pk")),
        "perpetrators": Perpetrator.objects.filter(screening__in=current.values("pk")),
        "changes": case.trafficking_detail_changes.exclude(
            status=TraffickingDetailChange.Status.REJECTED
        )
        .select_related("created_by", "reviewed_by")
        .order_by("created_at", "pk"),
    }


def trafficking_profile_current(*, case: Case) -> dict[str, Any]:
    """The case's current trafficking profile (``trafficking_profile_build``) in one query
    whatever the number of details or rows. ``case`` must come from a scoped read
    (``access_case_by_id``/``case_get``)."""
    rows = fetch_together(trafficking_profile_querysets(case=case))
    return trafficking_profile_build(case=case, rows=rows)


def trafficking_profile_build(*, case: Case, rows: dict[str, list]) -> dict[str, Any]:
    """The case's current trafficking profile: for each item, the latest accepted further
    detail, else the current (latest approved) screening's answer, each with where it came
    from. Pending details are listed apart and change nothing yet.
    """
    screening = rows["screening"][0] if rows["screening"] else None
    if screening is not None:
        attach_prefetched([screening], "events", rows["events"], "screening_id")
        attach_prefetched([screening], "perpetrators", rows["perpetrators"], "screening_id")
    changes = rows["changes"]
    accepted = [c for c in changes if c.status == TraffickingDetailChange.Status.ACCEPTED]
    items = []
    for item in profile_items().values():
        mine = [c for c in accepted if c.item == item.code]
        entry: dict[str, Any] = {"item": item.code, "label": item.label, "section": item.section}
        if item.is_rows:
            by_position: dict[Any, dict[str, Any]] = {}
            for position, value, text in screening_rows(item, screening):
                by_position[position] = _row_entry(
                    item, position, value, text, _screening_provenance(screening)
                )
            added = []
            for change in mine:
                provenance = _change_provenance(change)
                if change.row_position is None:
                    added.append(
                        _row_entry(item, None, change.value, change.value_text, provenance)
                    )
                elif change.row_position in by_position and change.screening_id == screening.pk:
                    by_position[change.row_position] = _row_entry(
                        item, change.row_position, change.value, change.value_text, provenance
                    )
            entry.update(is_rows=True, rows=[*by_position.values(), *added])
        else:
            if mine:
                latest = mine[-1]
                value, text = latest.value, latest.value_text
                provenance = _change_provenance(latest)
            else:
                value, text = screening_value(item, screening)
                provenance = (
                    _screening_provenance(screening) if screening is not None else _no_provenance()
                )
            entry.update(
                is_rows=False,
                value=value,
                text=text,
                display=display_value(item, value, text),
                provenance=provenance,
            )
        items.append(entry)
    pending = [
        _pending_entry(c) for c in changes if c.status == TraffickingDetailChange.Status.PENDING
    ]
    return {"case": case, "screening": screening, "items": items, "pending": pending}


def trafficking_profile_item(*, profile: dict[str, Any], item: str) -> dict[str, Any] | None:
    return next((entry for entry in profile["items"] if entry["item"] == item), None)


# Sharing a case with another mission, decided jointly


def access_proposal_by_id(
    *, user, proposal_id: Any, for_update: bool = False
) -> CaseAccessProposal:
    """A proposal the user may act on or read: its case is visible to them, or it is addressed
    to one of their missions. The same 404 for anything else and for a missing one."""
    try:
        parsed = int(str(proposal_id))
    except (TypeError, ValueError):
        raise Http404 from None
    if not (user.is_authenticated and user.is_active) or user.is_researcher:
        raise Http404
    queryset = CaseAccessProposal.objects.select_related(
        "case", "case__mission", "mission", "proposing_mission", "proposed_by", "decided_by"
    )
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    scope = Q(case__in=Case.objects.visible_to(user)) | Q(
        mission_id__in=user.caseworker_mission_ids
    )
    proposal = queryset.filter(scope, pk=parsed).first()
    if proposal is None:
        mission_id = (
            CaseAccessProposal.objects.filter(pk=parsed)
            .values_list("case__mission_id", flat=True)
            .first()
        )
        if mission_id is not None:
            raise refuse_access(
                user=user,
                object_type=CaseAccessProposal._meta.label_lower,
                object_id=str(parsed),
                mission_id=mission_id,
            )
        raise Http404
    return proposal


def proposal_list_for_case(*, case: Case) -> QuerySet[CaseAccessProposal]:
    """The sharing proposals of a scoped ``case``, newest first."""
    return case.access_proposals.select_related(
        "mission", "proposing_mission", "proposed_by", "decided_by"
    ).order_by("-proposed_at", "-pk")


def proposals_awaiting_decision(*, user) -> QuerySet[CaseAccessProposal]:
    """Pending proposals addressed to the user's missions, oldest first. Not case-scoped: the
    receiving mission cannot see the case yet, so a row carries only the case reference, the
    proposing mission, the reason and the date (never person data)."""
    if not user.is_authenticated or user.is_researcher or not user.caseworker_mission_ids:
        return CaseAccessProposal.objects.none()
    return (
        CaseAccessProposal.objects.filter(
            mission_id__in=user.caseworker_mission_ids,
            status=CaseAccessProposal.Status.PENDING,
        )
        .select_related("case", "mission", "proposing_mission")
        .only(
            "id",
            "version",
            "reason",
            "status",
            "proposed_at",
            "case__id",
            "case__reference",
            "mission__id",
            "mission__code",
            "mission__name",
            "proposing_mission__id",
            "proposing_mission__code",
            "proposing_mission__name",
        )
        .order_by("proposed_at", "pk")
    )


def access_case_access_by_id(
    *, user, access_id: Any, for_update: bool = False
) -> CaseMissionAccess:
    """A sharing of a case the user may see; the same 404 for anything else and for a missing
    one. Only ASCII digits are an id: ``int()`` would take "²"-like digits and then fail."""
    text = str(access_id)
    if not (text.isascii() and text.isdigit()):
        raise Http404
    queryset = CaseMissionAccess.objects.filter(
        case__in=Case.objects.visible_to(user)
    ).select_related("case", "mission")
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    access = queryset.filter(pk=int(text)).first()
    if access is None:
        mission_id = (
            CaseMissionAccess.objects.filter(pk=int(text))
            .values_list("case__mission_id", flat=True)
            .first()
        )
        if mission_id is not None:
            raise refuse_access(
                user=user,
                object_type=CaseMissionAccess._meta.label_lower,
                object_id=text,
                mission_id=mission_id,
            )
        raise Http404
    return access


def case_access_list_for_case(*, case: Case) -> QuerySet[CaseMissionAccess]:
    """The live shares of a scoped ``case``."""
    return case.mission_accesses.filter(revoked_at__isnull=True).select_related(
        "mission", "granted_by"
    )


def case_sharing_querysets(*, case: Case, user) -> dict[str, QuerySet]:
    return {
        "proposals": proposal_list_for_case(case=case)[:SHARING_PANEL_LIMIT],
        "accesses": case_access_list_for_case(case=case),
    }


def case_sharing_build(*, case: Case, user, rows: dict[str, list]) -> dict[str, Any]:
    proposals = rows["proposals"]
    return {
        "case": case,
        "accesses": rows["accesses"],
        "pending": [p for p in proposals if p.status == CaseAccessProposal.Status.PENDING],
        "decided": [p for p in proposals if p.status != CaseAccessProposal.Status.PENDING],
        # A closed case is read-only: nothing new is proposed for it (revoking stays possible).
        "can_propose": case.mission_id in user.caseworker_mission_ids and not case.is_closed,
        "is_central_admin": user.sees_all_missions,
    }


def case_sharing_panel(*, case: Case, user) -> dict[str, Any]:
    """What the case page shows of its sharing, in one query.

    ``case`` must come from a scoped read (``access_case_by_id``/``case_get``).
    """
    rows = fetch_together(case_sharing_querysets(case=case, user=user))
    return case_sharing_build(case=case, user=user, rows=rows)
