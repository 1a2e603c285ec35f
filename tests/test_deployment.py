"""The container shape (issue 12 §4): the role split in docker-compose, the PostgreSQL init
script that creates both roles, and `check --deploy` before every container starts.

There is no Docker in the test run: the compose file is read and its variables resolved the
way compose does for the forms it uses (``${VAR:?message}``, ``${VAR:-default}``); the two
shell scripts are run for real (the init script against the test's PostgreSQL server).
"""

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
import yaml
from django.conf import settings
from psycopg import sql

from tests.test_settings import REQUIRED

BASE = Path(settings.BASE_DIR)
COMPOSE = yaml.safe_load((BASE / "docker-compose.yml").read_text())
ENTRYPOINT = BASE / "config" / "docker" / "entrypoint.sh"
INIT_SCRIPT = BASE / "config" / "docker" / "postgres-init.sh"
COMPOSE_ENV = {
    "POSTGRES_PASSWORD": "superuser-password",
    "DATABASE_URL": "postgres://harbour_app:app-pass@postgres:5432/harbour",
    "DATABASE_MIGRATE_URL": "postgres://harbour_owner:owner-pass@postgres:5432/harbour",
    "REDIS_URL": "redis://redis:6379/0",
    "DJANGO_SECRET_KEY": REQUIRED["DJANGO_SECRET_KEY"],
    "FIELD_ENCRYPTION_KEYS": REQUIRED["FIELD_ENCRYPTION_KEYS"],
    "BLIND_INDEX_KEY": REQUIRED["BLIND_INDEX_KEY"],
    "HARBOUR_AUDIT_CHECKPOINT_KEY": REQUIRED["HARBOUR_AUDIT_CHECKPOINT_KEY"],
    "DJANGO_ALLOWED_HOSTS": "harbour.example.org",
}
SH = "/bin/sh"
_VARIABLE = re.compile(r"\$\{(\w+)(?::([?-])([^}]*))?\}")


class Unset(Exception):
    pass


def _resolve(value, env: dict[str, str]):
    if isinstance(value, dict):
        return {key: _resolve(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match):
        name, kind, rest = match.groups()
        if env.get(name):
            return env[name]
        if kind == "?":
            raise Unset(name)
        return rest if kind == "-" else ""

    return _VARIABLE.sub(substitute, value.replace("$$", "\0")).replace("\0", "$")


def _services(env=COMPOSE_ENV) -> dict:
    return _resolve(COMPOSE["services"], env)


def test_the_listed_variables_are_all_compose_needs():
    services = _services()

    assert {"postgres", "redis", "migrate", "web", "worker", "beat"} <= set(services)


@pytest.mark.parametrize("missing", ["DATABASE_MIGRATE_URL", "DATABASE_URL", "POSTGRES_PASSWORD"])
def test_compose_refuses_to_start_without_a_database_variable(missing):
    env = {name: value for name, value in COMPOSE_ENV.items() if name != missing}

    with pytest.raises(Unset):
        _services(env)


@pytest.mark.parametrize("service", ["web", "worker", "beat"])
def test_the_servers_connect_as_the_application_role(service):
    environment = _services()[service]["environment"]

    assert environment["DATABASE_URL"] == COMPOSE_ENV["DATABASE_URL"]
    assert environment["HARBOUR_DATABASE_APP_ROLE"] == "harbour_app"


def test_migrations_and_grants_run_as_the_owner_role():
    migrate = _services()["migrate"]

    assert migrate["environment"]["DATABASE_URL"] == COMPOSE_ENV["DATABASE_MIGRATE_URL"]
    command = " ".join(migrate["command"])
    assert command.index("migrate --noinput") < command.index("grant_app_role")
    assert "&&" in command  # no grants step after a failed migration


def test_postgres_creates_both_roles_on_its_first_start():
    postgres = _services()["postgres"]

    assert (
        "./config/docker/postgres-init.sh:/docker-entrypoint-initdb.d/10-harbour-roles.sh:ro"
        in (postgres["volumes"])
    )
    environment = postgres["environment"]
    assert environment["POSTGRES_USER"] not in {"harbour_app", "harbour_owner"}
    assert environment["DATABASE_URL"] == COMPOSE_ENV["DATABASE_URL"]
    assert environment["DATABASE_MIGRATE_URL"] == COMPOSE_ENV["DATABASE_MIGRATE_URL"]


def test_the_image_runs_the_deployment_check_before_its_command():
    dockerfile = (BASE / "Dockerfile").read_text()

    assert 'ENTRYPOINT ["sh", "/app/config/docker/entrypoint.sh"]' in dockerfile
    assert "python manage.py check --deploy --fail-level WARNING" in ENTRYPOINT.read_text()


def _entrypoint(env: dict[str, str]) -> subprocess.CompletedProcess:
    path = f"{Path(sys.executable).parent}:/usr/bin:/bin"
    return subprocess.run(  # noqa: S603 (our own scripts, fixed arguments)
        [SH, str(ENTRYPOINT), "echo", "serving"],
        cwd=BASE,
        env={
            "PATH": path,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_entrypoint_starts_the_command_when_the_settings_are_safe():
    result = _entrypoint(REQUIRED)

    assert (result.returncode, result.stdout.strip().splitlines()[-1]) == (0, "serving")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DJANGO_ALLOWED_HOSTS", "*"),
        ("BLIND_INDEX_KEY", "x"),
        ("DJANGO_SECRET_KEY", "short"),  # a Django warning: refused too
    ],
)
def test_the_entrypoint_refuses_to_start_with_unsafe_settings(variable, value):
    result = _entrypoint({**REQUIRED, variable: value})

    assert result.returncode != 0
    assert "serving" not in result.stdout


@pytest.fixture
def scratch_cluster_objects():
    """A database and two role names of this test's own, dropped afterwards."""
    default = settings.DATABASES["default"]
    params = {
        "host": default["HOST"] or None,
        "port": default["PORT"] or None,
        "user": default["USER"],
        "password": default["PASSWORD"] or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    suffix = uuid.uuid4().hex[:10]
    names = {
        "database": f"harbour_init_test_{suffix}",
        "owner": f"harbour_init_owner_{suffix}",
        "app": f"harbour_init_app_{suffix}",
    }
    with psycopg.connect(**params) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(names["database"])))
    try:
        yield params, names
    finally:
        with psycopg.connect(**params) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(names["database"])
                )
            )
            for role in (names["owner"], names["app"]):
                conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def test_the_init_script_creates_an_owner_and_an_app_role_that_owns_nothing(
    scratch_cluster_objects,
):
    params, names = scratch_cluster_objects
    env = {
        "PATH": "/usr/bin:/bin",
        "POSTGRES_DB": names["database"],
        "POSTGRES_USER": params["user"],
        "DATABASE_URL": f"postgres://{names['app']}:app-pw-1@postgres:5432/{names['database']}",
        "DATABASE_MIGRATE_URL": (
            f"postgres://{names['owner']}:owner-pw-2@postgres:5432/{names['database']}"
        ),
    }
    for variable, key in (("PGHOST", "host"), ("PGPORT", "port"), ("PGPASSWORD", "password")):
        if params[key]:
            env[variable] = str(params[key])

    result = subprocess.run(  # noqa: S603 (our own scripts, fixed arguments)
        [SH, str(INIT_SCRIPT)], env=env, capture_output=True, text=True, timeout=60, check=False
    )

    assert result.returncode == 0, result.stderr
    with psycopg.connect(**{**params, "dbname": names["database"]}) as conn:
        roles = {
            name: tuple(flags)
            for name, *flags in conn.execute(
                "SELECT rolname, rolcanlogin, rolsuper, rolcreatedb, rolcreaterole "
                "FROM pg_roles WHERE rolname = ANY(%s)",
                [[names["owner"], names["app"]]],
            ).fetchall()
        }
        database_owner = conn.execute(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"
        ).fetchone()[0]
        schema_owner = conn.execute(
            "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'public'"
        ).fetchone()[0]
        app_can_create = conn.execute(
            "SELECT has_schema_privilege(%s, 'public', 'CREATE')", [names["app"]]
        ).fetchone()[0]
    assert roles == {
        names["owner"]: (True, False, False, False),
        names["app"]: (True, False, False, False),
    }
    assert (database_owner, schema_owner, app_can_create) == (names["owner"], names["owner"], False)


def test_the_init_script_refuses_one_role_for_both():
    url = "postgres://harbour:pw@postgres:5432/harbour"
    env = {"PATH": "/usr/bin:/bin", "POSTGRES_DB": "harbour", "DATABASE_URL": url}

    result = subprocess.run(  # noqa: S603 (our own scripts, fixed arguments)
        [SH, str(INIT_SCRIPT)],
        env={**env, "DATABASE_MIGRATE_URL": url},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert result.returncode == 1
    assert "two different roles" in result.stderr
    assert os.path.exists(INIT_SCRIPT)


# ---------------------------------------------------------------------------- the replica profile


def test_the_replica_is_optional_behind_a_profile():
    services = _services()
    replica = services["postgres-replica"]

    assert replica["profiles"] == ["replica"]
    assert replica["image"] == services["postgres"]["image"]
    script = " ".join(replica["command"])
    assert "pg_basebackup" in script
    assert "--write-recovery-conf" in script  # standby.signal and primary_conninfo
    assert script.index("pg_basebackup") < script.index("exec postgres")
    # Nothing depends on it: without the profile the rest starts as before.
    for name, service in services.items():
        assert "postgres-replica" not in (service.get("depends_on") or {}), name


@pytest.mark.parametrize("service", ["web", "worker"])
def test_the_servers_read_research_on_the_replica_only_when_told(service):
    url = "postgres://harbour_app:app-pass@postgres-replica:5432/harbour"

    assert _services()[service]["environment"]["RESEARCH_DATABASE_URL"] == ""
    with_replica = _services({**COMPOSE_ENV, "RESEARCH_DATABASE_URL": url})
    assert with_replica[service]["environment"]["RESEARCH_DATABASE_URL"] == url


def test_the_init_script_creates_a_replication_only_role(scratch_cluster_objects, tmp_path):
    params, names = scratch_cluster_objects
    replicator = f"harbour_init_repl_{names['app'][-10:]}"
    (tmp_path / "pg_hba.conf").write_text("local all all trust\n")
    env = {
        "PATH": "/usr/bin:/bin",
        "PGDATA": str(tmp_path),
        "POSTGRES_DB": names["database"],
        "POSTGRES_USER": params["user"],
        "DATABASE_URL": f"postgres://{names['app']}:app-pw-1@postgres:5432/{names['database']}",
        "DATABASE_MIGRATE_URL": (
            f"postgres://{names['owner']}:owner-pw-2@postgres:5432/{names['database']}"
        ),
        "REPLICATION_USER": replicator,
        "REPLICATION_PASSWORD": "repl-pw-3",
    }
    for variable, key in (("PGHOST", "host"), ("PGPORT", "port"), ("PGPASSWORD", "password")):
        if params[key]:
            env[variable] = str(params[key])
    try:
        result = subprocess.run(  # noqa: S603 (our own scripts, fixed arguments)
            [SH, str(INIT_SCRIPT)], env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert result.returncode == 0, result.stderr
        with psycopg.connect(**params) as conn:
            flags = conn.execute(
                "SELECT rolcanlogin, rolreplication, rolsuper, rolcreatedb, rolcreaterole "
                "FROM pg_roles WHERE rolname = %s",
                [replicator],
            ).fetchone()
            can_connect = conn.execute(
                "SELECT has_database_privilege(%s, %s, 'CONNECT')", [replicator, names["database"]]
            ).fetchone()[0]
    finally:
        with psycopg.connect(**params) as conn:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(replicator)))
    assert flags == (True, True, False, False, False)
    assert can_connect is False
    hba = (tmp_path / "pg_hba.conf").read_text().splitlines()
    assert hba[-1] == f"host replication {replicator} all scram-sha-256"
