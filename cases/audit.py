"""Writing the audit trail. Call inside the transaction of the action being recorded."""

from __future__ import annotations

from typing import Any

from django.db import models

from config.middleware import current_client_ip, current_request_id

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
        request_id="" if request_id == "-" else request_id,
        ip_address=current_client_ip(),
        detail=detail or {},
    )
