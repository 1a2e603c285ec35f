"""The privacy budget: spending, setting and reading a researcher's ε.

Spending runs in the caller's transaction (the extract request's) under a row lock on the
researcher's budget row for the year, so parallel requests are serialised and the budget can
never be overspent; a refused request writes nothing. Every movement is appended to the
ledger (append-only in the database) and audited with ids and figures of ε only.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from cases.audit import audit_record
from cases.models import AuditAction
from config.errors import ApplicationError

from .models import PrivacyBudget, PrivacyLedgerEntry

QUANTUM = Decimal("0.0001")
EPSILON_SPEND_MIN = Decimal("0.01")
EPSILON_SPEND_MAX = Decimal("10")
ALLOWANCE_MAX = Decimal("1000")

NOT_RESEARCHER_MESSAGE = _("Only researchers have a privacy budget.")
NOT_ADMIN_MESSAGE = _("Only central administrators can set privacy budgets.")
EPSILON_INVALID_MESSAGE = _("Enter ε as a number between %(min)s and %(max)s.")
ALLOWANCE_INVALID_MESSAGE = _("Enter a budget between 0 and %(max)s.")
YEAR_INVALID_MESSAGE = _("Enter a year between %(min)d and %(max)d.")
BUDGET_EXCEEDED_MESSAGE = _(
    "This extract needs ε = %(needed)s but only ε = %(remaining)s is left of your privacy "
    "budget for %(year)d. Choose a smaller ε (more noise), wait for the next year's budget, "
    "or ask a central administrator."
)
YEAR_MIN = 2000
YEAR_MAX = 2100


class BudgetExceeded(ApplicationError):
    status_code = 409
    code = "budget_exceeded"


def _quantize(value: Any, *, low: Decimal, high: Decimal, message) -> Decimal:
    try:
        number = Decimal(str(value).strip()).quantize(QUANTUM, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError, TypeError, AttributeError):
        number = None
    if number is None or not number.is_finite() or not low <= number <= high:
        raise ApplicationError(
            str(message % {"min": low, "max": high}),
            errors={"epsilon": [str(message % {"min": low, "max": high})]},
            code="invalid_epsilon",
        )
    return number


def clean_epsilon(value: Any) -> Decimal:
    """A researcher's ε for one extract, or ApplicationError."""
    return _quantize(
        value, low=EPSILON_SPEND_MIN, high=EPSILON_SPEND_MAX, message=EPSILON_INVALID_MESSAGE
    )


def current_year() -> int:
    return timezone.localdate().year


def default_allowance() -> Decimal:
    return Decimal(str(settings.HARBOUR_DP_EPSILON_PER_YEAR)).quantize(QUANTUM)


def _is_admin(user) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and not user.is_researcher
        and (user.is_central_admin or user.is_superuser)
    )


def _locked_budget(*, researcher: User, year: int) -> PrivacyBudget:
    """The budget row for the year, created at the default if missing, locked FOR UPDATE.

    The insert ignores a conflict, so two first requests of the year racing to create the row
    both end up locking the same one.
    """
    PrivacyBudget.objects.bulk_create(
        [PrivacyBudget(researcher=researcher, year=year, allowance=default_allowance())],
        ignore_conflicts=True,
    )
    return PrivacyBudget.objects.select_for_update().get(researcher=researcher, year=year)


def budget_spend(*, researcher: User, epsilon: Decimal, extract_id: Any) -> PrivacyLedgerEntry:
    """Spend ``epsilon`` of this year's budget for an extract; refuse if not enough is left.

    Must run inside the transaction that records the extract, so both commit or neither.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("budget_spend must run inside the extract request's transaction.")
    if not (researcher.is_authenticated and researcher.is_researcher):
        raise ApplicationError(str(NOT_RESEARCHER_MESSAGE), code="not_researcher")
    epsilon = clean_epsilon(epsilon)
    year = current_year()
    budget = _locked_budget(researcher=researcher, year=year)
    remaining = budget.remaining
    if epsilon > remaining:
        raise BudgetExceeded(
            str(
                BUDGET_EXCEEDED_MESSAGE
                % {"needed": epsilon.normalize(), "remaining": remaining.normalize(), "year": year}
            )
        )
    budget.spent = budget.spent + epsilon
    budget.save(update_fields=["spent", "updated_at"])
    entry = PrivacyLedgerEntry.objects.create(
        researcher=researcher,
        year=year,
        kind=PrivacyLedgerEntry.Kind.SPEND,
        epsilon=epsilon,
        remaining_after=budget.remaining,
        extract_id=extract_id,
        actor=researcher,
    )
    audit_record(
        actor=researcher,
        action=AuditAction.PRIVACY_BUDGET_SPENT,
        obj=entry,
        detail={
            "extract": str(extract_id),
            "year": year,
            "epsilon": str(epsilon),
            "remaining": str(budget.remaining),
        },
    )
    return entry


@transaction.atomic
def budget_set(*, actor: User, researcher_id: Any, year: Any, allowance: Any) -> PrivacyBudget:
    """A central administrator sets a researcher's ε for a calendar year."""
    if not _is_admin(actor):
        raise ApplicationError(str(NOT_ADMIN_MESSAGE), code="not_admin")
    errors: dict[str, list[str]] = {}
    try:
        year = int(str(year).strip())
    except (TypeError, ValueError):
        year = None
    if year is None or not YEAR_MIN <= year <= YEAR_MAX:
        errors["year"] = [str(YEAR_INVALID_MESSAGE % {"min": YEAR_MIN, "max": YEAR_MAX})]
    try:
        allowance = _quantize(
            allowance, low=Decimal(0), high=ALLOWANCE_MAX, message=ALLOWANCE_INVALID_MESSAGE
        )
    except ApplicationError as exc:
        errors["allowance"] = exc.errors["epsilon"]
    try:
        researcher_pk = int(str(researcher_id))
    except (TypeError, ValueError):
        researcher_pk = None
    researcher = (
        User.objects.filter(pk=researcher_pk, is_researcher=True).first()
        if researcher_pk is not None
        else None
    )
    if researcher is None:
        errors["researcher"] = [str(_("Choose a researcher."))]
    if errors:
        raise ApplicationError(str(_("Correct the errors below.")), errors=errors)
    budget = _locked_budget(researcher=researcher, year=year)
    budget.allowance = allowance
    budget.is_override = True
    budget.save(update_fields=["allowance", "is_override", "updated_at"])
    entry = PrivacyLedgerEntry.objects.create(
        researcher=researcher,
        year=year,
        kind=PrivacyLedgerEntry.Kind.SET,
        epsilon=allowance,
        remaining_after=budget.remaining,
        actor=actor,
    )
    audit_record(
        actor=actor,
        action=AuditAction.PRIVACY_BUDGET_SET,
        obj=entry,
        detail={
            "researcher": researcher.pk,
            "year": year,
            "allowance": str(allowance),
        },
    )
    return budget


# ---------------------------------------------------------------------------- reads


def budget_remaining(*, researcher: User, year: int | None = None) -> Decimal:
    """What the researcher can still spend this year (the default if nothing was spent)."""
    year = year or current_year()
    budget = PrivacyBudget.objects.filter(researcher=researcher, year=year).first()
    return budget.remaining if budget is not None else default_allowance()


def budget_list(*, user) -> QuerySet[PrivacyBudget]:
    """Researchers see their own budgets; central administrators see everyone's."""
    queryset = PrivacyBudget.objects.select_related("researcher")
    if _is_admin(user):
        return queryset
    if user.is_authenticated and user.is_researcher and user.is_active:
        return queryset.filter(researcher=user)
    return queryset.none()


def ledger_list(*, user, researcher_id: int | None = None) -> QuerySet[PrivacyLedgerEntry]:
    """Researchers see their own ledger; central administrators see all of it."""
    queryset = PrivacyLedgerEntry.objects.select_related("researcher", "actor")
    if _is_admin(user):
        if researcher_id is not None:
            queryset = queryset.filter(researcher_id=researcher_id)
        return queryset
    if user.is_authenticated and user.is_researcher and user.is_active:
        return queryset.filter(researcher=user)
    return queryset.none()


def period_bounds(year: int) -> tuple[datetime.date, datetime.date]:
    """The calendar-year period a budget covers."""
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)
