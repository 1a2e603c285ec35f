"""Deployment checks: `manage.py check --deploy` refuses settings that would expose the records.

Each check is an error (not a warning), so the deploy check fails and the release stops. The
messages name the setting and the position of a bad key, never the key itself.
"""

from __future__ import annotations

from collections.abc import Iterable

from cryptography.fernet import Fernet
from django.conf import settings
from django.core import checks

from config.settings.committed_keys import COMMITTED_KEYS

BLIND_INDEX_KEY_MIN_LENGTH = 32
TAG = "harbour"


def _is_fernet_key(key: object) -> bool:
    if not isinstance(key, str) or not key.strip():
        return False
    try:
        Fernet(key.strip().encode())
    except (ValueError, TypeError):
        return False
    return True


@checks.register(TAG, deploy=True)
def check_allowed_hosts(app_configs: Iterable | None = None, **kwargs) -> list[checks.CheckMessage]:
    hosts = [str(host).strip() for host in settings.ALLOWED_HOSTS]
    if not hosts:
        return [
            checks.Error(
                "ALLOWED_HOSTS is empty.",
                hint="Set DJANGO_ALLOWED_HOSTS to the host names Harbour is served under.",
                id="harbour.E001",
            )
        ]
    if "*" in hosts:
        return [
            checks.Error(
                "ALLOWED_HOSTS accepts any host ('*').",
                hint="List the host names Harbour is served under in DJANGO_ALLOWED_HOSTS.",
                id="harbour.E001",
            )
        ]
    return []


@checks.register(TAG, deploy=True)
def check_field_encryption_keys(
    app_configs: Iterable | None = None, **kwargs
) -> list[checks.CheckMessage]:
    keys = list(getattr(settings, "FIELD_ENCRYPTION_KEYS", []) or [])
    if not keys:
        return [
            checks.Error(
                "FIELD_ENCRYPTION_KEYS is empty.",
                hint="Set FIELD_ENCRYPTION_KEYS to one or more Fernet keys, comma separated.",
                id="harbour.E002",
            )
        ]
    return [
        checks.Error(
            f"FIELD_ENCRYPTION_KEYS entry number {position} is not a valid Fernet key.",
            hint="A Fernet key is 32 random bytes, URL-safe base64 encoded (44 characters): "
            "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key())'",
            id="harbour.E002",
        )
        for position, key in enumerate(keys, start=1)
        if not _is_fernet_key(key)
    ]


@checks.register(TAG, deploy=True)
def check_blind_index_key(
    app_configs: Iterable | None = None, **kwargs
) -> list[checks.CheckMessage]:
    key = getattr(settings, "BLIND_INDEX_KEY", "") or ""
    if not isinstance(key, str) or len(key) < BLIND_INDEX_KEY_MIN_LENGTH:
        return [
            checks.Error(
                f"BLIND_INDEX_KEY is shorter than {BLIND_INDEX_KEY_MIN_LENGTH} characters.",
                hint="Use a long random value, e.g. python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))'. Changing it means recomputing every index.",
                id="harbour.E003",
            )
        ]
    return []


@checks.register(TAG, deploy=True)
def check_no_committed_keys(
    app_configs: Iterable | None = None, **kwargs
) -> list[checks.CheckMessage]:
    used = {
        "SECRET_KEY": [getattr(settings, "SECRET_KEY", "")],
        "FIELD_ENCRYPTION_KEYS": list(getattr(settings, "FIELD_ENCRYPTION_KEYS", []) or []),
        "BLIND_INDEX_KEY": [getattr(settings, "BLIND_INDEX_KEY", "")],
        "HARBOUR_AUDIT_CHECKPOINT_KEY": [getattr(settings, "HARBOUR_AUDIT_CHECKPOINT_KEY", "")],
    }
    errors = []
    for name, values in used.items():
        if any(isinstance(value, str) and value.strip() in COMMITTED_KEYS for value in values):
            errors.append(
                checks.Error(
                    f"{name} holds a key committed to the repository (development or test).",
                    hint="Generate a new key for this deployment; anyone with the source "
                    "code knows the committed ones.",
                    id="harbour.E004",
                )
            )
    return errors
