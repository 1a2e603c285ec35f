"""Production settings: `check --deploy` is clean, and a missing secret stops the start."""

import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from config import checks as deploy_checks
from config.settings import committed_keys

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


# --- deployment checks (issue 12 §4): unsafe hosts and keys stop `check --deploy` ----------------

LOCAL_KEYS = {
    "DJANGO_SECRET_KEY": committed_keys.DEVELOPMENT_SECRET_KEY,
    "FIELD_ENCRYPTION_KEYS": committed_keys.DEVELOPMENT_FIELD_ENCRYPTION_KEY,
    "BLIND_INDEX_KEY": committed_keys.DEVELOPMENT_BLIND_INDEX_KEY,
}


@pytest.mark.parametrize(
    ("variable", "value", "check_id"),
    [
        ("DJANGO_ALLOWED_HOSTS", "*", "harbour.E001"),
        ("DJANGO_ALLOWED_HOSTS", "example.org,*", "harbour.E001"),
        ("FIELD_ENCRYPTION_KEYS", "not-a-fernet-key", "harbour.E002"),
        ("FIELD_ENCRYPTION_KEYS", f"{REQUIRED['FIELD_ENCRYPTION_KEYS']},Xq7", "harbour.E002"),
        ("BLIND_INDEX_KEY", "Zq9_blind_short", "harbour.E003"),
        ("DJANGO_SECRET_KEY", LOCAL_KEYS["DJANGO_SECRET_KEY"], "harbour.E004"),
        ("FIELD_ENCRYPTION_KEYS", LOCAL_KEYS["FIELD_ENCRYPTION_KEYS"], "harbour.E004"),
        ("BLIND_INDEX_KEY", LOCAL_KEYS["BLIND_INDEX_KEY"], "harbour.E004"),
    ],
)
def test_production_deployment_check_refuses_unsafe_settings(variable, value, check_id):
    result = _check_deploy({**REQUIRED, variable: value})

    assert result.returncode != 0
    assert check_id in result.stderr
    # An error, not a warning: the default fail level (ERROR) stops too.
    assert f"?: ({check_id})" in result.stderr
    assert "ERRORS:" in result.stderr
    if variable != "DJANGO_ALLOWED_HOSTS":
        assert value.split(",")[-1] not in result.stderr


def _ids(messages) -> list[str]:
    assert all(message.level == checks.ERROR for message in messages)
    return [message.id for message in messages]


@pytest.mark.parametrize(
    ("hosts", "expected"),
    [
        (["example.org"], []),
        (["*"], ["harbour.E001"]),
        ([" * "], ["harbour.E001"]),
        ([], ["harbour.E001"]),
    ],
)
def test_allowed_hosts_check(settings, hosts, expected):
    settings.ALLOWED_HOSTS = hosts

    assert _ids(deploy_checks.check_allowed_hosts()) == expected


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ([Fernet.generate_key().decode()], []),
        ([Fernet.generate_key().decode(), Fernet.generate_key().decode()], []),
        ([], ["harbour.E002"]),
        (["AAAA"], ["harbour.E002"]),
        (["A" * 44], ["harbour.E002"]),
        ([Fernet.generate_key().decode(), "", "!" * 44], ["harbour.E002", "harbour.E002"]),
    ],
)
def test_field_encryption_keys_check(settings, keys, expected):
    settings.FIELD_ENCRYPTION_KEYS = keys

    messages = deploy_checks.check_field_encryption_keys()

    assert _ids(messages) == expected
    for message in messages:
        assert not any(key and key in message.msg + message.hint for key in keys)


@pytest.mark.parametrize(
    ("length", "expected"),
    [(0, ["harbour.E003"]), (1, ["harbour.E003"]), (31, ["harbour.E003"]), (32, []), (64, [])],
)
def test_blind_index_key_check(settings, length, expected):
    settings.BLIND_INDEX_KEY = "k" * length

    assert _ids(deploy_checks.check_blind_index_key()) == expected


def test_committed_keys_check_names_each_setting_but_no_key(settings):
    settings.SECRET_KEY = committed_keys.TEST_SECRET_KEY
    settings.FIELD_ENCRYPTION_KEYS = [
        Fernet.generate_key().decode(),
        committed_keys.DEVELOPMENT_FIELD_ENCRYPTION_KEY,
    ]
    settings.BLIND_INDEX_KEY = committed_keys.DEVELOPMENT_BLIND_INDEX_KEY
    settings.HARBOUR_AUDIT_CHECKPOINT_KEY = committed_keys.DEVELOPMENT_AUDIT_CHECKPOINT_KEY

    messages = deploy_checks.check_no_committed_keys()

    assert _ids(messages) == ["harbour.E004"] * 4
    text = " ".join(message.msg + message.hint for message in messages)
    names = (
        "SECRET_KEY",
        "FIELD_ENCRYPTION_KEYS",
        "BLIND_INDEX_KEY",
        "HARBOUR_AUDIT_CHECKPOINT_KEY",
    )
    assert all(name in text for name in names)
    assert not any(key in text for key in committed_keys.COMMITTED_KEYS)


def test_committed_keys_check_passes_fresh_keys(settings):
    settings.SECRET_KEY = REQUIRED["DJANGO_SECRET_KEY"]
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    settings.BLIND_INDEX_KEY = REQUIRED["BLIND_INDEX_KEY"]
    settings.HARBOUR_AUDIT_CHECKPOINT_KEY = REQUIRED["HARBOUR_AUDIT_CHECKPOINT_KEY"]

    assert deploy_checks.check_no_committed_keys() == []


def test_local_settings_use_the_committed_development_keys():
    # The deploy check can only refuse the development keys if it knows them: local.py must
    # take its defaults from committed_keys, not from literals of its own.
    source = (settings.BASE_DIR / "config" / "settings" / "local.py").read_text()

    assert "DEVELOPMENT_FIELD_ENCRYPTION_KEY" in source
    assert "DEVELOPMENT_BLIND_INDEX_KEY" in source
    assert "DEVELOPMENT_SECRET_KEY" in source
    assert not any(key in source for key in committed_keys.COMMITTED_KEYS)


def test_deploy_checks_run_only_with_deploy():
    # Test and development settings hold the committed keys: the ordinary `check` must pass.
    call_command("check")
    with pytest.raises(SystemCheckError):
        call_command("check", deploy=True, tags=["harbour"])
