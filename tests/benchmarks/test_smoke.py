"""Every benchmark runs at its smoke size, so a benchmark that breaks fails the suite.

The scripts are found by glob: a new ``benchmarks/bench_*.py`` is covered without editing this
file. Each runs in a subprocess, as by hand, against a database of its own named after the test
database (``<test db>_bench_<script>``), created by the script itself and dropped afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.db import connection

REPO = Path(__file__).resolve().parents[2]
BENCHMARKS = sorted((REPO / "benchmarks").glob("bench_*.py"))
# Far above the few seconds each takes, so that only a hung script trips it.
TIMEOUT_SECONDS = 300


def database_url(settings: dict, name: str) -> str:
    """A libpq URL of the test run's server; a Unix-socket directory is percent-encoded."""
    user = quote(settings.get("USER") or "", safe="")
    password = settings.get("PASSWORD") or ""
    credentials = f"{user}:{quote(password, safe='')}" if password else user
    host = quote(settings.get("HOST") or "", safe="")
    port = f":{settings['PORT']}" if settings.get("PORT") else ""
    return f"postgres://{credentials}@{host}{port}/{name}"


def drop_database(settings: dict, name: str) -> None:
    with psycopg.connect(database_url(settings, "postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_benchmarks_are_found():
    names = {script.name for script in BENCHMARKS}
    assert {"bench_case_list.py", "bench_extract.py", "bench_mart.py"} <= names


def run_smoke(script: Path, *, settings: dict, work_dir: Path) -> subprocess.CompletedProcess:
    """Run ``script --smoke`` against a fresh database of its own, dropped afterwards."""
    suffix = f"_bench_{script.stem.removeprefix('bench_')}"
    name = settings["NAME"][: 63 - len(suffix)] + suffix
    drop_database(settings, name)  # a leftover of an interrupted run: start from nothing
    env = {
        **os.environ,
        "DATABASE_URL": database_url(settings, name),
        "RESEARCH_EXTRACT_DIR": str(work_dir),
    }
    try:
        return subprocess.run(  # noqa: S603
            [sys.executable, str(script), "--smoke"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    finally:
        drop_database(settings, name)


def test_a_failing_benchmark_fails_its_smoke_run(django_db_setup, tmp_path):
    script = tmp_path / "bench_broken.py"
    script.write_text(
        "import os, sys\n"
        "assert sys.argv[1:] == ['--smoke'] and 'bench_broken' in os.environ['DATABASE_URL']\n"
        "sys.exit(1)\n"
    )
    completed = run_smoke(script, settings=dict(connection.settings_dict), work_dir=tmp_path)
    assert completed.returncode == 1, completed.stderr


@pytest.mark.bench
@pytest.mark.parametrize("script", BENCHMARKS, ids=[script.stem for script in BENCHMARKS])
def test_benchmark_smoke(script: Path, django_db_setup, tmp_path):
    # After django_db_setup the connection's NAME is the test database's (xdist suffix too).
    completed = run_smoke(script, settings=dict(connection.settings_dict), work_dir=tmp_path)
    output = (completed.stdout + completed.stderr)[-4000:]
    status = completed.returncode
    assert status == 0, f"{script.name} --smoke exited {status}:\n{output}"
    assert "FAIL" not in completed.stdout, output


def test_the_database_url_round_trips_through_the_settings(monkeypatch):
    from config.settings.base import database_from_url

    settings = {"USER": "postgres", "PASSWORD": "p@ss", "HOST": "/run/pg sock", "PORT": "5433"}
    monkeypatch.setenv("BENCH_URL", database_url(settings, "test_x_bench_mart"))
    parsed = database_from_url("BENCH_URL")
    assert (parsed["NAME"], parsed["USER"], parsed["PASSWORD"]) == (
        "test_x_bench_mart",
        "postgres",
        "p@ss",
    )
    assert (parsed["HOST"], str(parsed["PORT"])) == ("/run/pg sock", "5433")
    # The scripts' own connection (psycopg, to create the database) reads it the same way.
    conninfo = psycopg.conninfo.conninfo_to_dict(database_url(settings, "postgres"))
    assert (conninfo["host"], conninfo["password"]) == ("/run/pg sock", "p@ss")
