"""The database role split: migrations run as the owner role, the application as a role that
owns nothing and holds only the grants it needs (issue 12 §4).

``app_role_grant`` (``manage.py grant_app_role``, run as the owner after every ``migrate``;
default privileges cover the tables later migrations create until it runs again)
gives the application role SELECT, INSERT, UPDATE and DELETE on Harbour's tables, but only
SELECT and INSERT on the append-only tables (the audit trail, its checkpoints, the privacy
ledger: every table with an ``*_append_only`` trigger), and never TRUNCATE, TRIGGER or
REFERENCES. ``app_role_problems`` says what is wrong with a role (the nightly integrity check
runs it for the role the application connects as): codes and table names only.
"""

from __future__ import annotations

from django.db import connection
from django.utils.translation import gettext_lazy as _
from psycopg import sql

from config.errors import ApplicationError

SCHEMA = "public"
# Declared append-only tables; any other table with a trigger named *_append_only counts too.
APPEND_ONLY_TABLES = (
    "cases_auditevent",
    "cases_auditcheckpoint",
    "research_exports_privacyledgerentry",
)
APPEND_ONLY_PRIVILEGES = ("SELECT", "INSERT")
TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE")
NEVER_PRIVILEGES = ("TRUNCATE", "TRIGGER", "REFERENCES")

UNKNOWN_ROLE = _("The database role %(role)s does not exist; create it first.")
ROLE_IS_OWNER = _(
    "The application role must not be the owner role, a superuser, or a member of the owner."
)
NOT_THE_OWNER = _("Run grant_app_role as the owner of the tables (the migration role).")


def _fetch(query: str, params: list | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query, params or [])
        return cursor.fetchall()


def _execute(statement: sql.Composable) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement)


def harbour_tables() -> list[str]:
    """Every ordinary table of the schema (Django's and Harbour's), by name."""
    rows = _fetch(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relkind IN ('r', 'p') ORDER BY c.relname",
        [SCHEMA],
    )
    return [row[0] for row in rows]


def append_only_tables() -> list[str]:
    rows = _fetch(
        "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND NOT t.tgisinternal AND t.tgname LIKE %s",
        [SCHEMA, "%\\_append\\_only"],
    )
    present = set(harbour_tables())
    return sorted({row[0] for row in rows} | (set(APPEND_ONLY_TABLES) & present))


def _role_exists(role: str) -> bool:
    return bool(_fetch("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]))


def app_role_grant(*, role: str) -> dict[str, int]:
    """Give ``role`` exactly the application's privileges on every table of the schema.

    Idempotent: every table's privileges for the role are revoked and granted again, so a
    privilege given by hand does not survive it. Run as the owner, after every migrate.
    """
    if not _role_exists(role):
        raise ApplicationError(str(UNKNOWN_ROLE) % {"role": role}, code="unknown_role")
    if _role_is_privileged(role):
        raise ApplicationError(str(ROLE_IS_OWNER), code="role_is_owner")
    tables = harbour_tables()
    not_owned = [
        table
        for table, owned in _fetch(
            "SELECT c.relname, pg_has_role(current_user, c.relowner, 'USAGE') "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind IN ('r', 'p')",
            [SCHEMA],
        )
        if not owned
    ]
    if not_owned:
        raise ApplicationError(str(NOT_THE_OWNER), code="not_the_owner")
    guarded = set(append_only_tables())
    who = sql.Identifier(role)
    database = _fetch("SELECT current_database()")[0][0]
    _execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), who))
    _execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(SCHEMA), who))
    _execute(sql.SQL("REVOKE CREATE ON SCHEMA {} FROM {}").format(sql.Identifier(SCHEMA), who))
    for table in tables:
        name = sql.Identifier(SCHEMA, table)
        privileges = APPEND_ONLY_PRIVILEGES if table in guarded else TABLE_PRIVILEGES
        _execute(sql.SQL("REVOKE ALL ON TABLE {} FROM {}").format(name, who))
        _execute(
            sql.SQL("GRANT {} ON TABLE {} TO {}").format(
                sql.SQL(", ").join(sql.SQL(p) for p in privileges), name, who
            )
        )
    _execute(
        sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(
            sql.Identifier(SCHEMA), who
        )
    )
    # Tables and sequences that later migrations create (as this owner) are the application's
    # at once, so a deployment that migrates keeps working before grant_app_role runs again.
    # A new append-only table gets the full set here too: its trigger refuses UPDATE and
    # DELETE all the same, the nightly check reports the extra privileges by name, and the
    # next grant_app_role (the migrate service runs it after every migrate) narrows them.
    _execute(
        sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT {} ON TABLES TO {}").format(
            sql.Identifier(SCHEMA), sql.SQL(", ").join(sql.SQL(p) for p in TABLE_PRIVILEGES), who
        )
    )
    _execute(
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT USAGE, SELECT ON SEQUENCES TO {}"
        ).format(sql.Identifier(SCHEMA), who)
    )
    return {"tables": len(tables), "append_only": len(guarded & set(tables))}


def _role_is_privileged(role: str) -> bool:
    """Superuser, or able to act as the owner of the audit table (member of its role)."""
    rows = _fetch(
        "SELECT r.rolsuper OR r.rolbypassrls "
        "OR EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "           WHERE n.nspname = %s AND c.relname = %s "
        "             AND pg_has_role(r.oid, c.relowner, 'MEMBER')) "
        "FROM pg_roles r WHERE r.rolname = %s",
        [SCHEMA, APPEND_ONLY_TABLES[0], role],
    )
    return bool(rows and rows[0][0])


def current_role() -> str:
    return _fetch("SELECT current_user")[0][0]


def app_role_problems(*, role: str | None = None) -> list[str]:
    """What makes ``role`` (default: the role this connection uses) unfit to run the app.

    Empty when it is an ordinary role that owns nothing in the database, cannot act as the
    owner, cannot create objects in the schema, and holds SELECT and INSERT but no UPDATE,
    DELETE, TRUNCATE, TRIGGER or REFERENCES on every append-only table.
    """
    role = role or current_role()
    if not _role_exists(role):
        return ["role_missing"]
    problems: list[str] = []
    if _role_is_privileged(role):
        problems.append("owner_or_superuser")
    owned = _fetch(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relowner = (SELECT oid FROM pg_roles WHERE rolname = %s) "
        "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
        "AND n.nspname NOT LIKE 'pg\\_toast%%' AND n.nspname NOT LIKE 'pg\\_temp%%'",
        [role],
    )[0][0]
    owned += _fetch(
        "SELECT count(*) FROM pg_namespace WHERE nspowner = "
        "(SELECT oid FROM pg_roles WHERE rolname = %s)",
        [role],
    )[0][0]
    owned += _fetch(
        "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE p.proowner = (SELECT oid FROM pg_roles WHERE rolname = %s) "
        "AND n.nspname NOT IN ('pg_catalog', 'information_schema')",
        [role],
    )[0][0]
    owned += _fetch(
        "SELECT count(*) FROM pg_database WHERE datname = current_database() AND datdba = "
        "(SELECT oid FROM pg_roles WHERE rolname = %s)",
        [role],
    )[0][0]
    if owned:
        problems.append("owns_objects")
    if _fetch("SELECT has_schema_privilege(%s, %s, 'CREATE')", [role, SCHEMA])[0][0]:
        problems.append(f"create_on_schema_{SCHEMA}")
    for table in append_only_tables():
        qualified = f"{SCHEMA}.{table}"
        for privilege in ("UPDATE", "DELETE", *NEVER_PRIVILEGES):
            if _fetch("SELECT has_table_privilege(%s, %s, %s)", [role, qualified, privilege])[0][0]:
                problems.append(f"{privilege.lower()}_on_{table}")
        for privilege in APPEND_ONLY_PRIVILEGES:
            if not _fetch("SELECT has_table_privilege(%s, %s, %s)", [role, qualified, privilege])[
                0
            ][0]:
                problems.append(f"no_{privilege.lower()}_on_{table}")
    return problems
