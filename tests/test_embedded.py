"""The embedded PostgreSQL of development (no DATABASE_URL) has production's two roles: an owner
that migrations run as, and an application role that owns nothing (issue 12 §4)."""

import psycopg
import pytest

from config.embedded import (
    EMBEDDED_APP_ROLE,
    EMBEDDED_DATABASE,
    EMBEDDED_OWNER_ROLE,
    _embedded_server,
    ensure_embedded_roles,
)


@pytest.fixture
def embedded_server(tmp_path):
    server = _embedded_server(tmp_path)
    yield server
    server.cleanup()


def _query(server, sql: str, params=(), *, dbname: str = EMBEDDED_DATABASE) -> list[tuple]:
    socket_dir = str(server.get_postmaster_info().socket_dir)
    with psycopg.connect(host=socket_dir, user="postgres", dbname=dbname) as conn:
        return conn.execute(sql, params).fetchall()


def test_both_roles_are_created_once_and_neither_is_privileged(embedded_server):
    ensure_embedded_roles(embedded_server)
    ensure_embedded_roles(embedded_server)  # a second start changes nothing

    roles = _query(
        embedded_server,
        "SELECT rolname, rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls "
        "FROM pg_roles WHERE rolname = ANY(%s) ORDER BY rolname",
        [[EMBEDDED_OWNER_ROLE, EMBEDDED_APP_ROLE]],
    )

    # Each can sign in; neither is a superuser or may create roles or databases.
    assert roles == sorted(
        (name, True, False, False, False, False)
        for name in (EMBEDDED_OWNER_ROLE, EMBEDDED_APP_ROLE)
    )


def test_the_owner_owns_the_database_and_its_schema(embedded_server):
    ensure_embedded_roles(embedded_server)

    database_owner = _query(
        embedded_server,
        "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s",
        [EMBEDDED_DATABASE],
    )
    schema_owner = _query(
        embedded_server,
        "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'public'",
    )

    assert database_owner == schema_owner == [(EMBEDDED_OWNER_ROLE,)]


def test_the_application_role_owns_nothing_and_cannot_create_in_the_schema(embedded_server):
    ensure_embedded_roles(embedded_server)

    owned = _query(
        embedded_server,
        "SELECT (SELECT count(*) FROM pg_class WHERE relowner = r.oid)"
        " + (SELECT count(*) FROM pg_namespace WHERE nspowner = r.oid)"
        " + (SELECT count(*) FROM pg_database WHERE datdba = r.oid)"
        " FROM pg_roles r WHERE rolname = %s",
        [EMBEDDED_APP_ROLE],
    )
    may_create = _query(
        embedded_server,
        "SELECT has_schema_privilege(%s, 'public', 'CREATE')",
        [EMBEDDED_APP_ROLE],
    )

    assert owned == [(0,)]
    assert may_create == [(False,)]
