"""Writes to assistance records: directory, interviews, support plan, services, referrals,
movement, and sharing a case with another mission."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

import pycountry
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Mission, User
from cases.audit import audit_record
from cases.models import AuditAction, Case, CaseAccessReason, CaseMissionAccess
from cases.selectors import access_case_by_id
from cases.services import case_require_open
from cases.vocabularies import CaseStatus, validate_codes
from config.errors import ApplicationError, StaleVersionError
from config.validation import (
    error_add,
    error_if_in_future,
    refuse_unknown_fields,
)
from screening.selectors import screening_current

from .models import (
    SERVICE_SUB_TYPES,
    AssessmentDecision,
    AssistanceInterview,
    AssistanceService,
    CaseAccessProposal,
    Movement,
    MovementLeg,
    MovementType,
    Organisation,
    Provider,
    Referral,
    ServiceCategory,
    SupportPlan,
    TraffickingDetailChange,
    TraffickingDetailKind,
    TravelDocumentStatus,
)
from .profile_items import UNKNOWN_ITEM_MESSAGE, ProfileItem, clean_value, is_empty, profile_items
from .selectors import (
    access_case_access_by_id,
    access_detail_change_by_id,
    access_interview_by_id,
    access_movement_by_id,
    access_proposal_by_id,
    access_service_by_id,
    access_support_plan_by_id,
    trafficking_profile_current,
    trafficking_profile_item,
)

NOT_ADMIN_MESSAGE = gettext_noop("Only a central administrator can do this.")
CASE_NOT_ACTIVE_MESSAGE = gettext_noop("Assistance can only be recorded for an active case.")
STALE_MESSAGE = gettext_noop(
    "This record was changed by someone else since you opened it. Reload it; "
    "nothing you submitted was saved."
)
PLAN_EXISTS_MESSAGE = gettext_noop("This case already has a support plan; edit it instead.")
END_BEFORE_START_MESSAGE = gettext_noop("The end date is before the start date.")
SUB_TYPE_MISMATCH_MESSAGE = gettext_noop("This sub-type does not belong to the chosen category.")
STAY_DATES_ONLY_FOR_ACCOMMODATION = gettext_noop(
    "Admission and exit dates apply only to accommodation."
)
ORGANISATION_REQUIRED_MESSAGE = gettext_noop(
    "Choose the partner organisation providing this service."
)
ORGANISATION_NOT_ALLOWED_MESSAGE = gettext_noop(
    "A service provided by IOM has no partner organisation."
)
INACTIVE_ORGANISATION_MESSAGE = gettext_noop("This organisation is not active in the directory.")
COST_INVALID_MESSAGE = gettext_noop("Enter the cost as a number, e.g. 125.50.")
COST_NEGATIVE_MESSAGE = gettext_noop("A cost cannot be negative.")
COST_PRECISION_MESSAGE = gettext_noop("A cost has at most two decimal places.")
COST_TOO_LARGE_MESSAGE = gettext_noop("This cost is too large.")
CURRENCY_INVALID_MESSAGE = gettext_noop("Enter an ISO 4217 currency code, e.g. EUR.")
CURRENCY_REQUIRED_MESSAGE = gettext_noop("Give the currency of the cost.")
CURRENCY_WITHOUT_COST_MESSAGE = gettext_noop("A currency applies only with a cost.")
SERVICE_FINAL_MESSAGE = gettext_noop("This service is finished; its status can no longer change.")
SERVICE_TRANSITION_MESSAGE = gettext_noop(
    "A service cannot move to this status from its current one."
)
CONSENT_REQUIRED_MESSAGE = gettext_noop(
    "Record the person's consent before making a referral that shares their personal data."
)
INCOMING_CONSENT_MESSAGE = gettext_noop("Consent to share applies only to an outgoing referral.")
LEGS_NOT_ALLOWED_MESSAGE = gettext_noop("Local integration involves no travel, so it has no legs.")
LEGS_REQUIRED_MESSAGE = gettext_noop("Add at least one leg of the journey.")
SAME_COUNTRY_MESSAGE = gettext_noop("Origin and destination are the same country.")
LOCAL_INTEGRATION_COUNTRY_MESSAGE = gettext_noop("Local integration stays in the origin country.")
RECEPTION_BOTH_MESSAGE = gettext_noop(
    "Choose a receiving organisation or a receiving mission, not both."
)
OPEN_MOVEMENT_EXISTS_MESSAGE = gettext_noop("This case already has a movement in progress.")
MOVEMENT_ORDER_MESSAGE = gettext_noop(
    "A movement goes planned, confirmed, departed, arrived, in that order, or is cancelled."
)
MOVEMENT_FINAL_MESSAGE = gettext_noop(
    "This movement has arrived or been cancelled; it can no longer change."
)
NO_GO_MESSAGE = gettext_noop("The pre-departure assessment is no-go: the person cannot depart.")
ASSESSMENT_REQUIRED_MESSAGE = gettext_noop("Record a go pre-departure assessment before departure.")
ASSESSMENT_REASONING_REQUIRED = gettext_noop("Give the reasoning of the assessment.")
DECISION_REQUIRED_MESSAGE = gettext_noop("Choose go or no-go.")
DOCUMENT_PENDING_MESSAGE = gettext_noop("The travel document is still being issued.")
ORGANISATION_EXISTS_MESSAGE = gettext_noop("This organisation is already in the directory.")
REASON_REQUIRED_MESSAGE = gettext_noop("Choose a reason.")
INTERVIEWER_OUT_OF_SCOPE_MESSAGE = gettext_noop("The interviewer must be able to see this case.")
ACCESS_OWN_MISSION_MESSAGE = gettext_noop("The case already belongs to this mission.")
ACCESS_EXISTS_MESSAGE = gettext_noop("The case is already shared with this mission.")
INACTIVE_MISSION_MESSAGE = gettext_noop("This mission is not active.")
ACCESS_NOT_LIVE_MESSAGE = gettext_noop("This sharing has already been revoked.")
KIND_REQUIRED_MESSAGE = gettext_noop("Choose addition or correction.")
CHANGE_REASON_REQUIRED_MESSAGE = gettext_noop("Give the reason for the change.")
INTERVIEW_NOT_OF_CASE_MESSAGE = gettext_noop("Choose an assistance interview of this case.")
ROW_REQUIRED_MESSAGE = gettext_noop("Choose the row of the screening that this corrects.")
ROW_NOT_FOUND_MESSAGE = gettext_noop("The current screening has no such row.")
ROW_ONLY_FOR_CORRECTION_MESSAGE = gettext_noop(
    "An addition adds a new row; only a correction names a row."
)
ROW_ONLY_FOR_ROWS_MESSAGE = gettext_noop("Only route steps and perpetrators have rows.")
NOTHING_TO_ADD_MESSAGE = gettext_noop("An addition needs an answer to add.")
ADDITION_CHANGES_ANSWER_MESSAGE = gettext_noop(
    "This would change the current answer, not add to it: record a correction instead."
)
NO_CHANGE_MESSAGE = gettext_noop("This is the current answer already.")
DETAIL_DUPLICATE_MESSAGE = gettext_noop("The same change is already waiting for review.")
DETAIL_ALREADY_REVIEWED_MESSAGE = gettext_noop("This change has already been reviewed.")
SELF_REVIEW_MESSAGE = gettext_noop("You recorded this change, so someone else must review it.")
SCREENING_CHANGED_MESSAGE = gettext_noop(
    "A newer screening was approved since this correction was recorded: its rows may differ. "
    "Reject it and record the correction again."
)
PROPOSER_NOT_OF_CASE_MISSION_MESSAGE = gettext_noop(
    "Only a caseworker of the case's own mission can propose sharing it."
)
PROPOSAL_PENDING_MESSAGE = gettext_noop("Sharing with this mission has already been proposed.")
DECIDER_NOT_OF_RECEIVING_MESSAGE = gettext_noop(
    "Only a caseworker of the receiving mission can decide."
)
SELF_DECISION_MESSAGE = gettext_noop("You made this proposal, so you cannot decide it.")
DUAL_MEMBERSHIP_MESSAGE = gettext_noop(
    "You work for both missions, so you cannot decide alone: another caseworker of the "
    "receiving mission must decide."
)
PROPOSAL_NOT_PENDING_MESSAGE = gettext_noop("This proposal has already been decided or withdrawn.")
WITHDRAWER_NOT_PROPOSING_MESSAGE = gettext_noop(
    "Only the proposing mission can withdraw this proposal."
)

ASSISTANCE_CASE_STATUSES = frozenset({CaseStatus.ACTIVE, CaseStatus.FOLLOW_UP})
COST_MAX = Decimal("9999999999.99")

SERVICE_TRANSITIONS: dict[str, frozenset[str]] = {
    AssistanceService.Status.PLANNED: frozenset(
        {
            AssistanceService.Status.IN_PROGRESS,
            AssistanceService.Status.PROVIDED,
            AssistanceService.Status.DECLINED,
            AssistanceService.Status.CANCELLED,
        }
    ),
    AssistanceService.Status.IN_PROGRESS: frozenset(
        {
            AssistanceService.Status.PROVIDED,
            AssistanceService.Status.DECLINED,
            AssistanceService.Status.CANCELLED,
        }
    ),
}

MOVEMENT_NEXT: dict[str, str] = {
    Movement.Status.PLANNED: Movement.Status.CONFIRMED,
    Movement.Status.CONFIRMED: Movement.Status.DEPARTED,
    Movement.Status.DEPARTED: Movement.Status.ARRIVED,
}
MOVEMENT_FINAL = frozenset({Movement.Status.ARRIVED, Movement.Status.CANCELLED})

INTERVIEW_FIELDS = (
    "interview_date",
    "interviewer",
    "language",
    "interpreter_used",
    "immediate_needs",
    "immediate_needs_notes",
    "health_needs",
    "health_notes",
    "psychosocial_support_needed",
    "psychosocial_notes",
    "legal_needs",
    "legal_notes",
    "documentation_needs",
    "documentation_notes",
    "safety_risk_level",
    "safety_risk_reasoning",
    "wish",
    "wish_notes",
)
SUPPORT_PLAN_FIELDS = (
    "plan_types",
    "objectives",
    "action_plan",
    "start_date",
    "planned_end_date",
    "actual_end_date",
)


def _merge(errors: dict[str, list[str]], more: dict[str, list[str]]) -> None:
    for key, values in more.items():
        errors.setdefault(key, []).extend(values)


def _unknown_codes(obj: models.Model) -> dict[str, list[str]]:
    """Coded lists holding a value outside their vocabulary.

    Checked before Django's own validation: ArrayField formats its item error twice, so an
    unknown code containing "%" would raise ValueError (a 500) instead of being reported.
    """
    errors: dict[str, list[str]] = {}
    for field in obj._meta.fields:
        if isinstance(field, ArrayField) and field.base_field.choices:
            allowed = frozenset(str(code) for code, _label in field.base_field.choices)
            try:
                validate_codes([str(v) for v in getattr(obj, field.name) or []], allowed)
            except ValidationError as exc:
                errors[field.name] = exc.messages
    return errors


def _validate(obj: models.Model, errors: dict[str, list[str]], exclude: list[str]) -> None:
    """Collect the model's own field and row checks into ``errors``; raise if any."""
    unknown = _unknown_codes(obj)
    _merge(errors, unknown)
    try:
        obj.full_clean(exclude=[*exclude, *unknown], validate_unique=False)
    except ValidationError as exc:
        _merge(errors, exc.message_dict)
    if errors:
        raise ValidationError(errors)


def _assistance_case(*, actor: User, case_id: Any, statuses: frozenset[str]) -> Case:
    case = access_case_by_id(user=actor, case_id=case_id, for_update=True)
    if case.status not in statuses:
        raise ApplicationError(_(CASE_NOT_ACTIVE_MESSAGE), code="case_not_active")
    return case


def _require_central_admin(actor: User) -> None:
    if not actor.sees_all_missions:
        raise ApplicationError(_(NOT_ADMIN_MESSAGE), code="not_admin")


# Organisation directory


@transaction.atomic
def organisation_create(
    *, actor: User, name: str, organisation_type: str, country: str
) -> Organisation:
    _require_central_admin(actor)
    organisation = Organisation(
        name=name.strip(), organisation_type=organisation_type, country=country
    )
    _validate(organisation, {}, exclude=[])
    if Organisation.objects.filter(name__iexact=organisation.name, country=country).exists():
        raise ValidationError({"name": [_(ORGANISATION_EXISTS_MESSAGE)]})
    organisation.save()
    audit_record(actor=actor, action=AuditAction.ORGANISATION_CREATED, obj=organisation)
    return organisation


@transaction.atomic
def organisation_set_active(*, actor: User, organisation_id: int, is_active: bool) -> Organisation:
    """Deactivate rather than delete: past services and referrals still point at it."""
    _require_central_admin(actor)
    organisation = Organisation.objects.select_for_update().filter(pk=organisation_id).first()
    if organisation is None:
        raise Http404
    organisation.is_active = is_active
    organisation.save(update_fields=["is_active", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.ORGANISATION_UPDATED,
        obj=organisation,
        detail={"is_active": is_active},
    )
    return organisation


def _active_organisation(
    organisation: Organisation | None, field: str, errors: dict[str, list[str]]
) -> None:
    if organisation is not None and not organisation.is_active:
        error_add(errors, field, INACTIVE_ORGANISATION_MESSAGE)


# Assistance interview


def _interview_checks(interview: AssistanceInterview) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    error_if_in_future(errors, "interview_date", interview.interview_date)
    interviewer = interview.interviewer
    if not Case.objects.visible_to(interviewer).filter(pk=interview.case_id).exists():
        error_add(errors, "interviewer", INTERVIEWER_OUT_OF_SCOPE_MESSAGE)
    return errors


@transaction.atomic
def interview_record(*, actor: User, case_id: Any, data: dict[str, Any]) -> AssistanceInterview:
    """Record an assistance interview. Only an active case is being assisted."""
    refuse_unknown_fields(data, INTERVIEW_FIELDS)
    case = _assistance_case(actor=actor, case_id=case_id, statuses=frozenset({CaseStatus.ACTIVE}))
    interview = AssistanceInterview(case=case, created_by=actor, interviewer=actor)
    for field, value in data.items():
        setattr(interview, field, value)
    _validate(interview, _interview_checks(interview), exclude=["case", "created_by"])
    interview.save()
    audit_record(
        actor=actor, action=AuditAction.ASSISTANCE_INTERVIEW_RECORDED, case=case, obj=interview
    )
    return interview


@transaction.atomic
def interview_update(
    *, actor: User, interview_id: Any, version: int, data: dict[str, Any]
) -> AssistanceInterview:
    refuse_unknown_fields(data, INTERVIEW_FIELDS)
    interview = access_interview_by_id(user=actor, interview_id=interview_id, for_update=True)
    if interview.version != version:
        raise StaleVersionError(_(STALE_MESSAGE))
    _assistance_case(
        actor=actor, case_id=interview.case_id, statuses=frozenset({CaseStatus.ACTIVE})
    )
    for field, value in data.items():
        setattr(interview, field, value)
    _validate(interview, _interview_checks(interview), exclude=["case", "created_by"])
    interview.version += 1
    interview.save()
    audit_record(
        actor=actor,
        action=AuditAction.ASSISTANCE_INTERVIEW_UPDATED,
        case=interview.case,
        obj=interview,
        detail={"fields": sorted(data)},
    )
    return interview


# Support plan


def _plan_checks(plan: SupportPlan) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    start = plan.start_date
    if isinstance(start, datetime.date):
        for field in ("planned_end_date", "actual_end_date"):
            end = getattr(plan, field)
            if isinstance(end, datetime.date) and end < start:
                error_add(errors, field, END_BEFORE_START_MESSAGE)
    error_if_in_future(errors, "actual_end_date", plan.actual_end_date)
    return errors


@transaction.atomic
def support_plan_create(*, actor: User, case_id: Any, data: dict[str, Any]) -> SupportPlan:
    refuse_unknown_fields(data, SUPPORT_PLAN_FIELDS)
    case = _assistance_case(actor=actor, case_id=case_id, statuses=ASSISTANCE_CASE_STATUSES)
    if SupportPlan.objects.filter(case=case).exists():
        raise ApplicationError(_(PLAN_EXISTS_MESSAGE), code="plan_exists")
    plan = SupportPlan(case=case, created_by=actor, start_date=timezone.localdate())
    for field, value in data.items():
        setattr(plan, field, value)
    _validate(plan, _plan_checks(plan), exclude=["case", "created_by"])
    plan.save()
    audit_record(actor=actor, action=AuditAction.SUPPORT_PLAN_CREATED, case=case, obj=plan)
    return plan


@transaction.atomic
def support_plan_update(
    *, actor: User, plan_id: Any, version: int, data: dict[str, Any]
) -> SupportPlan:
    refuse_unknown_fields(data, SUPPORT_PLAN_FIELDS)
    plan = access_support_plan_by_id(user=actor, plan_id=plan_id, for_update=True)
    if plan.version != version:
        raise StaleVersionError(_(STALE_MESSAGE))
    _assistance_case(actor=actor, case_id=plan.case_id, statuses=ASSISTANCE_CASE_STATUSES)
    for field, value in data.items():
        setattr(plan, field, value)
    _validate(plan, _plan_checks(plan), exclude=["case", "created_by"])
    plan.version += 1
    plan.save()
    audit_record(
        actor=actor,
        action=AuditAction.SUPPORT_PLAN_UPDATED,
        case=plan.case,
        obj=plan,
        detail={"fields": sorted(data)},
    )
    return plan


# Assistance services


def parse_cost(value: Any, errors: dict[str, list[str]]) -> Decimal | None:
    """An exact, non-negative amount with at most two decimals, or None when not given."""
    if value is None or value == "":
        return None
    if isinstance(value, float):
        # A float has already lost exactness; only its shortest decimal form is meaningful.
        value = repr(value)
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        error_add(errors, "cost", COST_INVALID_MESSAGE)
        return None
    if not amount.is_finite():
        error_add(errors, "cost", COST_INVALID_MESSAGE)
        return None
    if amount < 0:
        error_add(errors, "cost", COST_NEGATIVE_MESSAGE)
        return None
    # Checked before the precision test: quantizing a huge amount overflows the context.
    if amount > COST_MAX:
        error_add(errors, "cost", COST_TOO_LARGE_MESSAGE)
        return None
    if amount != amount.quantize(Decimal("0.01")):
        error_add(errors, "cost", COST_PRECISION_MESSAGE)
        return None
    return amount.quantize(Decimal("0.01"))


def parse_currency(value: Any, errors: dict[str, list[str]]) -> str:
    code = str(value or "").strip().upper()
    if code and (len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None):
        error_add(errors, "currency", CURRENCY_INVALID_MESSAGE)
        return ""
    return code


def _service_checks(service: AssistanceService, errors: dict[str, list[str]]) -> None:
    if service.sub_type and service.sub_type not in SERVICE_SUB_TYPES.get(
        service.category, frozenset()
    ):
        error_add(errors, "sub_type", SUB_TYPE_MISMATCH_MESSAGE)
    if service.category != ServiceCategory.ACCOMMODATION:
        for field in ("admission_date", "exit_date"):
            if getattr(service, field) is not None:
                error_add(errors, field, STAY_DATES_ONLY_FOR_ACCOMMODATION)
    pairs = (("start_date", "end_date"), ("admission_date", "exit_date"))
    for start_field, end_field in pairs:
        start, end = getattr(service, start_field), getattr(service, end_field)
        if isinstance(start, datetime.date) and isinstance(end, datetime.date) and end < start:
            error_add(errors, end_field, END_BEFORE_START_MESSAGE)
    if service.provider == Provider.ORGANISATION and service.organisation is None:
        error_add(errors, "organisation", ORGANISATION_REQUIRED_MESSAGE)
    if service.provider == Provider.IOM and service.organisation is not None:
        error_add(errors, "organisation", ORGANISATION_NOT_ALLOWED_MESSAGE)


@transaction.atomic
def service_record(
    *,
    actor: User,
    case_id: Any,
    category: str,
    provider: str,
    sub_type: str = "",
    organisation: Organisation | None = None,
    status: str = AssistanceService.Status.PLANNED,
    start_date: datetime.date | None = None,
    end_date: datetime.date | None = None,
    admission_date: datetime.date | None = None,
    exit_date: datetime.date | None = None,
    cost: Any = None,
    currency: str = "",
    notes: str = "",
) -> AssistanceService:
    """Log a service given, planned, or declined by the person (a decline is an outcome)."""
    case = _assistance_case(actor=actor, case_id=case_id, statuses=ASSISTANCE_CASE_STATUSES)
    errors: dict[str, list[str]] = {}
    amount = parse_cost(cost, errors)
    code = parse_currency(currency, errors)
    if amount is not None and not code and "currency" not in errors:
        error_add(errors, "currency", CURRENCY_REQUIRED_MESSAGE)
    if amount is None and code and "cost" not in errors:
        error_add(errors, "currency", CURRENCY_WITHOUT_COST_MESSAGE)
    service = AssistanceService(
        case=case,
        created_by=actor,
        category=category,
        sub_type=sub_type,
        provider=provider,
        organisation=organisation,
        status=status,
        start_date=start_date,
        end_date=end_date,
        admission_date=admission_date,
        exit_date=exit_date,
        cost=amount,
        currency=code,
        notes=notes,
    )
    _active_organisation(organisation, "organisation", errors)
    _service_checks(service, errors)
    _validate(service, errors, exclude=["case", "created_by", "cost", "currency"])
    service.save()
    audit_record(
        actor=actor,
        action=AuditAction.SERVICE_RECORDED,
        case=case,
        obj=service,
        detail={"category": service.category, "status": service.status},
    )
    return service


@transaction.atomic
def service_status_change(
    *,
    actor: User,
    service_id: Any,
    version: int,
    to_status: str,
    end_date: datetime.date | None = None,
) -> AssistanceService:
    """Move a service on: in progress, provided, declined by the person, or cancelled."""
    service = access_service_by_id(user=actor, service_id=service_id, for_update=True)
    if service.version != version:
        raise StaleVersionError(_(STALE_MESSAGE))
    _assistance_case(actor=actor, case_id=service.case_id, statuses=ASSISTANCE_CASE_STATUSES)
    allowed = SERVICE_TRANSITIONS.get(service.status)
    if allowed is None:
        raise ApplicationError(_(SERVICE_FINAL_MESSAGE), code="service_final")
    if to_status not in allowed:
        raise ApplicationError(
            _(SERVICE_TRANSITION_MESSAGE),
            code="invalid_transition",
            errors={"to_status": [_(SERVICE_TRANSITION_MESSAGE)]},
        )
    from_status = service.status
    service.status = to_status
    if end_date is not None:
        service.end_date = end_date
    errors: dict[str, list[str]] = {}
    error_if_in_future(errors, "end_date", end_date)
    _service_checks(service, errors)
    if errors:
        raise ValidationError(errors)
    service.version += 1
    service.save()
    audit_record(
        actor=actor,
        action=AuditAction.SERVICE_STATUS_CHANGED,
        case=service.case,
        obj=service,
        detail={"from": from_status, "to": to_status},
    )
    return service


# Referrals


@transaction.atomic
def referral_record(
    *,
    actor: User,
    case_id: Any,
    direction: str,
    organisation: Organisation,
    reason: str,
    referral_date: datetime.date,
    details: str = "",
    shares_personal_data: bool = False,
    consent_given: bool | None = None,
) -> Referral:
    """Record a referral. An outgoing one that shares personal data needs the person's consent,
    recorded with it; without consent nothing is saved."""
    case = _assistance_case(actor=actor, case_id=case_id, statuses=ASSISTANCE_CASE_STATUSES)
    outgoing = direction == Referral.Direction.OUTGOING
    if outgoing and shares_personal_data and consent_given is not True:
        raise ApplicationError(
            _(CONSENT_REQUIRED_MESSAGE),
            code="consent_required",
            errors={"consent_given": [_(CONSENT_REQUIRED_MESSAGE)]},
        )
    errors: dict[str, list[str]] = {}
    if not outgoing and consent_given is not None:
        error_add(errors, "consent_given", INCOMING_CONSENT_MESSAGE)
    _active_organisation(organisation, "organisation", errors)
    error_if_in_future(errors, "referral_date", referral_date)
    referral = Referral(
        case=case,
        created_by=actor,
        direction=direction,
        organisation=organisation,
        reason=reason,
        referral_date=referral_date,
        details=details,
        shares_personal_data=shares_personal_data,
        consent_given=consent_given,
    )
    if consent_given is not None:
        referral.consent_recorded_by = actor
        referral.consent_recorded_at = timezone.now()
    _validate(referral, errors, exclude=["case", "created_by", "consent_recorded_by"])
    referral.save()
    audit_record(
        actor=actor,
        action=AuditAction.REFERRAL_RECORDED,
        case=case,
        obj=referral,
        detail={
            "direction": direction,
            "reason": reason,
            "organisation_id": organisation.pk,
            "shares_personal_data": shares_personal_data,
        },
    )
    return referral


# Movement


def _movement_checks(movement: Movement, legs: list[MovementLeg]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if movement.movement_type == MovementType.LOCAL_INTEGRATION:
        if legs:
            error_add(errors, "legs", LEGS_NOT_ALLOWED_MESSAGE)
        if movement.destination_country != movement.origin_country:
            error_add(errors, "destination_country", LOCAL_INTEGRATION_COUNTRY_MESSAGE)
    else:
        if not legs:
            error_add(errors, "legs", LEGS_REQUIRED_MESSAGE)
        if movement.destination_country == movement.origin_country:
            error_add(errors, "destination_country", SAME_COUNTRY_MESSAGE)
    if movement.reception_organisation is not None and movement.reception_mission is not None:
        error_add(errors, "reception_mission", RECEPTION_BOTH_MESSAGE)
    _active_organisation(movement.reception_organisation, "reception_organisation", errors)
    if movement.reception_mission is not None and not movement.reception_mission.is_active:
        error_add(errors, "reception_mission", INACTIVE_MISSION_MESSAGE)
    return errors


def _build_legs(movement: Movement, legs: list[dict[str, Any]]) -> list[MovementLeg]:
    objects = [MovementLeg(movement=movement, position=i, **row) for i, row in enumerate(legs)]
    errors: dict[str, list[str]] = {}
    for index, leg in enumerate(objects):
        try:
            leg.full_clean(exclude=["movement"], validate_unique=False)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(f"legs.{index}.{field}", []).extend(messages)
        error_if_in_future(errors, f"legs.{index}.actual_date", leg.actual_date)
    if errors:
        raise ValidationError(errors)
    return objects


@transaction.atomic
def movement_plan(
    *,
    actor: User,
    case_id: Any,
    movement_type: str,
    origin_country: str,
    destination_country: str,
    travel_document_status: str,
    legs: list[dict[str, Any]],
    reception_organisation: Organisation | None = None,
    reception_mission: Mission | None = None,
) -> Movement:
    """Plan a return or onward movement with its legs; it starts as planned."""
    case = _assistance_case(actor=actor, case_id=case_id, statuses=ASSISTANCE_CASE_STATUSES)
    if case.movements.filter(status__in=MOVEMENT_NEXT).exists():
        raise ApplicationError(_(OPEN_MOVEMENT_EXISTS_MESSAGE), code="movement_exists")
    movement = Movement(
        case=case,
        created_by=actor,
        movement_type=movement_type,
        origin_country=origin_country,
        destination_country=destination_country,
        travel_document_status=travel_document_status,
        reception_organisation=reception_organisation,
        reception_mission=reception_mission,
    )
    leg_objects = _build_legs(movement, legs)
    _validate(movement, _movement_checks(movement, leg_objects), exclude=["case", "created_by"])
    movement.save()
    MovementLeg.objects.bulk_create(leg_objects)
    audit_record(
        actor=actor,
        action=AuditAction.MOVEMENT_PLANNED,
        case=case,
        obj=movement,
        detail={"type": movement_type, "legs": len(leg_objects)},
    )
    return movement


@transaction.atomic
def movement_assess(
    *, actor: User, movement_id: Any, version: int, decision: str, reasoning: str
) -> Movement:
    """Record the pre-departure risk and family assessment; a no-go blocks departure."""
    movement = access_movement_by_id(user=actor, movement_id=movement_id, for_update=True)
    if movement.version != version:
        raise StaleVersionError(_(STALE_MESSAGE))
    _assistance_case(actor=actor, case_id=movement.case_id, statuses=ASSISTANCE_CASE_STATUSES)
    if movement.status not in (Movement.Status.PLANNED, Movement.Status.CONFIRMED):
        raise ApplicationError(_(MOVEMENT_ORDER_MESSAGE), code="invalid_transition")
    errors: dict[str, list[str]] = {}
    if decision not in AssessmentDecision.values:
        error_add(errors, "decision", DECISION_REQUIRED_MESSAGE)
    if not reasoning.strip():
        error_add(errors, "reasoning", ASSESSMENT_REASONING_REQUIRED)
    if errors:
        raise ValidationError(errors)
    movement.assessment_decision = decision
    movement.assessment_reasoning = reasoning.strip()
    movement.assessed_by = actor
    movement.assessed_at = timezone.now()
    movement.version += 1
    movement.save()
    audit_record(
        actor=actor,
        action=AuditAction.MOVEMENT_ASSESSED,
        case=movement.case,
        obj=movement,
        detail={"decision": decision},
    )
    return movement


@transaction.atomic
def movement_transition(*, actor: User, movement_id: Any, version: int, to_status: str) -> Movement:
    """Move a movement one step on (planned → confirmed → departed → arrived) or cancel it."""
    movement = access_movement_by_id(user=actor, movement_id=movement_id, for_update=True)
    if movement.version != version:
        raise StaleVersionError(_(STALE_MESSAGE))
    _assistance_case(actor=actor, case_id=movement.case_id, statuses=ASSISTANCE_CASE_STATUSES)
    from_status = movement.status
    if from_status in MOVEMENT_FINAL:
        raise ApplicationError(_(MOVEMENT_FINAL_MESSAGE), code="movement_final")
    if to_status != Movement.Status.CANCELLED and MOVEMENT_NEXT.get(from_status) != to_status:
        raise ApplicationError(
            _(MOVEMENT_ORDER_MESSAGE),
            code="invalid_transition",
            errors={"to_status": [_(MOVEMENT_ORDER_MESSAGE)]},
        )
    if to_status == Movement.Status.DEPARTED:
        if movement.assessment_decision == AssessmentDecision.NO_GO:
            raise ApplicationError(_(NO_GO_MESSAGE), code="no_go")
        if movement.assessment_decision != AssessmentDecision.GO:
            raise ApplicationError(_(ASSESSMENT_REQUIRED_MESSAGE), code="assessment_required")
        if (
            movement.movement_type != MovementType.LOCAL_INTEGRATION
            and movement.travel_document_status == TravelDocumentStatus.BEING_ISSUED
        ):
            raise ApplicationError(_(DOCUMENT_PENDING_MESSAGE), code="document_pending")
        movement.departed_at = timezone.now()
    if to_status == Movement.Status.ARRIVED:
        movement.arrived_at = timezone.now()
    movement.status = to_status
    movement.version += 1
    movement.save()
    audit_record(
        actor=actor,
        action=AuditAction.MOVEMENT_STATUS_CHANGED,
        case=movement.case,
        obj=movement,
        detail={"from": from_status, "to": to_status},
    )
    return movement


# Sharing a case with another mission


@transaction.atomic
def case_access_grant(
    *, actor: User, case_id: Any, mission: Mission, reason: str
) -> CaseMissionAccess:
    """Let another mission's caseworkers continue a case, e.g. after a return arrived.

    Only a central administrator decides; the grant is read by ``Case.objects.visible_to``.
    """
    _require_central_admin(actor)
    case = access_case_by_id(user=actor, case_id=case_id, for_update=True)
    case_require_open(case=case)
    errors: dict[str, list[str]] = {}
    if reason not in CaseAccessReason.values:
        error_add(errors, "reason", REASON_REQUIRED_MESSAGE)
    if mission.pk == case.mission_id:
        error_add(errors, "mission", ACCESS_OWN_MISSION_MESSAGE)
    elif not mission.is_active:
        error_add(errors, "mission", INACTIVE_MISSION_MESSAGE)
    elif case.mission_accesses.filter(mission=mission, revoked_at__isnull=True).exists():
        error_add(errors, "mission", ACCESS_EXISTS_MESSAGE)
    if errors:
        raise ValidationError(errors)
    access = CaseMissionAccess.objects.create(
        case=case, mission=mission, reason=reason, granted_by=actor
    )
    audit_record(
        actor=actor,
        action=AuditAction.CASE_ACCESS_GRANTED,
        case=case,
        obj=access,
        detail={"mission_id": mission.pk, "reason": reason},
    )
    return access


@transaction.atomic
def case_access_revoke(*, actor: User, access_id: Any) -> CaseMissionAccess:
    _require_central_admin(actor)
    access = access_case_access_by_id(user=actor, access_id=access_id, for_update=True)
    if access.revoked_at is not None:
        raise ApplicationError(_(ACCESS_NOT_LIVE_MESSAGE), code="already_revoked")
    access.revoked_by = actor
    access.revoked_at = timezone.now()
    access.save(update_fields=["revoked_by", "revoked_at"])
    audit_record(
        actor=actor,
        action=AuditAction.CASE_ACCESS_REVOKED,
        case=access.case,
        obj=access,
        detail={"mission_id": access.mission_id},
    )
    return access


# Further trafficking details


def _parse_uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def _detail_kind_checks(
    *,
    item: ProfileItem,
    kind: str,
    value: Any,
    text: str,
    row_position: int | None,
    current: dict[str, Any] | None,
    errors: dict[str, list[str]],
) -> None:
    """An addition adds without changing what is there; a correction changes something."""
    if item.is_rows:
        if kind == TraffickingDetailKind.ADDITION and row_position is not None:
            error_add(errors, "row_position", ROW_ONLY_FOR_CORRECTION_MESSAGE)
        elif kind == TraffickingDetailKind.CORRECTION:
            # Rows of the screening keep their position; added rows have none.
            rows = (current or {}).get("rows", [])
            positions = {row["position"] for row in rows if row["position"] is not None}
            if row_position is None:
                error_add(errors, "row_position", ROW_REQUIRED_MESSAGE)
            elif row_position not in positions:
                error_add(errors, "row_position", ROW_NOT_FOUND_MESSAGE)
        return
    if row_position is not None:
        error_add(errors, "row_position", ROW_ONLY_FOR_ROWS_MESSAGE)
    before, before_text = (current or {}).get("value"), (current or {}).get("text", "")
    if kind == TraffickingDetailKind.ADDITION:
        if is_empty(value, text):
            error_add(errors, "value", NOTHING_TO_ADD_MESSAGE)
        elif not is_empty(before, before_text):
            keeps = isinstance(before, list) and set(before) < set(value or [])
            if not keeps:
                error_add(errors, "kind", ADDITION_CHANGES_ANSWER_MESSAGE)
    elif kind == TraffickingDetailKind.CORRECTION and (value, text) == (before, before_text):
        error_add(errors, "value", NO_CHANGE_MESSAGE)


@transaction.atomic
def trafficking_detail_record(
    *,
    actor: User,
    case_id: Any,
    item: str,
    kind: str,
    value: Any,
    reason: str,
    row_position: int | None = None,
    interview_id: Any = None,
) -> TraffickingDetailChange:
    """Record a further trafficking detail (an addition or a correction of one item of the
    profile), pending review by a central administrator. The screening is never changed."""
    case = _assistance_case(actor=actor, case_id=case_id, statuses=ASSISTANCE_CASE_STATUSES)
    errors: dict[str, list[str]] = {}
    profile_item = profile_items().get(item)
    if profile_item is None:
        error_add(errors, "item", UNKNOWN_ITEM_MESSAGE)
    if kind not in TraffickingDetailKind.values:
        error_add(errors, "kind", KIND_REQUIRED_MESSAGE)
    reason = (reason or "").strip()
    if not reason:
        error_add(errors, "reason", CHANGE_REASON_REQUIRED_MESSAGE)
    interview = None
    if interview_id not in (None, ""):
        parsed = _parse_uuid(interview_id)
        interview = (
            AssistanceInterview.objects.filter(case=case, pk=parsed).first() if parsed else None
        )
        if interview is None:
            error_add(errors, "interview", INTERVIEW_NOT_OF_CASE_MESSAGE)
    if profile_item is None:
        raise ValidationError(errors)
    coded, text = None, ""
    try:
        coded, text = clean_value(profile_item, value)
    except ValidationError as exc:
        _merge(errors, exc.message_dict)
    profile = trafficking_profile_current(case=case)
    if "value" not in errors and kind in TraffickingDetailKind.values:
        _detail_kind_checks(
            item=profile_item,
            kind=kind,
            value=coded,
            text=text,
            row_position=row_position,
            current=trafficking_profile_item(profile=profile, item=item),
            errors=errors,
        )
    if errors:
        raise ValidationError(errors)
    waiting = case.trafficking_detail_changes.filter(
        status=TraffickingDetailChange.Status.PENDING,
        item=item,
        kind=kind,
        row_position=row_position,
    )
    if any((c.value, c.value_text) == (coded, text) for c in waiting):
        raise ApplicationError(_(DETAIL_DUPLICATE_MESSAGE), code="duplicate")
    screening = profile["screening"]
    change = TraffickingDetailChange(
        case=case,
        screening=screening,
        interview=interview,
        created_by=actor,
        item=item,
        kind=kind,
        row_position=row_position,
        value=coded,
        value_text=text,
        reason=reason,
    )
    change.full_clean(exclude=["case", "screening", "interview", "created_by"])
    change.save()
    audit_record(
        actor=actor,
        action=AuditAction.TRAFFICKING_DETAIL_RECORDED,
        case=case,
        obj=change,
        detail={"item": item, "kind": kind, "row_position": row_position},
    )
    return change


@transaction.atomic
def trafficking_detail_review(
    *, actor: User, change_id: Any, version: int, accept: bool, comment: str = ""
) -> TraffickingDetailChange:
    """Accept or reject a further detail. A central administrator decides, never its author."""
    _require_central_admin(actor)
    change = access_detail_change_by_id(user=actor, change_id=change_id, for_update=True)
    if change.version != version:
        raise StaleVersionError(_(STALE_MESSAGE))
    if change.status != TraffickingDetailChange.Status.PENDING:
        raise ApplicationError(_(DETAIL_ALREADY_REVIEWED_MESSAGE), code="already_reviewed")
    if change.created_by_id == actor.pk:
        raise ApplicationError(_(SELF_REVIEW_MESSAGE), code="self_review")
    _assistance_case(actor=actor, case_id=change.case_id, statuses=ASSISTANCE_CASE_STATUSES)
    if accept and change.row_position is not None:
        current = screening_current(case=change.case)
        if current is None or current.pk != change.screening_id:
            raise ApplicationError(_(SCREENING_CHANGED_MESSAGE), code="screening_changed")
    statuses = TraffickingDetailChange.Status
    change.status = statuses.ACCEPTED if accept else statuses.REJECTED
    change.reviewed_by = actor
    change.reviewed_at = timezone.now()
    change.review_comment = (comment or "").strip()
    change.version += 1
    change.save()
    audit_record(
        actor=actor,
        action=AuditAction.TRAFFICKING_DETAIL_REVIEWED,
        case=change.case,
        obj=change,
        detail={"item": change.item, "kind": change.kind, "decision": change.status},
    )
    return change


# Sharing a case with another mission, decided by both missions


@transaction.atomic
def case_access_propose(
    *, actor: User, case_id: Any, mission: Mission, reason: str
) -> CaseAccessProposal:
    """A caseworker of the case's mission proposes sharing it with another mission, whose
    caseworkers decide. Nothing is shared until they approve."""
    case = access_case_by_id(user=actor, case_id=case_id, for_update=True)
    case_require_open(case=case)
    if case.mission_id not in actor.caseworker_mission_ids:
        raise ApplicationError(_(PROPOSER_NOT_OF_CASE_MISSION_MESSAGE), code="not_case_mission")
    errors: dict[str, list[str]] = {}
    if reason not in CaseAccessReason.values:
        error_add(errors, "reason", REASON_REQUIRED_MESSAGE)
    if mission.pk == case.mission_id:
        error_add(errors, "mission", ACCESS_OWN_MISSION_MESSAGE)
    elif not mission.is_active:
        error_add(errors, "mission", INACTIVE_MISSION_MESSAGE)
    elif case.mission_accesses.filter(mission=mission, revoked_at__isnull=True).exists():
        error_add(errors, "mission", ACCESS_EXISTS_MESSAGE)
    elif case.access_proposals.filter(
        mission=mission, status=CaseAccessProposal.Status.PENDING
    ).exists():
        error_add(errors, "mission", PROPOSAL_PENDING_MESSAGE)
    if errors:
        raise ValidationError(errors)
    proposal = CaseAccessProposal.objects.create(
        case=case,
        mission=mission,
        proposing_mission_id=case.mission_id,
        reason=reason,
        proposed_by=actor,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CASE_ACCESS_PROPOSED,
        case=case,
        obj=proposal,
        detail={"mission_id": mission.pk, "reason": reason},
    )
    return proposal


@transaction.atomic
def case_access_proposal_decide(
    *, actor: User, proposal_id: Any, version: int, approve: bool
) -> CaseAccessProposal:
    """A caseworker of the receiving mission approves or declines. Approval grants the access
    (``granted_by`` is the approver). Nobody decides their own proposal, and someone who works
    for both missions cannot decide alone."""
    proposal = access_proposal_by_id(user=actor, proposal_id=proposal_id, for_update=True)
    missions = actor.caseworker_mission_ids
    if proposal.mission_id not in missions:
        raise ApplicationError(_(DECIDER_NOT_OF_RECEIVING_MESSAGE), code="not_receiving_mission")
    if proposal.proposed_by_id == actor.pk:
        raise ApplicationError(_(SELF_DECISION_MESSAGE), code="self_decision")
    if proposal.case.mission_id in missions:
        raise ApplicationError(_(DUAL_MEMBERSHIP_MESSAGE), code="both_missions")
    if proposal.version != version:
        raise StaleVersionError(_(STALE_MESSAGE))
    if proposal.status != CaseAccessProposal.Status.PENDING:
        raise ApplicationError(_(PROPOSAL_NOT_PENDING_MESSAGE), code="not_pending")
    # The case row is the lock every grant of it takes. Deliberately not through visible_to:
    # the deciding mission cannot see the case until it agrees; the proposal it may see was
    # read through access_proposal_by_id above, and nothing of the case is returned to it.
    case = Case.objects.select_for_update().get(pk=proposal.case_id)
    if approve:
        case_require_open(case=case)
        if not proposal.mission.is_active:
            raise ApplicationError(_(INACTIVE_MISSION_MESSAGE), code="inactive_mission")
        if case.mission_accesses.filter(mission=proposal.mission, revoked_at__isnull=True).exists():
            raise ApplicationError(_(ACCESS_EXISTS_MESSAGE), code="access_exists")
        proposal.access = CaseMissionAccess.objects.create(
            case=case, mission=proposal.mission, reason=proposal.reason, granted_by=actor
        )
    proposal.status = (
        CaseAccessProposal.Status.APPROVED if approve else CaseAccessProposal.Status.DECLINED
    )
    proposal.decided_by = actor
    proposal.decided_at = timezone.now()
    proposal.version += 1
    proposal.save()
    audit_record(
        actor=actor,
        action=AuditAction.CASE_ACCESS_PROPOSAL_DECIDED,
        case=case,
        obj=proposal,
        detail={"mission_id": proposal.mission_id, "decision": proposal.status},
    )
    if proposal.access is not None:
        audit_record(
            actor=actor,
            action=AuditAction.CASE_ACCESS_GRANTED,
            case=case,
            obj=proposal.access,
            detail={
                "mission_id": proposal.mission_id,
                "reason": proposal.reason,
                "proposal_id": proposal.pk,
            },
        )
    return proposal


@transaction.atomic
def case_access_proposal_withdraw(
    *, actor: User, proposal_id: Any, version: int
) -> CaseAccessProposal:
    """The proposer, or another caseworker of the proposing mission, withdraws a proposal."""
    proposal = access_proposal_by_id(user=actor, proposal_id=proposal_id, for_update=True)
    if not (
        proposal.proposed_by_id == actor.pk
        or proposal.proposing_mission_id in actor.caseworker_mission_ids
    ):
        raise ApplicationError(_(WITHDRAWER_NOT_PROPOSING_MESSAGE), code="not_proposing_mission")
    if proposal.version != version:
        raise StaleVersionError(_(STALE_MESSAGE))
    if proposal.status != CaseAccessProposal.Status.PENDING:
        raise ApplicationError(_(PROPOSAL_NOT_PENDING_MESSAGE), code="not_pending")
    proposal.status = CaseAccessProposal.Status.WITHDRAWN
    proposal.withdrawn_by = actor
    proposal.decided_at = timezone.now()
    proposal.version += 1
    proposal.save()
    audit_record(
        actor=actor,
        action=AuditAction.CASE_ACCESS_PROPOSAL_WITHDRAWN,
        case=proposal.case,
        obj=proposal,
        detail={"mission_id": proposal.mission_id},
    )
    return proposal
