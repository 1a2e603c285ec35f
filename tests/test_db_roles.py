"""The database role split (issue 12 §4): the application's role owns nothing and may only
SELECT and INSERT on the append-only tables; grant_app_role gives it that, the nightly check
verifies it. Tested against a real role created in the test database (roles are cluster-wide,
so each lives only inside its test's transaction)."""

import logging
import uuid
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from cases.audit import audit_record
from cases.housekeeping import audit_integrity_check
from cases.models import AuditAction, AuditEvent, Case
from config import db_roles
from tests import factories

pytestmark = pytest.mark.django_db

AUDIT = "cases_auditevent"


def _sql(statement: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


@pytest.fixture
def app_role():
    name = f"harbour_test_app_{uuid.uuid4().hex[:12]}"
    _sql(f'CREATE ROLE "{name}" NOLOGIN')
    return name


@contextmanager
def acting_as(role: str):
    """The rest of the block runs on this connection as ``role`` (as the app would)."""
    _sql(f'SET LOCAL ROLE "{role}"')
    try:
        yield
    finally:
        _sql("RESET ROLE")


def _has(role: str, table: str, privilege: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT has_table_privilege(%s, %s, %s)", [role, table, privilege])
        return cursor.fetchone()[0]


def test_grant_app_role_gives_the_app_exactly_its_privileges(app_role, capsys):
    call_command("grant_app_role", role=app_role)

    assert "owns nothing" in capsys.readouterr().out
    for table in db_roles.APPEND_ONLY_TABLES:
        assert [_has(app_role, table, p) for p in ("SELECT", "INSERT")] == [True, True]
        assert not any(
            _has(app_role, table, p) for p in ("UPDATE", "DELETE", "TRUNCATE", "TRIGGER")
        )
    assert all(_has(app_role, "cases_case", p) for p in db_roles.TABLE_PRIVILEGES)
    assert not _has(app_role, "cases_case", "TRUNCATE")
    call_command("grant_app_role", role=app_role, check=True)


def test_a_table_a_later_migration_creates_is_the_apps_without_a_new_grant(app_role):
    call_command("grant_app_role", role=app_role)
    table = f"harbour_test_later_{uuid.uuid4().hex[:8]}"
    _sql(f'CREATE TABLE "{table}" (id bigserial PRIMARY KEY, note text)')

    assert [_has(app_role, table, p) for p in db_roles.TABLE_PRIVILEGES] == [True] * 4
    assert not any(_has(app_role, table, p) for p in db_roles.NEVER_PRIVILEGES)
    with transaction.atomic(), acting_as(app_role):
        _sql(f'INSERT INTO "{table}" (note) VALUES (%s)', ["new"])  # noqa: S608 - test-made name; the sequence too


def test_the_app_role_can_work(app_role, mission_a, caseworker_a):
    case = factories.CaseFactory(mission=mission_a, assigned_to=caseworker_a)
    call_command("grant_app_role", role=app_role)

    with acting_as(app_role):
        fetched = Case.objects.get(pk=case.pk)
        event = audit_record(actor=caseworker_a, action=AuditAction.CASE_VIEWED, case=fetched)
        assert db_roles.app_role_problems() == []

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_nightly_check_passes_as_the_app_role(app_role, settings):
    settings.HARBOUR_DATABASE_ROLE_CHECK = True
    factories.AuditEventFactory()
    call_command("grant_app_role", role=app_role)

    with acting_as(app_role):
        result = audit_integrity_check()

    assert (result.ok, result.role_problems) == (True, ())
    recorded = AuditEvent.objects.filter(action=AuditAction.AUDIT_INTEGRITY_CHECKED).get()
    assert (recorded.detail["role_checked"], recorded.detail["role_problems"]) == (True, [])


@pytest.mark.parametrize(
    "statement",
    [
        f"TRUNCATE {AUDIT}",
        f"ALTER TABLE {AUDIT} DISABLE TRIGGER cases_auditevent_append_only",
        f"ALTER TABLE {AUDIT} DISABLE TRIGGER cases_auditevent_no_truncate",
        "UPDATE cases_auditevent SET action = 'x'",
        "DELETE FROM cases_auditevent",
        "DROP TRIGGER cases_auditevent_append_only ON cases_auditevent",
        "CREATE TABLE harbour_test_mine (id int)",
    ],
)
def test_the_app_role_cannot_empty_or_unprotect_the_audit_table(app_role, statement):
    event = factories.AuditEventFactory()
    call_command("grant_app_role", role=app_role)

    with acting_as(app_role), pytest.raises(DatabaseError) as refused, transaction.atomic():
        _sql(statement)

    # Refused for want of privilege, before any trigger had to.
    assert "permission denied" in str(refused.value) or "must be owner" in str(refused.value)
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_owner_connection_is_reported_by_the_nightly_check(settings, caplog):
    # The suite itself connects as the owner: exactly what production must not do.
    settings.HARBOUR_DATABASE_ROLE_CHECK = True

    with caplog.at_level(logging.ERROR, logger="cases.housekeeping"):
        result = audit_integrity_check()

    assert result.ok is False
    assert {"owner_or_superuser", "owns_objects"} <= set(result.role_problems)
    recorded = AuditEvent.objects.get(action=AuditAction.AUDIT_INTEGRITY_CHECKED)
    assert recorded.detail["ok"] is False
    assert "owner_or_superuser" in recorded.detail["role_problems"]
    assert "database role problems=owner_or_superuser" in caplog.text


def test_a_privilege_added_by_hand_is_found_and_the_next_grant_removes_it(app_role):
    call_command("grant_app_role", role=app_role)
    _sql(f'GRANT TRUNCATE, TRIGGER ON {AUDIT} TO "{app_role}"')

    with pytest.raises(CommandError, match=f"truncate_on_{AUDIT}, trigger_on_{AUDIT}"):
        call_command("grant_app_role", role=app_role, check=True)

    call_command("grant_app_role", role=app_role)
    assert db_roles.app_role_problems(role=app_role) == []


def test_a_role_that_owns_something_is_found(app_role):
    call_command("grant_app_role", role=app_role)
    _sql("CREATE TABLE harbour_test_owned (id int)")
    _sql(f'ALTER TABLE harbour_test_owned OWNER TO "{app_role}"')

    assert "owns_objects" in db_roles.app_role_problems(role=app_role)


def test_a_role_without_grants_is_found(app_role):
    problems = db_roles.app_role_problems(role=app_role)

    assert f"no_insert_on_{AUDIT}" in problems
    assert f"no_select_on_{AUDIT}" in problems


def test_a_member_of_the_owner_role_is_refused(app_role):
    _sql(f'GRANT "{db_roles.current_role()}" TO "{app_role}"')

    with pytest.raises(CommandError, match="must not be the owner role"):
        call_command("grant_app_role", role=app_role)


def test_granting_to_the_owner_itself_is_refused():
    with pytest.raises(CommandError, match="must not be the owner role"):
        call_command("grant_app_role", role=db_roles.current_role())


def test_granting_to_an_unknown_role_is_refused():
    with pytest.raises(CommandError, match="does not exist"):
        call_command("grant_app_role", role="harbour_no_such_role_x")


def test_only_the_owner_can_grant(app_role):
    other = f"harbour_test_other_{uuid.uuid4().hex[:12]}"
    _sql(f'CREATE ROLE "{other}" NOLOGIN')

    with acting_as(app_role), pytest.raises(CommandError, match="owner of the tables"):
        call_command("grant_app_role", role=other)


def test_an_append_only_table_is_found_by_its_trigger():
    assert set(db_roles.APPEND_ONLY_TABLES) <= set(db_roles.append_only_tables())
