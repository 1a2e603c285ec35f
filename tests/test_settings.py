"""Production settings: `check --deploy` is clean, and a missing secret stops the start."""

import subprocess
import sys

import pytest
from django.conf import settings

REQUIRED = {
    "DJANGO_SECRET_KEY": "x7Qe0-production-check-only-9bVnT2kLw4sRzY8mHcJ5uPaD3fG6hK1oE",
    "DATABASE_URL": "postgres://harbour:secret@db.internal:5432/harbour",
    "REDIS_URL": "redis://redis.internal:6379/0",
    "FIELD_ENCRYPTION_KEYS": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    "BLIND_INDEX_KEY": "production-check-only-blind-index-key",
    "HARBOUR_AUDIT_CHECKPOINT_KEY": "production-check-only-audit-checkpoint-key",
    "DJANGO_ALLOWED_HOSTS": "example.org",
}


def _check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    # A clean environment: nothing from the test run (DATABASE_URL, REDIS_URL…) leaks in.
    return subprocess.run(
        [
            sys.executable,
            "manage.py",
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
            "--settings=config.settings.production",
        ],
        cwd=settings.BASE_DIR,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_the_deployment_checks():
    result = _check_deploy(REQUIRED)

    assert (result.returncode, result.stderr) == (0, "")


@pytest.mark.parametrize("missing", sorted(REQUIRED))
def test_production_refuses_to_start_without_required_variable(missing):
    env = {name: value for name, value in REQUIRED.items() if name != missing}

    result = _check_deploy(env)

    assert result.returncode != 0
    assert missing in result.stderr
