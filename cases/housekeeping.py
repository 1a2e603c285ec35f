"""Maintenance services: audit trail integrity and encryption key rotation."""

from __future__ import annotations

import datetime
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
from config import db_roles
from config.errors import ApplicationError

from . import audit_chain, crypto, search
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
    # What is wrong with the database role the application connects as (config.db_roles);
    # None when HARBOUR_DATABASE_ROLE_CHECK is off.
    role_problems: tuple[str, ...] | None = ()

    @property
    def ok(self) -> bool:
        return (
            self.trigger_installed
            and self.trigger_enabled
            and self.truncate_trigger_enabled
            and self.chain_problem is None
            and not self.role_problems
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


# Separate MAC domains: a signed checkpoint can never pass for a retention anchor.
_MAC_PREFIX = {
    AuditCheckpoint.Kind.CHECKPOINT: "harbour-audit-checkpoint:v1",
    AuditCheckpoint.Kind.ANCHOR: "harbour-audit-anchor:v1",
}


def _checkpoint_mac(*, seq: int, row_hash: str, kind: str = AuditCheckpoint.Kind.CHECKPOINT) -> str:
    key = settings.HARBOUR_AUDIT_CHECKPOINT_KEY
    if not key:
        raise ApplicationError(str(MISSING_CHECKPOINT_KEY), code="checkpoint_key_missing")
    message = f"{_MAC_PREFIX[kind]}:{seq}:{row_hash}".encode()
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
    The chain starts at the genesis or, after ``audit_retention_apply``, at the latest genuine
    retention anchor; checkpoints of the rows retention removed can only be checked for
    genuineness.
    """
    # Checkpoints first: each then signs a seq at or below the head the walk will reach (the
    # chain only grows), so one signed during the walk is no false alarm.
    checkpoints = list(AuditCheckpoint.objects.order_by("seq", "id"))
    for checkpoint in checkpoints:
        expected = _checkpoint_mac(
            seq=checkpoint.seq, row_hash=checkpoint.row_hash, kind=checkpoint.kind
        )
        if not hmac.compare_digest(expected, checkpoint.mac):
            problem = audit_chain.ChainProblem(
                "checkpoint", checkpoint.seq, None, f"checkpoint {checkpoint.pk} is not genuine"
            )
            report = audit_chain.ChainReport(0, 0, "", problem)
            return AuditVerifyResult(report, len(checkpoints), problem)
    anchors = [c for c in checkpoints if c.kind == AuditCheckpoint.Kind.ANCHOR]
    anchor = anchors[-1] if anchors else None
    start_seq, start_hash = (
        (anchor.seq, anchor.row_hash) if anchor else (0, audit_chain.GENESIS_HASH)
    )
    report = audit_chain.walk_chain(after_seq=start_seq, after_hash=start_hash)
    if report.problem is not None:
        return AuditVerifyResult(report, len(checkpoints), report.problem)
    hashes = dict(
        AuditEvent.objects.filter(
            seq__in={c.seq for c in checkpoints if c.seq > start_seq}
        ).values_list("seq", "row_hash")
    )
    hashes[start_seq] = start_hash
    for checkpoint in checkpoints:
        if checkpoint.seq < start_seq:
            continue  # its row was removed by the audited retention
        if checkpoint.seq > report.head_seq:
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


NOT_THE_OWNER = _(
    "Audit retention must run as the role that owns the audit table (the migration role, "
    "DATABASE_MIGRATE_URL); the application's role cannot lift the append-only triggers."
)
CHAIN_BROKEN_BEFORE_RETENTION = _(
    "The audit trail does not verify; retention is refused so that it cannot hide the fault. "
    "Run manage.py verify_audit."
)


@dataclass(frozen=True)
class AuditRetentionPlan:
    before: datetime.datetime
    rows: int
    last_seq: int  # the last seq removed (0: nothing to remove)


@dataclass(frozen=True)
class AuditRetentionResult:
    rows_removed: int
    anchor: AuditCheckpoint | None
    event: AuditEvent | None


def _owns_audit_table() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_has_role(current_user, c.relowner, 'USAGE') "
            "FROM pg_class c WHERE c.oid = %s::regclass",
            [AuditEvent._meta.db_table],
        )
        return bool(cursor.fetchone()[0])


def audit_retention_plan(*, before: datetime.datetime) -> AuditRetentionPlan:
    """Which rows retention would remove: the longest run from the start of the kept chain
    whose rows all happened before ``before`` (seq order and time order agree but for rows
    written in the same instant, so the cut is always a prefix of the chain). The newest row
    is always kept: the chain goes on from it.
    """
    seq_before = AuditEvent.objects.filter(occurred_at__gte=before).order_by("seq")
    first_kept = seq_before.values_list("seq", flat=True).first()
    head_seq, _head = audit_chain.chain_head()
    last_seq = (first_kept - 1) if first_kept is not None else head_seq - 1
    last_seq = max(last_seq, 0)
    rows = AuditEvent.objects.filter(seq__lte=last_seq).count()
    return AuditRetentionPlan(before=before, rows=rows, last_seq=last_seq if rows else 0)


@transaction.atomic
def audit_retention_apply(
    *, before: datetime.datetime, actor: User | None = None
) -> AuditRetentionResult:
    """Remove the audit rows older than ``before``: the only supported way to shorten the trail.

    In one transaction, as the owner of the audit table: lock the chain, verify it (a broken
    trail is not cut, or the cut would hide the fault), lift the append-only trigger, delete
    the oldest rows, put it back, record a signed retention anchor (the seq and hash the kept
    chain starts after) and an ``AUDIT_RETENTION_APPLIED`` row with the counts. ``verify_audit``
    then starts at the anchor; a row removed any other way is still found.
    """
    if not _owns_audit_table():
        raise ApplicationError(str(NOT_THE_OWNER), code="audit_retention_not_owner")
    _checkpoint_mac(seq=0, row_hash=audit_chain.GENESIS_HASH)  # the key must be configured
    audit_chain.lock_chain()
    if not audit_verify().ok:
        raise ApplicationError(
            str(CHAIN_BROKEN_BEFORE_RETENTION), code="audit_retention_chain_broken"
        )
    plan = audit_retention_plan(before=before)
    if not plan.rows:
        return AuditRetentionResult(0, None, None)
    last_hash = AuditEvent.objects.values_list("row_hash", flat=True).get(seq=plan.last_seq)
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    trigger = connection.ops.quote_name(AUDIT_TRIGGER_NAME)
    with connection.cursor() as cursor:
        # ALTER TABLE takes the table's exclusive lock until commit: no writer sees it open.
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
        cursor.execute(f"DELETE FROM {table} WHERE seq <= %s", [plan.last_seq])  # noqa: S608
        removed = cursor.rowcount
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
    anchor = AuditCheckpoint.objects.create(
        kind=AuditCheckpoint.Kind.ANCHOR,
        seq=plan.last_seq,
        row_hash=last_hash,
        mac=_checkpoint_mac(
            seq=plan.last_seq, row_hash=last_hash, kind=AuditCheckpoint.Kind.ANCHOR
        ),
    )
    event = audit_record(
        actor=actor,
        action=AuditAction.AUDIT_RETENTION_APPLIED,
        obj=anchor,
        detail={
            "before": before.date().isoformat(),
            "rows_removed": removed,
            "anchor_seq": plan.last_seq,
        },
    )
    logger.warning(
        "Audit retention applied: %s rows before %s removed; the chain now starts after seq %s "
        "(hash %s, anchor mac %s)",
        removed,
        before.date().isoformat(),
        plan.last_seq,
        last_hash,
        anchor.mac,
    )
    return AuditRetentionResult(removed, anchor, event)


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
    role_problems = (
        tuple(db_roles.app_role_problems()) if settings.HARBOUR_DATABASE_ROLE_CHECK else None
    )
    result = AuditIntegrityResult(
        trigger_installed=state is not None,
        trigger_enabled=state is not None and state != "D",
        truncate_trigger_enabled=truncate_state is not None and truncate_state != "D",
        chain_problem=verified.problem,
        role_problems=role_problems,
    )
    if not result.ok:
        # Codes, sequence numbers and table names only: nothing of any row's content.
        logger.error(
            "Audit trail integrity failed: trigger installed=%s enabled=%s "
            "truncate trigger enabled=%s chain problem=%s database role problems=%s",
            result.trigger_installed,
            result.trigger_enabled,
            result.truncate_trigger_enabled,
            verified.problem,
            ",".join(role_problems or ()) or "none",
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
            "role_checked": role_problems is not None,
            "role_problems": list(role_problems or ()),
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
    # Search tokens are keyed with the blind-index key; rebuilding them here means a rotation
    # of that key is one command too.
    counts["search_tokens"] = search.tokens_rebuild_all(batch_size=batch_size)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=AuditAction.ENCRYPTION_KEYS_ROTATED,
            detail={**counts, "models": rows_by_model},
        )
    return counts
