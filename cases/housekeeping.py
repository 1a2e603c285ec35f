"""Maintenance services: audit trail integrity and encryption key rotation."""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from config.errors import ApplicationError

from . import audit_chain, crypto
from .audit import audit_record
from .fields import EncryptedTextField
from .models import AuditAction, AuditCheckpoint, AuditEvent

logger = logging.getLogger(__name__)

AUDIT_TRIGGER_NAME = "cases_auditevent_append_only"
AUDIT_TRUNCATE_TRIGGER_NAME = "cases_auditevent_no_truncate"

MISSING_CHECKPOINT_KEY = _("HARBOUR_AUDIT_CHECKPOINT_KEY is not configured.")


@dataclass(frozen=True)
class AuditIntegrityResult:
    trigger_installed: bool
    trigger_enabled: bool
    truncate_trigger_enabled: bool = True
    chain_problem: audit_chain.ChainProblem | None = None

    @property
    def ok(self) -> bool:
        return (
            self.trigger_installed
            and self.trigger_enabled
            and self.truncate_trigger_enabled
            and self.chain_problem is None
        )


def _trigger_state(name: str) -> str | None:
    with connection.cursor() as cursor:
        # tgenabled 'D' is a disabled trigger; any other state fires in normal sessions.
        cursor.execute(
            "SELECT tgenabled FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname = %s",
            [AuditEvent._meta.db_table, name],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _checkpoint_mac(*, seq: int, row_hash: str) -> str:
    key = settings.HARBOUR_AUDIT_CHECKPOINT_KEY
    if not key:
        raise ApplicationError(str(MISSING_CHECKPOINT_KEY), code="checkpoint_key_missing")
    message = f"harbour-audit-checkpoint:v1:{seq}:{row_hash}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


@transaction.atomic
def audit_checkpoint_sign(*, actor: User | None = None) -> AuditCheckpoint:
    """Sign the head of the audit chain with the key kept outside the database.

    The checkpoint is stored (append-only table), recorded in the trail, and written to the
    log, so a copy lives outside the database too.
    """
    audit_chain.lock_chain()
    seq, head = audit_chain.chain_head()
    checkpoint = AuditCheckpoint.objects.create(
        seq=seq, row_hash=head, mac=_checkpoint_mac(seq=seq, row_hash=head)
    )
    audit_record(
        actor=actor,
        action=AuditAction.AUDIT_CHECKPOINT_SIGNED,
        obj=checkpoint,
        detail={"seq": seq},
    )
    logger.info("Audit checkpoint signed: seq=%s hash=%s mac=%s", seq, head, checkpoint.mac)
    return checkpoint


@dataclass(frozen=True)
class AuditVerifyResult:
    chain: audit_chain.ChainReport
    checkpoints: int
    problem: audit_chain.ChainProblem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def audit_verify() -> AuditVerifyResult:
    """Walk the chain, then every checkpoint: each must be genuine and still match its row.

    A checkpoint beyond the end of the chain, or whose row now has another hash, shows that
    rows were removed (TRUNCATE, even with the trigger disabled) or the chain was rebuilt.
    """
    # Checkpoints first: each then signs a seq at or below the head the walk will reach (the
    # chain only grows), so one signed during the walk is no false alarm.
    checkpoints = list(AuditCheckpoint.objects.order_by("seq", "id"))
    report = audit_chain.walk_chain()
    if report.problem is not None:
        return AuditVerifyResult(report, len(checkpoints), report.problem)
    hashes = dict(
        AuditEvent.objects.filter(seq__in={c.seq for c in checkpoints}).values_list(
            "seq", "row_hash"
        )
    )
    hashes[0] = audit_chain.GENESIS_HASH
    for checkpoint in checkpoints:
        expected = _checkpoint_mac(seq=checkpoint.seq, row_hash=checkpoint.row_hash)
        if not hmac.compare_digest(expected, checkpoint.mac):
            problem = audit_chain.ChainProblem(
                "checkpoint", checkpoint.seq, None, f"checkpoint {checkpoint.pk} is not genuine"
            )
        elif checkpoint.seq > report.head_seq:
            problem = audit_chain.ChainProblem(
                "missing",
                checkpoint.seq,
                None,
                f"checkpoint {checkpoint.pk} signed seq {checkpoint.seq} "
                f"but the trail ends at seq {report.head_seq}",
            )
        elif hashes.get(checkpoint.seq) != checkpoint.row_hash:
            problem = audit_chain.ChainProblem(
                "edited",
                checkpoint.seq,
                None,
                f"checkpoint {checkpoint.pk} does not match the row at seq {checkpoint.seq}",
            )
        else:
            continue
        return AuditVerifyResult(report, len(checkpoints), problem)
    return AuditVerifyResult(report, len(checkpoints), None)


@transaction.atomic
def audit_integrity_check(*, actor: User | None = None) -> AuditIntegrityResult:
    """Check the triggers refusing UPDATE, DELETE and TRUNCATE, and verify the hash chain.

    Records the outcome in the audit trail itself, so a gap in the daily checks shows too.
    """
    state = _trigger_state(AUDIT_TRIGGER_NAME)
    truncate_state = _trigger_state(AUDIT_TRUNCATE_TRIGGER_NAME)
    try:
        verified = audit_verify()
    except ApplicationError as exc:  # checkpoints exist but the key to check them is missing
        problem = audit_chain.ChainProblem("checkpoint", None, None, exc.message)
        verified = AuditVerifyResult(audit_chain.ChainReport(0, 0, "", problem), 0, problem)
    result = AuditIntegrityResult(
        trigger_installed=state is not None,
        trigger_enabled=state is not None and state != "D",
        truncate_trigger_enabled=truncate_state is not None and truncate_state != "D",
        chain_problem=verified.problem,
    )
    if not result.ok:
        logger.error(
            "Audit trail integrity failed: trigger installed=%s enabled=%s "
            "truncate trigger enabled=%s chain problem=%s",
            result.trigger_installed,
            result.trigger_enabled,
            result.truncate_trigger_enabled,
            verified.problem,
        )
    audit_record(
        actor=actor,
        action=AuditAction.AUDIT_INTEGRITY_CHECKED,
        detail={
            "ok": result.ok,
            "trigger_installed": result.trigger_installed,
            "trigger_enabled": result.trigger_enabled,
            "truncate_trigger_enabled": result.truncate_trigger_enabled,
            "chain_ok": verified.ok,
            "chain_problem": verified.problem.kind if verified.problem else "",
            "chain_problem_seq": verified.problem.seq if verified.problem else None,
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
