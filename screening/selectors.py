"""Reads of screenings. Scoping always comes from the case: ``Case.objects.visible_to``."""

from __future__ import annotations

from typing import Any

from django.db.models import F, QuerySet, prefetch_related_objects

from cases.audit import audit_record
from cases.models import AuditAction, AuditEvent, Case
from cases.selectors import access_case_record_by_id
from cases.vocabularies import ExploitationType, MeansOfControl, country_names
from config.querybatch import attach_prefetched, fetch_together

from .models import OPEN_CASE_STATUSES, Screening, TraffickingEvent


def screening_queryset(*, user) -> QuerySet[Screening]:
    return Screening.objects.filter(case__in=Case.objects.visible_to(user))


def access_screening_by_id(*, user, screening_id: Any, for_update: bool = False) -> Screening:
    """The screening if its case is visible to ``user``; the same 404 otherwise."""
    return access_case_record_by_id(
        model=Screening, user=user, object_id=screening_id, for_update=for_update
    )


def screening_approved_latest_first(*, case: Case) -> QuerySet[Screening]:
    """The approved screenings of a case, the current one first (as the research mart orders
    them: latest review, then latest created)."""
    return case.screenings.filter(status=Screening.Status.APPROVED).order_by(
        F("reviewed_at").desc(nulls_last=True), "-created_at"
    )


def screening_current(*, case: Case) -> Screening | None:
    """The latest approved screening of a case: the one whose answers are current."""
    return screening_approved_latest_first(case=case).prefetch_related("events").first()


def screening_list_for_case(*, case: Case) -> QuerySet[Screening]:
    return case.screenings.select_related("created_by", "submitted_by", "reviewed_by").order_by(
        "-created_at"
    )


def review_queue(*, user, mission_id: int | None = None) -> QuerySet[Screening]:
    """Submitted determinations awaiting review, oldest first. Central administrators only."""
    if not (user.is_authenticated and user.sees_all_missions):
        return Screening.objects.none()
    queryset = (
        screening_queryset(user=user)
        .filter(status=Screening.Status.SUBMITTED)
        .select_related("case", "case__mission", "submitted_by")
        .order_by("submitted_at", "pk")
    )
    if mission_id is not None:
        queryset = queryset.filter(case__mission_id=mission_id)
    return queryset


def route_countries(*, screening: Screening) -> list[str]:
    """The route as an ordered list of country codes, consecutive repeats collapsed."""
    route: list[str] = []
    for event in screening.events.all():
        if not route or route[-1] != event.country:
            route.append(event.country)
    return route


def screening_get(*, user, screening_id: Any) -> Screening:
    """A screening opened by a person: its answers are shown, so the read is audited."""
    screening = access_screening_by_id(user=user, screening_id=screening_id)
    prefetch_related_objects([screening], "events", "perpetrators")
    audit_record(
        actor=user, action=AuditAction.SCREENING_VIEWED, case=screening.case, obj=screening
    )
    return screening


def screening_case_querysets(*, case: Case, user) -> dict[str, QuerySet]:
    """What the case page's screening panel reads (``case`` from a scoped read)."""
    return {
        "screenings": case.screenings.order_by("-created_at", "-pk"),
        "events": TraffickingEvent.objects.filter(screening__case=case).order_by(
            "screening", "position"
        ),
    }


def screening_case_build(*, case: Case, user, rows: dict[str, list]) -> dict[str, Any]:
    screenings = rows["screenings"]
    attach_prefetched(screenings, "events", rows["events"], "screening_id")
    approved = [s for s in screenings if s.status == Screening.Status.APPROVED]
    current = max(approved, key=lambda s: s.reviewed_at, default=None)
    open_screenings = [s for s in screenings if s.status != Screening.Status.APPROVED]
    names = country_names()
    route = (
        [(code, names.get(code, code)) for code in route_countries(screening=current)]
        if current is not None
        else []
    )
    return {
        "case": case,
        "current": current,
        "route": route,
        "exploitation_types": _labels(current, "exploitation_types", ExploitationType),
        "means_of_control": _labels(current, "means_of_control", MeansOfControl),
        "open_screenings": open_screenings,
        "earlier": [s for s in approved if s is not current],
        "can_start": (
            not user.is_researcher and case.status in OPEN_CASE_STATUSES and not open_screenings
        ),
    }


def screening_case_panel(*, case: Case, user) -> dict[str, Any]:
    """What the case page shows of its screenings, in one query whatever their number.

    ``case`` must come from a scoped read (``access_case_by_id``/``case_get``).
    """
    rows = fetch_together(screening_case_querysets(case=case, user=user))
    return screening_case_build(case=case, user=user, rows=rows)


def _labels(screening: Screening | None, field: str, choices) -> list[str]:
    if screening is None:
        return []
    labels = dict(choices.choices)
    return [labels.get(code, code) for code in getattr(screening, field)]


def saved_sections(screening: Screening) -> set[str]:
    """The sections a caseworker has saved: their audit rows name the section and nothing else."""
    details = AuditEvent.objects.filter(
        case_id=screening.case_id,
        action=AuditAction.SCREENING_SECTION_SAVED,
        object_id=str(screening.pk),
    ).values_list("detail", flat=True)
    return {detail.get("section") for detail in details}
