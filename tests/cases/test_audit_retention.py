"""manage.py audit_retention: the one audited way to remove old audit rows (issue 12 §3)."""

import datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from cases import audit_chain
from cases.housekeeping import (
    NOT_THE_OWNER,
    audit_checkpoint_sign,
    audit_retention_apply,
    audit_verify,
)
from cases.models import AuditAction, AuditCheckpoint, AuditEvent
from config.errors import ApplicationError
from tests import factories

pytestmark = pytest.mark.django_db

OLD = datetime.datetime(2020, 6, 1, 12, 0, tzinfo=datetime.UTC)
CUT = "2021-01-01"
CUT_AT = datetime.datetime(2021, 1, 1, tzinfo=datetime.UTC)


def _old(n: int) -> list[AuditEvent]:
    return [factories.AuditEventFactory(occurred_at=OLD) for _ in range(n)]


def _new(n: int) -> list[AuditEvent]:
    return [factories.AuditEventFactory() for _ in range(n)]


def _delete_behind_the_trigger(where: str, params) -> None:
    """What the owner could do without the command: lift the rule and delete."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE cases_auditevent DISABLE TRIGGER cases_auditevent_append_only")
        cursor.execute(f"DELETE FROM cases_auditevent WHERE {where}", params)  # noqa: S608
        cursor.execute("ALTER TABLE cases_auditevent ENABLE TRIGGER cases_auditevent_append_only")


def test_retention_removes_the_old_rows_and_verify_audit_still_passes(capsys):
    _old(5)
    audit_checkpoint_sign()  # signs seq 5 (old), itself recorded now as seq 6
    kept = _new(3)

    call_command("audit_retention", before=CUT, confirm=True)

    assert not AuditEvent.objects.filter(occurred_at__lt=CUT_AT).exists()
    assert set(AuditEvent.objects.filter(pk__in=[e.pk for e in kept])) == set(kept)
    applied = AuditEvent.objects.get(action=AuditAction.AUDIT_RETENTION_APPLIED)
    assert applied.detail == {"before": CUT, "rows_removed": 5, "anchor_seq": 5}
    anchor = AuditCheckpoint.objects.get(kind=AuditCheckpoint.Kind.ANCHOR)
    assert (anchor.seq, applied.object_id) == (5, str(anchor.pk))
    assert "Removed 5 audit rows" in capsys.readouterr().out
    call_command("verify_audit")
    assert audit_verify().chain.rows == AuditEvent.objects.count()


def test_without_confirm_nothing_is_removed(capsys):
    _old(4)
    _new(1)

    call_command("audit_retention", before=CUT)

    assert AuditEvent.objects.count() == 5
    assert not AuditCheckpoint.objects.exists()
    assert "4 audit rows before 2021-01-01 would be removed" in capsys.readouterr().out


def test_a_row_deleted_without_the_command_after_retention_is_still_found():
    _old(3)
    kept = _new(4)
    call_command("audit_retention", before=CUT, confirm=True)

    _delete_behind_the_trigger("id = %s", [kept[1].pk])

    with pytest.raises(CommandError, match="missing at seq 5"):
        call_command("verify_audit")


def test_old_rows_deleted_without_the_command_are_found():
    _old(3)
    _new(2)

    _delete_behind_the_trigger("occurred_at < %s", [CUT_AT])

    with pytest.raises(CommandError, match="missing at seq 1"):
        call_command("verify_audit")


def test_cutting_further_than_the_anchor_without_the_command_is_found():
    _old(3)
    _new(3)
    call_command("audit_retention", before=CUT, confirm=True)

    _delete_behind_the_trigger("seq <= %s", [5])

    with pytest.raises(CommandError, match="missing at seq 4"):
        call_command("verify_audit")


def test_an_anchor_signed_with_another_key_is_not_genuine(settings):
    _old(3)
    _new(2)
    settings.HARBOUR_AUDIT_CHECKPOINT_KEY = "a-key-the-attacker-guessed"
    audit_retention_apply(before=CUT_AT)
    settings.HARBOUR_AUDIT_CHECKPOINT_KEY = "the-real-key-outside-the-database"

    with pytest.raises(CommandError, match="not genuine"):
        call_command("verify_audit")


def test_a_checkpoint_cannot_pass_for_an_anchor():
    _old(3)
    checkpoint = audit_checkpoint_sign()
    _new(1)
    # The owner deletes the old rows and adds an "anchor" carrying the checkpoint's MAC.
    _delete_behind_the_trigger("seq <= %s", [checkpoint.seq])
    AuditCheckpoint.objects.create(
        kind=AuditCheckpoint.Kind.ANCHOR,
        seq=checkpoint.seq,
        row_hash=checkpoint.row_hash,
        mac=checkpoint.mac,
    )

    assert audit_verify().problem.kind == "checkpoint"


def test_a_broken_trail_is_not_cut():
    events = _old(4)
    _new(1)
    _delete_behind_the_trigger("id = %s", [events[1].pk])

    with pytest.raises(CommandError, match="does not verify"):
        call_command("audit_retention", before=CUT, confirm=True)

    assert AuditEvent.objects.count() == 4
    assert not AuditCheckpoint.objects.exists()


def test_retention_can_be_applied_again_later():
    _old(2)
    middle = [
        factories.AuditEventFactory(occurred_at=datetime.datetime(2022, 3, 1, tzinfo=datetime.UTC))
        for _ in range(2)
    ]
    _new(1)
    call_command("audit_retention", before=CUT, confirm=True)

    call_command("audit_retention", before="2023-01-01", confirm=True)

    assert not AuditEvent.objects.filter(pk__in=[e.pk for e in middle]).exists()
    assert AuditCheckpoint.objects.filter(kind=AuditCheckpoint.Kind.ANCHOR).count() == 2
    call_command("verify_audit")


def test_the_newest_row_is_kept_so_the_chain_goes_on():
    _old(3)

    call_command("audit_retention", before=timezone.now().date().isoformat(), confirm=True)

    remaining = list(AuditEvent.objects.order_by("seq").values_list("seq", "action"))
    assert remaining == [(3, AuditAction.CASE_VIEWED), (4, AuditAction.AUDIT_RETENTION_APPLIED)]
    call_command("verify_audit")


def test_nothing_to_remove_writes_nothing(capsys):
    _new(2)

    call_command("audit_retention", before=CUT, confirm=True)

    assert AuditEvent.objects.count() == 2
    assert not AuditCheckpoint.objects.exists()
    assert "nothing removed" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("before", "message"),
    [
        ("2021-13-01", "YYYY-MM-DD"),
        ("yesterday", "YYYY-MM-DD"),
        ("", "YYYY-MM-DD"),
        ((timezone.now() + datetime.timedelta(days=2)).date().isoformat(), "future"),
    ],
)
def test_bad_dates_are_refused_and_nothing_changes(before, message):
    _old(2)
    _new(1)

    with pytest.raises(CommandError, match=message):
        call_command("audit_retention", before=before, confirm=True)

    assert AuditEvent.objects.count() == 3


def test_before_is_required():
    with pytest.raises(CommandError, match="--before"):
        call_command("audit_retention", confirm=True)


def test_the_application_role_cannot_apply_retention():
    _old(2)
    _new(1)
    with transaction.atomic(), connection.cursor() as cursor:
        # Roles are cluster-wide, but this one lives only in the test's transaction.
        cursor.execute("CREATE ROLE harbour_test_retention_nobody NOLOGIN")
        cursor.execute("SET LOCAL ROLE harbour_test_retention_nobody")
        with pytest.raises(ApplicationError) as refused:
            audit_retention_apply(before=CUT_AT)
        cursor.execute("RESET ROLE")

    assert refused.value.message == str(NOT_THE_OWNER)
    assert AuditEvent.objects.count() == 3
    assert audit_chain.walk_chain().ok
