"""Writing the audit trail. Call inside the transaction of the action being recorded."""

from __future__ import annotations

from typing import Any

from django.db import connection, models
from django.http import Http404

from config.request_context import NO_REQUEST, current_client_ip, current_request_id

from .models import AuditAction, AuditEvent, Case


def audit_record(
    *,
    actor,
    action: AuditAction,
    case: Case | None = None,
    obj: models.Model | None = None,
    mission_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    if obj is None and case is not None:
        obj = case
    request_id = current_request_id()
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        case=case,
        case_reference=case.reference if case is not None else "",
        mission_id=mission_id if mission_id is not None else (case.mission_id if case else None),
        request_id="" if request_id == NO_REQUEST else request_id,
        ip_address=current_client_ip(),
        detail=detail or {},
    )


class RecordNotFound(Http404):
    """A record that is missing or out of the user's scope: both look exactly alike.

    A refusal of an existing record must still reach the audit trail. Inside a transaction
    the refusal would roll back with it, so it rides on the exception and is written by
    ``audit_pending_refusal`` once the transaction is gone (middleware, API error handler).
    """

    def __init__(self, refusal: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.refusal = refusal


def refuse_access(*, user, object_type: str, object_id: str, mission_id: int | None) -> Http404:
    """The 404 to raise for a record that exists but is out of ``user``'s scope."""
    if user is None or not user.is_authenticated:
        return RecordNotFound()
    refusal = {
        "actor": user,
        "mission_id": mission_id,
        "detail": {"object_type": object_type, "object_id": object_id},
    }
    if connection.in_atomic_block:
        return RecordNotFound(refusal)
    audit_record(action=AuditAction.ACCESS_REFUSED, **refusal)
    return RecordNotFound()


def audit_pending_refusal(exc: BaseException) -> None:
    """Called by the request handlers, which run after the view's transactions have ended."""
    refusal = getattr(exc, "refusal", None)
    if isinstance(exc, RecordNotFound) and refusal:
        exc.refusal = None
        audit_record(action=AuditAction.ACCESS_REFUSED, **refusal)
