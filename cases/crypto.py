"""Field encryption (Fernet, several keys for rotation) and the blind index (keyed HMAC)."""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from datetime import date
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@lru_cache(maxsize=4)
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty.")
    try:
        return MultiFernet([Fernet(key.strip().encode()) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS holds an invalid Fernet key.") from exc


def _fernet() -> MultiFernet:
    return _multi_fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        # Never echo the token: the message must carry nothing from the row.
        raise ImproperlyConfigured(
            "A field could not be decrypted with any configured key."
        ) from exc


def rotate(token: str) -> str:
    """Re-encrypt a token with the first (current) key."""
    return _fernet().rotate(token.encode()).decode()


def normalise_name(value: str) -> str:
    """Case-, accent- and spacing-insensitive form of a name."""
    decomposed = unicodedata.normalize("NFKD", value)
    without_marks = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(without_marks.casefold().split())


def blind_index(*, given_name: str, family_name: str, date_of_birth: date | None) -> str:
    """HMAC-SHA256 of normalised name and birth date; equal inputs give equal indexes."""
    key = settings.BLIND_INDEX_KEY
    if not key:
        raise ImproperlyConfigured("BLIND_INDEX_KEY is empty.")
    material = "\x1f".join(
        [
            normalise_name(given_name),
            normalise_name(family_name),
            date_of_birth.isoformat() if date_of_birth else "",
        ]
    )
    return hmac.new(key.encode(), material.encode(), hashlib.sha256).hexdigest()
