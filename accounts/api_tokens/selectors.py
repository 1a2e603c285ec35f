"""A user's own API tokens. Another user's token is the same 404 as a missing one."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import ApiTokenDetail, User


def api_token_list(*, user: User) -> QuerySet[ApiTokenDetail]:
    """Live named tokens of ``user``, newest first, in one query."""
    return (
        ApiTokenDetail.objects.filter(token__user=user, token__expiry__gt=timezone.now())
        .select_related("token")
        .order_by("-token__created", "-id")
    )


def api_token_get(*, user: User, detail_id: int) -> ApiTokenDetail:
    detail = api_token_list(user=user).filter(pk=detail_id).first()
    if detail is None:
        raise Http404
    return detail
