"""Removing identities once the retention period after closure has ended.

The free text to clear is discovered, not listed: every encrypted field of every model that
reaches ``Case`` through foreign keys. A new app's narratives are covered without a change here.
"""

from __future__ import annotations

import datetime
from collections import deque
from dataclasses import dataclass

from django.apps import apps
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import timezone

from .audit import audit_record
from .fields import EncryptedTextField
from .models import PERSON_IDENTITY_FIELDS, AuditAction, Case, Person

# How far through foreign keys a record may hang off its case (e.g. leg -> movement -> case).
MAX_PATH_DEPTH = 3
DEFAULT_BATCH_SIZE = 200


@dataclass(frozen=True)
class CaseOwnedText:
    """The encrypted fields of ``model`` and the lookup from it to its case's id."""

    model: type[models.Model]
    case_lookup: str
    fields: tuple[str, ...]


def _is_encrypted(field: models.Field) -> bool:
    return isinstance(field, EncryptedTextField) or type(field).__name__.startswith("Encrypted")


def encrypted_fields(model: type[models.Model]) -> tuple[str, ...]:
    return tuple(f.name for f in model._meta.concrete_fields if _is_encrypted(f))


def case_owned_text() -> list[CaseOwnedText]:
    """Every model with encrypted fields and a foreign-key path to ``Case``, with that path."""
    paths: dict[type[models.Model], str] = {Case: ""}
    queue: deque[type[models.Model]] = deque([Case])
    depth = {Case: 0}
    while queue:
        target = queue.popleft()
        if depth[target] >= MAX_PATH_DEPTH:
            continue
        for model in apps.get_models():
            if model in paths:
                continue
            for field in model._meta.concrete_fields:
                if isinstance(field, models.ForeignKey) and field.related_model is target:
                    prefix = paths[target]
                    paths[model] = f"{field.name}__{prefix}" if prefix else field.name
                    depth[model] = depth[target] + 1
                    queue.append(model)
                    break
    found = []
    for model, path in paths.items():
        fields = encrypted_fields(model)
        if model is Case or not fields:
            continue
        found.append(CaseOwnedText(model=model, case_lookup=f"{path}_id", fields=fields))
    return sorted(found, key=lambda item: item.model._meta.label)


def identity_removal_due(*, today: datetime.date | None = None) -> QuerySet[Case]:
    """Cases past their removal date whose identity is still there, oldest due first."""
    today = today or timezone.localdate()
    return (
        Case.objects.filter(
            identity_removal_due_on__lte=today, person__identity_removed_at__isnull=True
        )
        .select_related("mission")
        .only("id", "reference", "mission__code", "identity_removal_due_on", "person_id")
        .order_by("identity_removal_due_on", "reference")
    )


def _cleared(model: type[models.Model], names: tuple[str, ...]) -> dict[str, object]:
    values: dict[str, object] = {}
    for name in names:
        field = model._meta.get_field(name)
        values[name] = None if field.null else field.get_default()
    return values


@transaction.atomic
def identity_remove_batch(*, case_ids: list, owned: list[CaseOwnedText] | None = None) -> int:
    """Remove identity and free text of these cases (locked, still due); return how many."""
    owned = case_owned_text() if owned is None else owned
    cases = list(
        Case.objects.select_for_update(of=("self",))
        .filter(pk__in=case_ids, person__identity_removed_at__isnull=True)
        .only("id", "reference", "mission_id", "person_id")
    )
    if not cases:
        return 0
    ids = [case.pk for case in cases]
    now = timezone.now()
    Person.objects.filter(pk__in=[case.person_id for case in cases]).update(
        **_cleared(Person, PERSON_IDENTITY_FIELDS), blind_index="", identity_removed_at=now
    )
    for item in owned:
        item.model._default_manager.filter(**{f"{item.case_lookup}__in": ids}).update(
            **_cleared(item.model, item.fields)
        )
    for case in cases:
        audit_record(
            actor=None,
            action=AuditAction.IDENTITY_REMOVED,
            case=case,
            detail={"models": [item.model._meta.label_lower for item in owned]},
        )
    return len(cases)


def identity_remove_expired(
    *, today: datetime.date | None = None, batch_size: int = DEFAULT_BATCH_SIZE
) -> int:
    """Remove every due identity, one transaction per batch; return how many cases."""
    owned = case_owned_text()
    removed = 0
    while True:
        batch = list(identity_removal_due(today=today).values_list("pk", flat=True)[:batch_size])
        if not batch:
            return removed
        done = identity_remove_batch(case_ids=batch, owned=owned)
        if done == 0:
            return removed
        removed += done
