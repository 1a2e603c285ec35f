"""Reads of assistance records. Scoping always comes from the case: ``Case.objects.visible_to``."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import QuerySet

from cases.audit import audit_record
from cases.models import AuditAction, Case
from cases.selectors import access_case_by_id, access_case_record_by_id

from .models import (
    AssistanceInterview,
    AssistanceService,
    Movement,
    Organisation,
    Referral,
    SupportPlan,
)


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
