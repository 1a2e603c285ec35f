"""Sign-in history, read from the audit trail (ids, codes and client addresses only)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import CharField, Count, Exists, Max, OuterRef, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from accounts.models import User
from cases.audit import audit_record
from cases.models import AuditAction, AuditEvent

USER_OBJECT_TYPE = User._meta.label_lower
# What "sign-in history" covers: ways in and out of an account and changes to them.
SIGN_IN_HISTORY_ACTIONS = (
    AuditAction.SIGN_IN,
    AuditAction.SIGN_IN_FAILED,
    AuditAction.SIGN_IN_LOCKED_OUT,
    AuditAction.SIGN_OUT,
    AuditAction.SECOND_FACTOR_VERIFIED,
    AuditAction.SECOND_FACTOR_FAILED,
    AuditAction.SECOND_FACTOR_ENROLLED,
    AuditAction.SECOND_FACTOR_REMOVED,
    AuditAction.SECOND_FACTORS_RESET,
    AuditAction.RECOVERY_CODES_GENERATED,
    AuditAction.PASSWORD_CHANGED,
    AuditAction.PASSWORD_RESET_ISSUED,
    AuditAction.PASSWORD_RESET_COMPLETED,
    AuditAction.API_TOKEN_CREATED,
    AuditAction.API_TOKEN_REVOKED,
)
# A user's own page shows this far back (the audit trail keeps more, for administrators).
OWN_HISTORY_DAYS = 90
WARNINGS_SHOWN = 20


def _about_user(user_id: int) -> Q:
    # Rows a user did themselves, except what they did to another account (an administrator
    # issuing someone's reset link), plus rows about their account done by nobody signed in
    # (failed sign-ins naming it) or by someone else.
    return (Q(actor_id=user_id) & ~Q(object_type=USER_OBJECT_TYPE)) | Q(
        object_type=USER_OBJECT_TYPE, object_id=str(user_id)
    )


def sign_in_history(
    *,
    user: User | None = None,
    action: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[AuditEvent]:
    """Sign-in events, newest first, optionally of one account, one action, a date range."""
    queryset = AuditEvent.objects.filter(action__in=SIGN_IN_HISTORY_ACTIONS).select_related("actor")
    if user is not None:
        queryset = queryset.filter(_about_user(user.pk))
    if action:
        queryset = queryset.filter(action=action)
    if date_from is not None:
        queryset = queryset.filter(occurred_at__date__gte=date_from)
    if date_to is not None:
        queryset = queryset.filter(occurred_at__date__lte=date_to)
    return queryset.order_by("-occurred_at", "-id")


def sign_in_history_audited(*, actor: User, **filters) -> QuerySet[AuditEvent]:
    """Everyone's sign-in history for a central administrator; the reading is audited, as
    the audit trail page is (filter names only, never their values)."""
    used = sorted(name for name, value in filters.items() if value)
    audit_record(
        actor=actor, action=AuditAction.AUDIT_VIEWED, detail={"page": "sign_ins", "filters": used}
    )
    return sign_in_history(**filters)


def sign_in_history_own(*, user: User, now: datetime.datetime | None = None) -> QuerySet:
    since = (now or timezone.now()) - datetime.timedelta(days=OWN_HISTORY_DAYS)
    return sign_in_history(user=user).filter(occurred_at__gte=since)


def accounts_of_rows(rows) -> dict[int, User]:
    """The accounts that rows point at as their object, in one query."""
    ids = {int(row.object_id) for row in rows if row.object_type == USER_OBJECT_TYPE}
    return User.objects.in_bulk(ids) if ids else {}


@dataclass(frozen=True)
class SignInWarning:
    user: User
    failures: int
    addresses: int
    last_failure: datetime.datetime


def sign_in_warnings(*, now: datetime.datetime | None = None) -> list[SignInWarning]:
    """Accounts with many recent failed sign-ins from addresses new to them.

    An address is new to an account if the account has not signed in successfully from it
    within ``HARBOUR_SIGN_IN_KNOWN_ADDRESS_DAYS``; an account is listed once it has at least
    ``HARBOUR_SIGN_IN_WARNING_FAILURES`` failures from new addresses within
    ``HARBOUR_SIGN_IN_WARNING_HOURS``. Failures without an address count as new. Two queries.
    """
    now = now or timezone.now()
    since = now - datetime.timedelta(hours=settings.HARBOUR_SIGN_IN_WARNING_HOURS)
    known_since = now - datetime.timedelta(days=settings.HARBOUR_SIGN_IN_KNOWN_ADDRESS_DAYS)
    known_address = (
        AuditEvent.objects.filter(
            action=AuditAction.SIGN_IN,
            occurred_at__gte=known_since,
            ip_address=OuterRef("ip_address"),
        )
        # actor_id as text, not object_id as a number: object_id of other rows is not numeric.
        .annotate(actor_text=Cast("actor_id", CharField()))
        .filter(actor_text=OuterRef("object_id"))
    )
    counts = list(
        AuditEvent.objects.filter(
            action=AuditAction.SIGN_IN_FAILED,
            object_type=USER_OBJECT_TYPE,
            occurred_at__gte=since,
            occurred_at__lte=now,
        )
        .exclude(Exists(known_address))
        .order_by()
        .values("object_id")
        .annotate(
            failures=Count("id"),
            addresses=Count("ip_address", distinct=True),
            last_failure=Max("occurred_at"),
        )
        .filter(failures__gte=settings.HARBOUR_SIGN_IN_WARNING_FAILURES)
        .order_by("-failures", "-last_failure")[:WARNINGS_SHOWN]
    )
    users = User.objects.in_bulk([int(row["object_id"]) for row in counts]) if counts else {}
    return [
        SignInWarning(
            user=users[int(row["object_id"])],
            failures=row["failures"],
            addresses=row["addresses"],
            last_failure=row["last_failure"],
        )
        for row in counts
        if int(row["object_id"]) in users
    ]
