"""Writes to reintegration records: the plan and its monitoring schedule, reintegration
assistance, monitoring visits, and the daily marking of overdue visits."""

from __future__ import annotations

import calendar
import datetime
import itertools
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from assistance.models import Movement, MovementType, Organisation, Provider
from assistance.services import (
    ASSISTANCE_CASE_STATUSES,
    CURRENCY_REQUIRED_MESSAGE,
    CURRENCY_WITHOUT_COST_MESSAGE,
    END_BEFORE_START_MESSAGE,
    INACTIVE_ORGANISATION_MESSAGE,
    ORGANISATION_NOT_ALLOWED_MESSAGE,
    ORGANISATION_REQUIRED_MESSAGE,
    SERVICE_TRANSITIONS,
    STALE_MESSAGE,
    parse_cost,
    parse_currency,
)
from cases.audit import audit_record
from cases.models import AuditAction, Case
from cases.selectors import access_case_by_id
from cases.services import case_mark_retrafficked
from config.errors import ApplicationError, StaleVersionError
from config.validation import (
    error_add,
    error_if_in_future,
    refuse_unknown_fields,
)

from .models import (
    DIMENSION_REASONS,
    OPTION_DIMENSION,
    SCORE_MAX,
    SCORE_MIN,
    Dimension,
    MonitoringVisit,
    ReintegrationAssistance,
    ReintegrationPlan,
)
from .selectors import access_item_by_id, access_plan_by_id, access_visit_by_id

CASE_NOT_OPEN_MESSAGE = gettext_noop(
    "Reintegration can only be recorded for an active or follow-up case; this case is read-only."
)
PLAN_EXISTS_MESSAGE = gettext_noop("This case already has a reintegration plan; edit it instead.")
PLAN_REQUIRED_MESSAGE = gettext_noop(
    "Make the reintegration plan first: visits follow its schedule."
)
SCHEDULE_EMPTY_MESSAGE = gettext_noop("Give at least one month for a monitoring visit.")
SCHEDULE_INVALID_MESSAGE = gettext_noop("Give whole numbers of months, e.g. 3, 6, 12.")
SCHEDULE_ORDER_MESSAGE = gettext_noop(
    "Give the months in increasing order, each once, from 1 to 60."
)
OPTION_INVALID_MESSAGE = gettext_noop("Choose a type of reintegration support.")
ITEM_FINAL_MESSAGE = gettext_noop("This assistance is finished; its status can no longer change.")
ITEM_TRANSITION_MESSAGE = gettext_noop(
    "Reintegration assistance cannot move to this status from its current one."
)
VISIT_NOT_OPEN_MESSAGE = gettext_noop("This visit is already recorded or cancelled.")
SCORE_REQUIRED_MESSAGE = gettext_noop("Give a score from 1 to 5.")
REASON_REQUIRED_MESSAGE = gettext_noop("Choose the main reason for this score.")
MODE_REQUIRED_MESSAGE = gettext_noop("Choose how the visit was made.")
VISITOR_OUT_OF_SCOPE_MESSAGE = gettext_noop("The visitor must be able to see this case.")
DONE_DATE_REQUIRED_MESSAGE = gettext_noop("Give the date of the visit.")
DONE_BEFORE_REGISTRATION_MESSAGE = gettext_noop(
    "A visit cannot be done before the case was registered."
)
PLANNED_DATE_REQUIRED_MESSAGE = gettext_noop("Give the planned date of the visit.")
TOO_FAR_MESSAGE = gettext_noop("This date is too far from today.")
START_DATE_REQUIRED_MESSAGE = gettext_noop("Give the start date of the plan.")

MAX_SCHEDULE_MONTH = 60
# Extra visits are planned within the monitoring horizon, give or take.
MAX_PLANNING_DAYS = 6 * 366

PLAN_FIELDS = (
    "needs",
    "skills",
    "family_situation",
    "risks",
    "economic_goals",
    "social_goals",
    "psychosocial_goals",
    "start_date",
    "monitoring_months",
)
PENDING_VISIT_STATUSES = frozenset(
    {MonitoringVisit.Status.SCHEDULED, MonitoringVisit.Status.OVERDUE}
)


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def _validate(obj, errors: dict[str, list[str]], exclude: list[str]) -> None:
    try:
        obj.full_clean(exclude=[*exclude, *errors], validate_unique=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    _raise(errors)


def reintegration_case(*, actor: User, case_id: Any) -> Case:
    """The case, locked, if ``actor`` may see it and it is open for reintegration.

    Closed cases are read-only: every write of this app comes through here.
    """
    case = access_case_by_id(user=actor, case_id=case_id, for_update=True)
    if case.status not in ASSISTANCE_CASE_STATUSES:
        raise ApplicationError(_(CASE_NOT_OPEN_MESSAGE), code="case_not_open")
    return case


# Monitoring schedule


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` moved on by whole months; the 31st becomes the last day of a shorter month."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def monitoring_anchor(*, case: Case, start_date: datetime.date) -> tuple[datetime.date, str]:
    """The date the schedule counts from: the arrival of the case's last arrived return or
    onward movement; for local integration, or no movement, the plan's start date."""
    arrived_at = (
        Movement.objects.filter(case=case, status=Movement.Status.ARRIVED, arrived_at__isnull=False)
        .exclude(movement_type=MovementType.LOCAL_INTEGRATION)
        .order_by("-arrived_at")
        .values_list("arrived_at", flat=True)
        .first()
    )
    if arrived_at is not None:
        return timezone.localdate(arrived_at), ReintegrationPlan.AnchorSource.ARRIVAL
    return start_date, ReintegrationPlan.AnchorSource.PLAN_START


def parse_schedule(value: Any, errors: dict[str, list[str]]) -> list[int]:
    """Months after the anchor date: positive, strictly increasing, at most 60."""
    if value is None or value == "" or value == []:
        error_add(errors, "monitoring_months", SCHEDULE_EMPTY_MESSAGE)
        return []
    if isinstance(value, str):
        value = [part for part in value.replace(";", ",").replace(" ", ",").split(",") if part]
    if not isinstance(value, list | tuple) or any(isinstance(v, bool) for v in value):
        error_add(errors, "monitoring_months", SCHEDULE_INVALID_MESSAGE)
        return []
    months: list[int] = []
    for item in value:
        try:
            month = int(str(item).strip())
        except (TypeError, ValueError):
            error_add(errors, "monitoring_months", SCHEDULE_INVALID_MESSAGE)
            return []
        months.append(month)
    if not months:
        error_add(errors, "monitoring_months", SCHEDULE_EMPTY_MESSAGE)
        return []
    increasing = all(a < b for a, b in itertools.pairwise(months))
    if not increasing or months[0] < 1 or months[-1] > MAX_SCHEDULE_MONTH:
        error_add(errors, "monitoring_months", SCHEDULE_ORDER_MESSAGE)
        return []
    return months


def _plan_visits(*, actor: User, plan: ReintegrationPlan) -> dict[str, int]:
    """Bring the scheduled visits in line with the plan's schedule and anchor.

    Visits done stay as they are; a pending visit of a month still in the schedule moves to
    its new date; one of a month no longer in it is cancelled; missing months are added.
    """
    visits = list(
        MonitoringVisit.objects.select_for_update()
        .filter(plan=plan, schedule_month__isnull=False)
        .exclude(status=MonitoringVisit.Status.CANCELLED)
    )
    done = {v.schedule_month for v in visits if v.status == MonitoringVisit.Status.DONE}
    pending = {v.schedule_month: v for v in visits if v.status in PENDING_VISIT_STATUSES}
    counts = {"scheduled": 0, "moved": 0, "cancelled": 0}
    for month, visit in pending.items():
        if month not in plan.monitoring_months:
            visit.status = MonitoringVisit.Status.CANCELLED
            visit.version += 1
            visit.save(update_fields=["status", "version", "updated_at"])
            counts["cancelled"] += 1
    new_visits = []
    for month in plan.monitoring_months:
        if month in done:
            continue
        planned = add_months(plan.anchor_date, month)
        visit = pending.get(month)
        if visit is None:
            new_visits.append(
                MonitoringVisit(
                    case=plan.case,
                    plan=plan,
                    created_by=actor,
                    schedule_month=month,
                    planned_date=planned,
                )
            )
        elif visit.planned_date != planned:
            visit.planned_date = planned
            # Overdue is decided again from the new date by the daily job.
            visit.status = MonitoringVisit.Status.SCHEDULED
            visit.version += 1
            visit.save(update_fields=["planned_date", "status", "version", "updated_at"])
            counts["moved"] += 1
    MonitoringVisit.objects.bulk_create(new_visits)
    counts["scheduled"] = len(new_visits)
    if any(counts.values()):
        audit_record(
            actor=actor,
            action=AuditAction.MONITORING_VISIT_SCHEDULED,
            case=plan.case,
            obj=plan,
            detail={**counts, "months": list(plan.monitoring_months)},
        )
    return counts


# Reintegration plan


def _plan_apply(
    plan: ReintegrationPlan, data: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    start_before = plan.start_date
    for field, value in data.items():
        if field == "monitoring_months":
            plan.monitoring_months = parse_schedule(value, errors)
        elif field != "start_date" and value is None:
            setattr(plan, field, "")
        else:
            setattr(plan, field, value)
    if not isinstance(plan.start_date, datetime.date):
        if "start_date" not in errors:
            error_add(errors, "start_date", START_DATE_REQUIRED_MESSAGE)
    elif (
        plan.start_date != start_before
        and abs((plan.start_date - timezone.localdate()).days) > MAX_PLANNING_DAYS
    ):
        # The visits are planned months after it: a date years away would be nonsense, and
        # one near the calendar's end would overflow.
        error_add(errors, "start_date", TOO_FAR_MESSAGE)


@transaction.atomic
def plan_create(*, actor: User, case_id: Any, data: dict[str, Any]) -> ReintegrationPlan:
    """Make the case's reintegration plan and schedule its monitoring visits."""
    refuse_unknown_fields(data, PLAN_FIELDS)
    case = reintegration_case(actor=actor, case_id=case_id)
    if ReintegrationPlan.objects.filter(case=case).exists():
        raise ApplicationError(_(PLAN_EXISTS_MESSAGE), code="plan_exists")
    plan = ReintegrationPlan(case=case, created_by=actor, start_date=timezone.localdate())
    errors: dict[str, list[str]] = {}
    _plan_apply(plan, data, errors)
    if not errors:
        plan.anchor_date, plan.anchor_source = monitoring_anchor(
            case=case, start_date=plan.start_date
        )
    _validate(plan, errors, exclude=["case", "created_by", "anchor_date", "anchor_source"])
    plan.save()
    audit_record(
        actor=actor,
        action=AuditAction.REINTEGRATION_PLAN_CREATED,
        case=case,
        obj=plan,
        detail={"months": list(plan.monitoring_months), "anchor": plan.anchor_source},
    )
    _plan_visits(actor=actor, plan=plan)
    return plan


@transaction.atomic
def plan_update(
    *, actor: User, plan_id: Any, version: int, data: dict[str, Any]
) -> ReintegrationPlan:
    """Change the plan. A new schedule or anchor re-plans the visits not yet done."""
    refuse_unknown_fields(data, PLAN_FIELDS)
    plan = access_plan_by_id(user=actor, plan_id=plan_id, for_update=True)
    if plan.version != version:
        raise StaleVersionError(_(STALE_MESSAGE))
    case = reintegration_case(actor=actor, case_id=plan.case_id)
    plan.case = case
    before = (list(plan.monitoring_months), plan.anchor_date)
    errors: dict[str, list[str]] = {}
    _plan_apply(plan, data, errors)
    if not errors:
        plan.anchor_date, plan.anchor_source = monitoring_anchor(
            case=case, start_date=plan.start_date
        )
    _validate(plan, errors, exclude=["case", "created_by", "anchor_date", "anchor_source"])
    plan.version += 1
    plan.save()
    audit_record(
        actor=actor,
        action=AuditAction.REINTEGRATION_PLAN_UPDATED,
        case=case,
        obj=plan,
        detail={"fields": sorted(data), "anchor": plan.anchor_source},
    )
    if (list(plan.monitoring_months), plan.anchor_date) != before:
        _plan_visits(actor=actor, plan=plan)
    return plan


# Reintegration assistance


def _item_checks(item: ReintegrationAssistance, errors: dict[str, list[str]]) -> None:
    start, end = item.start_date, item.end_date
    if isinstance(start, datetime.date) and isinstance(end, datetime.date) and end < start:
        error_add(errors, "end_date", END_BEFORE_START_MESSAGE)
    if item.provider == Provider.ORGANISATION and item.organisation is None:
        error_add(errors, "organisation", ORGANISATION_REQUIRED_MESSAGE)
    if item.provider == Provider.IOM and item.organisation is not None:
        error_add(errors, "organisation", ORGANISATION_NOT_ALLOWED_MESSAGE)


def parse_amount(amount: Any, currency: Any, errors: dict[str, list[str]]) -> tuple[Any, str]:
    """An exact amount with its ISO 4217 currency (the assistance rules, on ``amount``)."""
    found: dict[str, list[str]] = {}
    value = parse_cost(amount, found)
    code = parse_currency(currency, found)
    if value is not None and not code and "currency" not in found:
        error_add(found, "currency", CURRENCY_REQUIRED_MESSAGE)
    if value is None and code and "cost" not in found:
        error_add(found, "currency", CURRENCY_WITHOUT_COST_MESSAGE)
    for field, messages in found.items():
        errors.setdefault("amount" if field == "cost" else field, []).extend(messages)
    return value, code


@transaction.atomic
def assistance_record(
    *,
    actor: User,
    case_id: Any,
    option: str,
    provider: str,
    organisation: Organisation | None = None,
    status: str = ReintegrationAssistance.Status.PLANNED,
    start_date: datetime.date | None = None,
    end_date: datetime.date | None = None,
    amount: Any = None,
    currency: str = "",
    notes: str = "",
) -> ReintegrationAssistance:
    """Record reintegration support given, planned, or declined by the person."""
    case = reintegration_case(actor=actor, case_id=case_id)
    errors: dict[str, list[str]] = {}
    value, code = parse_amount(amount, currency, errors)
    dimension = OPTION_DIMENSION.get(option)
    if dimension is None:
        error_add(errors, "option", OPTION_INVALID_MESSAGE)
    if organisation is not None and not organisation.is_active:
        error_add(errors, "organisation", INACTIVE_ORGANISATION_MESSAGE)
    item = ReintegrationAssistance(
        case=case,
        created_by=actor,
        option=option,
        dimension=dimension or "",
        provider=provider,
        organisation=organisation,
        status=status,
        start_date=start_date,
        end_date=end_date,
        amount=value,
        currency=code,
        notes=notes or "",
    )
    _item_checks(item, errors)
    _validate(item, errors, exclude=["case", "created_by", "amount", "currency", "dimension"])
    item.save()
    audit_record(
        actor=actor,
        action=AuditAction.REINTEGRATION_ASSISTANCE_RECORDED,
        case=case,
        obj=item,
        detail={"option": item.option, "dimension": item.dimension, "status": item.status},
    )
    return item


@transaction.atomic
def assistance_status_change(
    *,
    actor: User,
    item_id: Any,
    version: int,
    to_status: str,
    end_date: datetime.date | None = None,
) -> ReintegrationAssistance:
    """Move an item on, with the same transitions as assistance services."""
    item = access_item_by_id(user=actor, item_id=item_id, for_update=True)
    if item.version != version:
        raise StaleVersionError(_(STALE_MESSAGE))
    case = reintegration_case(actor=actor, case_id=item.case_id)
    allowed = SERVICE_TRANSITIONS.get(item.status)
    if allowed is None:
        raise ApplicationError(_(ITEM_FINAL_MESSAGE), code="item_final")
    if to_status not in allowed:
        raise ApplicationError(
            _(ITEM_TRANSITION_MESSAGE),
            code="invalid_transition",
            errors={"to_status": [_(ITEM_TRANSITION_MESSAGE)]},
        )
    from_status = item.status
    item.status = to_status
    if end_date is not None:
        item.end_date = end_date
    errors: dict[str, list[str]] = {}
    error_if_in_future(errors, "end_date", end_date)
    _item_checks(item, errors)
    _raise(errors)
    item.version += 1
    item.save()
    audit_record(
        actor=actor,
        action=AuditAction.REINTEGRATION_ASSISTANCE_STATUS_CHANGED,
        case=case,
        obj=item,
        detail={"from": from_status, "to": to_status},
    )
    return item


# Monitoring visits


@transaction.atomic
def visit_add(*, actor: User, case_id: Any, planned_date: datetime.date | None) -> MonitoringVisit:
    """Add an extra visit, outside the plan's schedule."""
    case = reintegration_case(actor=actor, case_id=case_id)
    plan = ReintegrationPlan.objects.filter(case=case).first()
    if plan is None:
        raise ApplicationError(_(PLAN_REQUIRED_MESSAGE), code="plan_required")
    errors: dict[str, list[str]] = {}
    if not isinstance(planned_date, datetime.date):
        error_add(errors, "planned_date", PLANNED_DATE_REQUIRED_MESSAGE)
    elif abs((planned_date - timezone.localdate()).days) > MAX_PLANNING_DAYS:
        error_add(errors, "planned_date", TOO_FAR_MESSAGE)
    _raise(errors)
    visit = MonitoringVisit.objects.create(
        case=case, plan=plan, created_by=actor, planned_date=planned_date
    )
    audit_record(
        actor=actor,
        action=AuditAction.MONITORING_VISIT_SCHEDULED,
        case=case,
        obj=visit,
        detail={"extra": True},
    )
    return visit


def _score(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        score = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return score if SCORE_MIN <= score <= SCORE_MAX else None


@transaction.atomic
def visit_record(
    *,
    actor: User,
    visit_id: Any,
    version: int,
    done_date: datetime.date | None,
    mode: str,
    scores: dict[str, Any],
    reasons: dict[str, str],
    visited_by: User | None = None,
    retrafficked: bool = False,
    notes: str = "",
) -> MonitoringVisit:
    """Record a visit as done. All three dimensions are scored from 1 to 5 with a coded
    reason. A visit that finds the person trafficked again flags the case."""
    visit = access_visit_by_id(user=actor, visit_id=visit_id, for_update=True)
    if visit.version != version:
        raise StaleVersionError(_(STALE_MESSAGE))
    case = reintegration_case(actor=actor, case_id=visit.case_id)
    if visit.status not in PENDING_VISIT_STATUSES:
        raise ApplicationError(_(VISIT_NOT_OPEN_MESSAGE), code="visit_not_open")
    visitor = visited_by or actor
    errors: dict[str, list[str]] = {}
    if not isinstance(done_date, datetime.date):
        error_add(errors, "done_date", DONE_DATE_REQUIRED_MESSAGE)
    else:
        error_if_in_future(errors, "done_date", done_date)
        if done_date < case.registered_on:
            error_add(errors, "done_date", DONE_BEFORE_REGISTRATION_MESSAGE)
    if mode not in MonitoringVisit.Mode.values:
        error_add(errors, "mode", MODE_REQUIRED_MESSAGE)
    if not Case.objects.visible_to(visitor).filter(pk=case.pk).exists():
        error_add(errors, "visited_by", VISITOR_OUT_OF_SCOPE_MESSAGE)
    for dimension in Dimension.values:
        score = _score(scores.get(dimension))
        if score is None:
            error_add(errors, f"{dimension}_score", SCORE_REQUIRED_MESSAGE)
        reason = reasons.get(dimension) or ""
        if reason not in DIMENSION_REASONS[dimension].values:
            error_add(errors, f"{dimension}_reason", REASON_REQUIRED_MESSAGE)
        setattr(visit, f"{dimension}_score", score)
        setattr(visit, f"{dimension}_reason", reason)
    _raise(errors)
    visit.status = MonitoringVisit.Status.DONE
    visit.done_date = done_date
    visit.mode = mode
    visit.visited_by = visitor
    visit.retrafficked = bool(retrafficked)
    visit.notes = notes or ""
    _validate(visit, errors, exclude=["case", "plan", "created_by"])
    visit.version += 1
    visit.save()
    audit_record(
        actor=actor,
        action=AuditAction.MONITORING_VISIT_RECORDED,
        case=case,
        obj=visit,
        detail={
            "mode": visit.mode,
            "scores": visit.scores(),
            "retrafficked": visit.retrafficked,
        },
    )
    if visit.retrafficked:
        case_mark_retrafficked(actor=actor, case=case, source="monitoring_visit")
    return visit


@transaction.atomic
def monitoring_mark_overdue(*, today: datetime.date | None = None) -> int:
    """Mark scheduled visits of open cases overdue once their planned date is more than the
    grace period past. Idempotent: a visit already overdue is not counted again. Returns how
    many visits it marked; one audit row (no actor) records the count."""
    today = today or timezone.localdate()
    cutoff = today - datetime.timedelta(days=settings.HARBOUR_MONITORING_GRACE_DAYS)
    # A system change, not a user edit: the version does not move, so a form opened before
    # the job ran can still be saved.
    count = MonitoringVisit.objects.filter(
        status=MonitoringVisit.Status.SCHEDULED,
        planned_date__lt=cutoff,
        case__status__in=ASSISTANCE_CASE_STATUSES,
    ).update(status=MonitoringVisit.Status.OVERDUE, updated_at=timezone.now())
    if count:
        audit_record(
            actor=None,
            action=AuditAction.MONITORING_VISITS_MARKED_OVERDUE,
            detail={"count": count, "cutoff": cutoff.isoformat()},
        )
    return count
