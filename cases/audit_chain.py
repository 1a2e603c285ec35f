"""The hash chain of the audit trail: canonical content, the lock, and the chain's walk.

Each audit row carries ``seq`` (1, 2, 3... with no gap), ``prev_hash`` (the ``row_hash`` of the
row before it, or 64 zeros for the first) and ``row_hash``:

    row_hash = SHA-256( canonical_bytes(row, prev_hash) )

``canonical_bytes`` is UTF-8 JSON, keys sorted, no whitespace (``separators=(",", ":")``),
non-ASCII escaped, of exactly these keys:

    seq, prev_hash, occurred_at, actor_id, action, object_type, object_id, case_id,
    case_reference, mission_id, request_id, ip_address, detail

``occurred_at`` is UTC ISO 8601 with microseconds and a ``Z`` (``2026-12-03T09:05:31.000123Z``);
``ip_address`` is the compressed text form (or null); ``detail`` is the JSON value with its own
keys sorted; ``actor_id``, ``case_id`` and ``mission_id`` are their text form (a case's id is a
UUID, ``str(uuid)``) or null. The database's ``id`` is not part of it (it is assigned
after the hash is computed); ``seq`` gives the order.

Writers take a transaction-level advisory lock (``CHAIN_LOCK_KEY``) before reading the head of
the chain, so the order is total: the next writer waits until this transaction commits or rolls
back, and then reads the committed head.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection

GENESIS_HASH = "0" * 64
# An arbitrary constant shared by every writer of the audit chain (pg_advisory_xact_lock key).
CHAIN_LOCK_KEY = 7_310_412_001
AUDIT_TABLE = "cases_auditevent"

CHAINED_FIELDS = (
    "occurred_at",
    "actor_id",
    "action",
    "object_type",
    "object_id",
    "case_id",
    "case_reference",
    "mission_id",
    "request_id",
    "ip_address",
    "detail",
)


def _utc(value: datetime.datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("audit timestamps must be timezone-aware")
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _ip(value: str | None) -> str | None:
    if not value:
        return None
    return str(ipaddress.ip_address(str(value).split("/")[0]))


def _id(value: Any) -> str | None:
    return None if value is None else str(value)


def canonical_bytes(*, seq: int, prev_hash: str, fields: dict[str, Any]) -> bytes:
    # A JSON round trip first, so the detail hashed is the detail the database stores.
    detail = json.loads(json.dumps(fields["detail"] or {}))
    content = {
        "seq": int(seq),
        "prev_hash": prev_hash,
        "occurred_at": _utc(fields["occurred_at"]),
        "actor_id": _id(fields["actor_id"]),
        "action": str(fields["action"]),
        "object_type": fields["object_type"] or "",
        "object_id": fields["object_id"] or "",
        "case_id": _id(fields["case_id"]),
        "case_reference": fields["case_reference"] or "",
        "mission_id": _id(fields["mission_id"]),
        "request_id": fields["request_id"] or "",
        "ip_address": _ip(fields["ip_address"]),
        "detail": detail,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def row_hash(*, seq: int, prev_hash: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(seq=seq, prev_hash=prev_hash, fields=fields)).hexdigest()


def lock_chain() -> None:
    """Serialise writers of the chain until the end of the current transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])


def chain_head() -> tuple[int, str]:
    """(seq, row_hash) of the last row, or (0, GENESIS_HASH) for an empty trail."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT seq, row_hash FROM {AUDIT_TABLE} "  # noqa: S608
            "WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1"
        )
        row = cursor.fetchone()
    return (row[0], row[1]) if row else (0, GENESIS_HASH)


def lock_chain_and_read_head() -> tuple[int, str]:
    """``lock_chain()`` then ``chain_head()`` in one round trip.

    Two statements in one simple-protocol message (Django's psycopg cursor binds parameters on
    the client): PostgreSQL takes a fresh snapshot for each statement at READ COMMITTED, so the
    head is read only once the lock is held, and sees the row of a writer that committed while
    this one waited. One statement doing both would read the head with a snapshot taken before
    the wait, and miss that row.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s); "  # noqa: S608 - a constant table name
            f"SELECT seq, row_hash FROM {AUDIT_TABLE} "
            "WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1",
            [CHAIN_LOCK_KEY],
        )
        if not cursor.nextset():
            raise RuntimeError("the audit chain's head query returned no result")
        row = cursor.fetchone()
    return (row[0], row[1]) if row else (0, GENESIS_HASH)


def chain_event(event) -> None:
    """Give an unsaved AuditEvent its place in the chain, taking the chain's lock."""
    seq, prev = lock_chain_and_read_head()
    fields = {name: getattr(event, name) for name in CHAINED_FIELDS}
    event.seq = seq + 1
    event.prev_hash = prev
    event.row_hash = row_hash(seq=event.seq, prev_hash=prev, fields=fields)


@dataclass(frozen=True)
class ChainProblem:
    """The first fault found. Ids and sequence numbers only."""

    kind: str  # "edited", "missing", "reordered", "unchained", "checkpoint"
    seq: int | None
    event_id: int | None
    message: str


@dataclass(frozen=True)
class ChainReport:
    rows: int
    head_seq: int
    head_hash: str
    problem: ChainProblem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _rows(batch_size: int, after_seq: int = 0) -> Iterator[tuple]:
    columns = ", ".join(["id", "seq", "prev_hash", "row_hash", *CHAINED_FIELDS])
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {AUDIT_TABLE} WHERE seq IS NULL"  # noqa: S608
        )
        unchained = cursor.fetchone()[0]
        if unchained:
            cursor.execute(
                f"SELECT min(id) FROM {AUDIT_TABLE} WHERE seq IS NULL"  # noqa: S608
            )
            yield ("unchained", cursor.fetchone()[0])
            return
    after = after_seq
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {columns} FROM {AUDIT_TABLE} "  # noqa: S608
                "WHERE seq > %s ORDER BY seq LIMIT %s",
                [after, batch_size],
            )
            batch = cursor.fetchall()
        if not batch:
            return
        yield from batch
        after = batch[-1][1]


def walk_chain(
    *, batch_size: int = 2000, after_seq: int = 0, after_hash: str = GENESIS_HASH
) -> ChainReport:
    """Recompute every row's hash in ``seq`` order; stop at the first fault.

    The chain starts after ``after_seq`` whose hash was ``after_hash``: the genesis, or the
    retention anchor where ``manage.py audit_retention`` cut the older rows off.
    """
    expected_seq = after_seq + 1
    prev = after_hash
    count = 0
    for row in _rows(batch_size, after_seq):
        if row[0] == "unchained":
            return ChainReport(
                count,
                expected_seq - 1,
                prev,
                ChainProblem("unchained", None, row[1], "row without a place in the chain"),
            )
        event_id, seq, prev_hash, stored_hash, *values = row
        fields = dict(zip(CHAINED_FIELDS, values, strict=True))
        if isinstance(fields["detail"], str):
            fields["detail"] = json.loads(fields["detail"])
        if seq != expected_seq:
            kind = "missing" if seq > expected_seq else "reordered"
            return ChainReport(
                count,
                expected_seq - 1,
                prev,
                ChainProblem(kind, expected_seq, event_id, f"expected seq {expected_seq}"),
            )
        if prev_hash != prev:
            return ChainReport(
                count,
                expected_seq - 1,
                prev,
                ChainProblem(
                    "reordered", seq, event_id, "prev_hash is not the previous row's hash"
                ),
            )
        if row_hash(seq=seq, prev_hash=prev_hash, fields=fields) != stored_hash:
            return ChainReport(
                count,
                expected_seq - 1,
                prev,
                ChainProblem("edited", seq, event_id, "content does not match its hash"),
            )
        prev = stored_hash
        expected_seq += 1
        count += 1
    return ChainReport(count, expected_seq - 1, prev, None)
