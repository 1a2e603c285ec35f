"""Reads of accounts data for the central administrators' pages."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404

from .models import Membership, Mission, User

ROLE_CENTRAL_ADMIN = "central_admin"
ROLE_CASEWORKER = "caseworker"
ROLE_RESEARCHER = "researcher"
ROLE_NONE = "none"


def user_list(
    *, role: str = "", mission: Mission | None = None, is_active: bool | None = None
) -> QuerySet[User]:
    """Accounts with their memberships, in a fixed number of queries whatever the page size."""
    queryset = User.objects.prefetch_related(
        Prefetch(
            "memberships",
            queryset=Membership.objects.select_related("mission").order_by("mission__code"),
        )
    ).order_by("email")
    membership_filter: dict = {}
    if role == ROLE_CENTRAL_ADMIN:
        queryset = queryset.filter(is_central_admin=True)
    elif role == ROLE_RESEARCHER:
        queryset = queryset.filter(is_researcher=True)
    elif role == ROLE_CASEWORKER:
        membership_filter["memberships__role"] = Membership.Role.CASEWORKER
    elif role == ROLE_NONE:
        queryset = queryset.filter(
            is_central_admin=False, is_researcher=False, is_superuser=False, memberships=None
        )
    if mission is not None:
        membership_filter["memberships__mission"] = mission
    if membership_filter:
        # One filter() call: both conditions must hold for the same membership row.
        queryset = queryset.filter(**membership_filter).distinct()
    if is_active is not None:
        queryset = queryset.filter(is_active=is_active)
    return queryset


def user_get(*, user_id: int) -> User:
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise Http404
    return user


def user_memberships(*, user: User) -> QuerySet[Membership]:
    return user.memberships.select_related("mission").order_by("mission__code", "role")


def membership_get(*, user: User, membership_id: int) -> Membership:
    """A membership of ``user``; any other id (even another user's membership) is a 404."""
    membership = (
        Membership.objects.select_related("mission", "user")
        .filter(pk=membership_id, user=user)
        .first()
    )
    if membership is None:
        raise Http404
    return membership


def mission_list(*, active_only: bool = False) -> QuerySet[Mission]:
    queryset = Mission.objects.annotate(member_count=Count("memberships")).order_by("code")
    if active_only:
        queryset = queryset.filter(is_active=True)
    return queryset


def mission_get(*, mission_id: int) -> Mission:
    mission = Mission.objects.filter(pk=mission_id).first()
    if mission is None:
        raise Http404
    return mission
