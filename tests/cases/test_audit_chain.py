"""The tamper-evident audit trail: TRUNCATE refused, hash chain, verify_audit, checkpoints."""

import datetime
import hashlib
import json
import threading
import time

import pytest
from django import conf as django_conf
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from cases import audit_chain
from cases.audit import audit_record
from cases.housekeeping import audit_checkpoint_sign, audit_integrity_check, audit_verify
from cases.models import AuditAction, AuditCheckpoint, AuditEvent
from cases.tasks import audit_checkpoint_sign_task
from config.errors import ApplicationError
from tests import factories

pytestmark = pytest.mark.django_db

APPEND_ONLY = "cases_auditevent_append_only"
# Any character but U+0000, which PostgreSQL's jsonb cannot store (audit details are codes).
TEXT = st.characters(exclude_characters="\x00")
NO_TRUNCATE = "cases_auditevent_no_truncate"


def _as_database_superuser(sql: str, params=None, *, trigger: str = APPEND_ONLY) -> None:
    """What someone with the owner's or a superuser's access could do: lift the rule, act."""
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE cases_auditevent DISABLE TRIGGER {trigger}")
        cursor.execute(sql, params or [])
        cursor.execute(f"ALTER TABLE cases_auditevent ENABLE TRIGGER {trigger}")


def _events(n: int) -> list[AuditEvent]:
    return [factories.AuditEventFactory() for _ in range(n)]


# --- TRUNCATE -----------------------------------------------------------------------------


def test_truncate_of_the_audit_table_is_refused_by_the_database():
    event = factories.AuditEventFactory()

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE cases_auditevent")

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_truncate_of_the_checkpoints_is_refused_by_the_database():
    checkpoint = audit_checkpoint_sign()

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE cases_auditcheckpoint")

    assert AuditCheckpoint.objects.filter(pk=checkpoint.pk).exists()


def test_checkpoints_refuse_update_and_delete():
    checkpoint = audit_checkpoint_sign()

    for sql in (
        "UPDATE cases_auditcheckpoint SET seq = 99 WHERE id = %s",
        "DELETE FROM cases_auditcheckpoint WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [checkpoint.pk])

    assert AuditCheckpoint.objects.get(pk=checkpoint.pk).seq == checkpoint.seq


def test_truncate_trigger_is_a_statement_level_trigger_on_truncate():
    with connection.cursor() as cursor:
        # tgtype bit 0 = FOR EACH ROW, bit 5 (32) = TRUNCATE.
        cursor.execute(
            "SELECT tgtype FROM pg_trigger WHERE tgrelid = 'cases_auditevent'::regclass "
            "AND tgname = %s",
            [NO_TRUNCATE],
        )
        (tgtype,) = cursor.fetchone()

    assert tgtype & 1 == 0
    assert tgtype & 32 == 32


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_flushes_despite_the_trigger():
    # This test's own teardown flushes with TRUNCATE (config/testing_db); the trigger is on.
    factories.AuditEventFactory()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgenabled FROM pg_trigger WHERE tgrelid = 'cases_auditevent'::regclass "
            "AND tgname = %s",
            [NO_TRUNCATE],
        )
        assert cursor.fetchone()[0] != "D"
    with pytest.raises(DatabaseError), connection.cursor() as cursor:
        cursor.execute("TRUNCATE cases_auditevent")


@pytest.mark.django_db(transaction=True)
def test_the_flush_left_no_row_behind_and_the_trigger_on():
    assert AuditEvent.objects.count() == 0
    with pytest.raises(DatabaseError), connection.cursor() as cursor:
        cursor.execute("TRUNCATE cases_auditevent")


# --- The chain ----------------------------------------------------------------------------


def test_each_row_follows_the_previous_one():
    first, second, third = _events(3)

    assert [first.seq, second.seq, third.seq] == [1, 2, 3]
    assert first.prev_hash == audit_chain.GENESIS_HASH
    assert second.prev_hash == first.row_hash
    assert third.prev_hash == second.row_hash
    assert len({first.row_hash, second.row_hash, third.row_hash}) == 3


def test_an_audited_row_costs_two_statements(django_assert_num_queries):
    # The lock and the head travel together; then the insert.
    with django_assert_num_queries(2) as queries:
        audit_record(actor=None, action=AuditAction.AUDIT_VIEWED)

    assert "pg_advisory_xact_lock" in queries.captured_queries[0]["sql"]


@pytest.mark.django_db(transaction=True)
def test_a_writer_that_waited_for_the_lock_chains_after_the_one_it_waited_for():
    """The head is read after the lock is granted, with a snapshot that sees the rows of the
    writer that held it (one statement for both would read a snapshot from before the wait)."""
    holding = threading.Event()
    errors: list[BaseException] = []

    def second_writer() -> None:
        try:
            holding.wait(timeout=10)
            factories.AuditEventFactory()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=second_writer)
    thread.start()
    with transaction.atomic():
        first = factories.AuditEventFactory()
        holding.set()
        # Long enough for the second writer to be waiting on the lock when this commits.
        time.sleep(0.5)
    thread.join(timeout=20)

    assert not errors
    second = AuditEvent.objects.exclude(pk=first.pk).get()
    assert second.seq == first.seq + 1
    assert second.prev_hash == first.row_hash
    assert audit_verify().problem is None


def test_the_hash_is_sha256_of_the_documented_canonical_content(case_a, caseworker_a):
    with transaction.atomic():
        event = audit_record(
            actor=caseworker_a,
            action=AuditAction.CASE_VIEWED,
            case=case_a,
            detail={"b": 2, "a": [1, "x"]},
        )
    stored = AuditEvent.objects.get(pk=event.pk)
    canonical = {
        "seq": stored.seq,
        "prev_hash": stored.prev_hash,
        "occurred_at": stored.occurred_at.astimezone(datetime.UTC).strftime(
            "%Y-%m-%dT%H:%M:%S.%fZ"
        ),
        "actor_id": str(caseworker_a.pk),
        "action": "case_viewed",
        "object_type": "cases.case",
        "object_id": str(case_a.pk),
        "case_id": str(case_a.pk),
        "case_reference": case_a.reference,
        "mission_id": str(case_a.mission_id),
        "request_id": "",
        "ip_address": None,
        "detail": {"a": [1, "x"], "b": 2},
    }
    expected = hashlib.sha256(
        json.dumps(canonical, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()

    assert stored.row_hash == expected


def test_bulk_create_chains_in_order():
    factories.AuditEventFactory()
    rows = AuditEvent.objects.bulk_create(
        [AuditEvent(action=AuditAction.CASE_LISTED), AuditEvent(action=AuditAction.SIGN_IN)]
    )

    assert [row.seq for row in rows] == [2, 3]
    assert audit_verify().ok


def test_a_rolled_back_row_leaves_no_gap():
    factories.AuditEventFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        factories.AuditEventFactory()
        raise RuntimeError("rolled back")
    last = factories.AuditEventFactory()

    assert last.seq == 2
    assert audit_verify().ok


def test_an_audit_row_cannot_be_saved_twice():
    event = factories.AuditEventFactory()

    with pytest.raises(ValueError, match="append-only"):
        event.save()


@settings(max_examples=25, deadline=None)
@given(
    detail=st.dictionaries(
        st.text(TEXT, max_size=8),
        st.one_of(st.integers(), st.text(TEXT, max_size=8), st.booleans(), st.none()),
        max_size=4,
    ),
    ip=st.one_of(st.none(), st.ip_addresses().map(str)),
)
def test_any_stored_row_verifies(detail, ip):
    # Whatever the content, what the database gives back hashes to what was stored.
    with transaction.atomic():
        factories.AuditEventFactory(detail=detail, ip_address=ip)
        assert audit_chain.walk_chain().ok
        transaction.set_rollback(True)


# --- verify_audit -------------------------------------------------------------------------


def test_verify_audit_passes_on_an_intact_trail(capsys):
    _events(4)

    call_command("verify_audit")

    assert "4 rows, head seq 4" in capsys.readouterr().out


def test_verify_audit_finds_an_edited_row():
    events = _events(4)
    _as_database_superuser(
        "UPDATE cases_auditevent SET action = %s WHERE id = %s",
        [AuditAction.SIGN_IN, events[2].pk],
    )

    with pytest.raises(CommandError, match=f"edited at seq 3 \\(event id {events[2].pk}\\)"):
        call_command("verify_audit")


def test_verify_audit_finds_an_edited_row_whose_hash_was_recomputed():
    # Rewriting a row and its own hash still breaks the link to the next row.
    events = _events(4)
    fields = {name: getattr(events[1], name) for name in audit_chain.CHAINED_FIELDS}
    fields["detail"] = {"forged": True}
    forged = audit_chain.row_hash(seq=2, prev_hash=events[1].prev_hash, fields=fields)
    _as_database_superuser(
        "UPDATE cases_auditevent SET detail = %s, row_hash = %s WHERE id = %s",
        ['{"forged": true}', forged, events[1].pk],
    )

    with pytest.raises(CommandError, match="reordered at seq 3"):
        call_command("verify_audit")


def test_verify_audit_finds_a_deleted_middle_row():
    events = _events(5)
    _as_database_superuser("DELETE FROM cases_auditevent WHERE id = %s", [events[2].pk])

    with pytest.raises(CommandError, match="missing at seq 3"):
        call_command("verify_audit")


def test_verify_audit_finds_reordered_rows():
    events = _events(4)
    _as_database_superuser(
        "UPDATE cases_auditevent SET seq = CASE id WHEN %s THEN -1 ELSE seq END WHERE id = %s",
        [events[1].pk, events[1].pk],
    )
    _as_database_superuser("UPDATE cases_auditevent SET seq = 2 WHERE id = %s", [events[2].pk])
    _as_database_superuser("UPDATE cases_auditevent SET seq = 3 WHERE id = %s", [events[1].pk])

    with pytest.raises(CommandError, match="reordered at seq 2"):
        call_command("verify_audit")


def test_verify_audit_names_no_content_of_the_row():
    events = _events(3)
    _as_database_superuser(
        "UPDATE cases_auditevent SET case_reference = %s WHERE id = %s",
        ["SECRET-REF-1", events[1].pk],
    )

    with pytest.raises(CommandError) as raised:
        call_command("verify_audit")

    assert "SECRET-REF-1" not in str(raised.value)


# --- Checkpoints --------------------------------------------------------------------------


def test_a_checkpoint_signs_the_head_and_is_recorded():
    events = _events(3)

    checkpoint = audit_checkpoint_sign()

    assert (checkpoint.seq, checkpoint.row_hash) == (3, events[-1].row_hash)
    recorded = AuditEvent.objects.get(action=AuditAction.AUDIT_CHECKPOINT_SIGNED)
    assert recorded.detail == {"seq": 3}
    assert recorded.seq == 4
    assert audit_verify().ok


def test_the_checkpoint_task_is_scheduled_and_signs():
    scheduled = {entry["task"] for entry in django_conf.settings.CELERY_BEAT_SCHEDULE.values()}
    outcome = audit_checkpoint_sign_task.delay().get()

    assert audit_checkpoint_sign_task.name in scheduled
    assert AuditCheckpoint.objects.get(pk=outcome["checkpoint_id"]).seq == outcome["seq"]


def test_signing_without_a_key_is_refused_and_writes_nothing(settings):
    settings.HARBOUR_AUDIT_CHECKPOINT_KEY = ""
    factories.AuditEventFactory()

    with pytest.raises(ApplicationError):
        audit_checkpoint_sign()

    assert not AuditCheckpoint.objects.exists()
    assert AuditEvent.objects.count() == 1


def test_truncate_with_the_trigger_disabled_is_found_by_the_checkpoint():
    _events(5)
    audit_checkpoint_sign()
    _as_database_superuser("TRUNCATE cases_auditevent", trigger=NO_TRUNCATE)
    _events(2)  # the trail goes on, a consistent chain from seq 1 again

    assert audit_chain.walk_chain().ok
    with pytest.raises(CommandError, match=r"missing at seq 5.*trail ends at seq 2"):
        call_command("verify_audit")


def test_a_rebuilt_chain_is_found_by_the_checkpoint():
    _events(3)
    audit_checkpoint_sign()
    _as_database_superuser("TRUNCATE cases_auditevent", trigger=NO_TRUNCATE)
    _events(6)  # seq 3 exists again, with another hash

    with pytest.raises(CommandError, match="edited at seq 3"):
        call_command("verify_audit")


def test_a_forged_checkpoint_is_found(settings):
    _events(2)
    settings.HARBOUR_AUDIT_CHECKPOINT_KEY = "a-key-the-attacker-guessed"
    audit_checkpoint_sign()
    settings.HARBOUR_AUDIT_CHECKPOINT_KEY = "the-real-key-outside-the-database"

    with pytest.raises(CommandError, match="checkpoint at seq 2"):
        call_command("verify_audit")


def test_nightly_check_reports_a_broken_chain():
    events = _events(3)
    _as_database_superuser("DELETE FROM cases_auditevent WHERE id = %s", [events[1].pk])

    result = audit_integrity_check()

    assert result.ok is False
    assert result.chain_problem.kind == "missing"
    recorded = AuditEvent.objects.get(action=AuditAction.AUDIT_INTEGRITY_CHECKED)
    assert (recorded.detail["chain_ok"], recorded.detail["chain_problem_seq"]) == (False, 2)


def test_nightly_check_reports_a_disabled_truncate_trigger():
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE cases_auditevent DISABLE TRIGGER {NO_TRUNCATE}")

    result = audit_integrity_check()

    assert (result.ok, result.truncate_trigger_enabled) == (False, False)


def test_nightly_check_without_the_checkpoint_key_reports_it_and_still_records(settings):
    _events(2)
    audit_checkpoint_sign()
    settings.HARBOUR_AUDIT_CHECKPOINT_KEY = ""

    result = audit_integrity_check()

    assert (result.ok, result.chain_problem.kind) == (False, "checkpoint")
    recorded = AuditEvent.objects.get(action=AuditAction.AUDIT_INTEGRITY_CHECKED)
    assert recorded.detail["chain_ok"] is False


def test_verify_audit_without_the_checkpoint_key_fails_with_a_clear_message(settings):
    _events(1)
    audit_checkpoint_sign()
    settings.HARBOUR_AUDIT_CHECKPOINT_KEY = ""

    with pytest.raises(CommandError, match="HARBOUR_AUDIT_CHECKPOINT_KEY is not configured"):
        call_command("verify_audit")


def test_a_checkpoint_signed_after_the_listing_is_no_false_alarm(monkeypatch):
    # A checkpoint signed while the walk runs must not look like a cut trail.
    _events(3)
    audit_checkpoint_sign()
    real_walk = audit_chain.walk_chain

    def walk_then_sign(**kwargs):
        report = real_walk(**kwargs)
        _events(2)
        audit_checkpoint_sign()
        return report

    monkeypatch.setattr(audit_chain, "walk_chain", walk_then_sign)

    assert audit_verify().ok
