"""Migration cases 0010 chains the rows that existed before it, in id order."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from cases import audit_chain

BEFORE = [("cases", "0009_security_and_release_audit_actions")]
AFTER = [("cases", "0010_audit_hash_chain")]


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.fixture(autouse=True)
def _latest_schema_afterwards():
    """Back to every app's latest migration, or later tests run on a schema without the
    migrations after 0010 (tables missing)."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_existing_rows_are_chained_in_id_order():
    _migrate(BEFORE)
    try:
        with connection.cursor() as cursor:
            for action in ("sign_in", "case_viewed", "sign_out"):
                cursor.execute(
                    "INSERT INTO cases_auditevent (occurred_at, action, object_type, object_id, "
                    "case_reference, request_id, ip_address, detail) "
                    "VALUES (now(), %s, '', '', '', '', '10.0.0.1', %s)",
                    [action, '{"z": 1, "a": "b"}'],
                )
    finally:
        _migrate(AFTER)

    with connection.cursor() as cursor:
        cursor.execute("SELECT id, seq, action FROM cases_auditevent ORDER BY id")
        rows = cursor.fetchall()
    report = audit_chain.walk_chain()

    assert [(seq, action) for _, seq, action in rows] == [
        (1, "sign_in"),
        (2, "case_viewed"),
        (3, "sign_out"),
    ]
    assert (report.ok, report.rows, report.head_seq) == (True, 3, 3)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'cases_auditevent'::regclass "
            "AND NOT tgisinternal ORDER BY tgname"
        )
        triggers = cursor.fetchall()
    # The backfill lifted the append-only rule for itself only: both rules are on again.
    assert triggers == [
        ("cases_auditevent_append_only", "O"),
        ("cases_auditevent_no_truncate", "O"),
    ]
