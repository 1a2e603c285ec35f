"""Maintenance services: audit trail integrity and encryption key rotation."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import connection, models, transaction

from accounts.models import User

from . import crypto
from .audit import audit_record
from .fields import EncryptedTextField
from .models import AuditAction, AuditEvent

logger = logging.getLogger(__name__)

AUDIT_TRIGGER_NAME = "cases_auditevent_append_only"


@dataclass(frozen=True)
class AuditIntegrityResult:
    trigger_installed: bool
    trigger_enabled: bool

    @property
    def ok(self) -> bool:
        return self.trigger_installed and self.trigger_enabled


@transaction.atomic
def audit_integrity_check(*, actor: User | None = None) -> AuditIntegrityResult:
    """Check that the trigger refusing UPDATE and DELETE on the audit trail is in place.

    Records the outcome in the audit trail itself, so a gap in the daily checks shows too.
    """
    with connection.cursor() as cursor:
        # tgenabled 'D' is a disabled trigger; any other state fires in normal sessions.
        cursor.execute(
            "SELECT tgenabled FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname = %s",
            [AuditEvent._meta.db_table, AUDIT_TRIGGER_NAME],
        )
        row = cursor.fetchone()
    result = AuditIntegrityResult(
        trigger_installed=row is not None,
        trigger_enabled=row is not None and row[0] != "D",
    )
    if not result.ok:
        logger.error(
            "Audit trail is not append-only: trigger installed=%s enabled=%s",
            result.trigger_installed,
            result.trigger_enabled,
        )
    audit_record(
        actor=actor,
        action=AuditAction.AUDIT_INTEGRITY_CHECKED,
        detail={
            "ok": result.ok,
            "trigger_installed": result.trigger_installed,
            "trigger_enabled": result.trigger_enabled,
        },
    )
    return result


def encrypted_fields() -> dict[type[models.Model], list[EncryptedTextField]]:
    """Every encrypted column of every installed model (identity, narratives...)."""
    found = {}
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if fields:
            found[model] = fields
    return found


@transaction.atomic
def _rotate_batch(
    *, model: type[models.Model], fields: list[EncryptedTextField], after: Any, batch_size: int
) -> tuple[list[Any], int]:
    """Re-encrypt one batch of rows (locked meanwhile); return their keys and the values done."""
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)
    columns = [connection.ops.quote_name(f.column) for f in fields]
    where = f"WHERE {pk} > %s " if after is not None else ""
    with connection.cursor() as cursor:
        # Raw tokens, not model instances: rotation never needs the plaintext in Python.
        cursor.execute(
            f"SELECT {pk}, {', '.join(columns)} FROM {table} {where}"  # noqa: S608
            f"ORDER BY {pk} LIMIT %s FOR UPDATE",
            [after, batch_size] if after is not None else [batch_size],
        )
        rows = cursor.fetchall()
        updates = []
        values = 0
        for key, *tokens in rows:
            rotated = []
            for token in tokens:
                if token:
                    rotated.append(crypto.rotate(token))
                    values += 1
                else:
                    rotated.append(token)
            updates.append([*rotated, key])
        if updates:
            assignments = ", ".join(f"{column} = %s" for column in columns)
            cursor.executemany(
                f"UPDATE {table} SET {assignments} WHERE {pk} = %s",  # noqa: S608
                updates,
            )
    return [row[0] for row in rows], values


def encryption_keys_rotate(*, actor: User | None = None, batch_size: int = 1000) -> dict[str, int]:
    """Re-encrypt every encrypted value with the first key of FIELD_ENCRYPTION_KEYS.

    Runs in batches, one transaction each, so a long rotation holds no lock for long. An
    interrupted run leaves every value readable (old and new keys are both configured) and
    can simply be run again.
    """
    rows_by_model: dict[str, int] = {}
    values_total = 0
    for model, fields in encrypted_fields().items():
        after = None
        rows_done = 0
        while True:
            keys, values = _rotate_batch(
                model=model, fields=fields, after=after, batch_size=batch_size
            )
            rows_done += len(keys)
            values_total += values
            if len(keys) < batch_size:
                break
            after = keys[-1]
        rows_by_model[model._meta.label_lower] = rows_done
    counts = {"rows": sum(rows_by_model.values()), "values": values_total}
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=AuditAction.ENCRYPTION_KEYS_ROTATED,
            detail={**counts, "models": rows_by_model},
        )
    return counts
