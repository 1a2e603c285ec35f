"""Field encryption (Fernet, several keys for rotation) and the blind index (keyed HMAC)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import struct
import time
import unicodedata
from collections.abc import Sequence
from datetime import date
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
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


def encrypt_many(plaintexts: Sequence[str]) -> list[str]:
    """``encrypt`` of each plaintext, for bulk loads: the same Fernet tokens (version, time,
    fresh random IV, AES-128-CBC, HMAC-SHA256), with the current (first) key, built without
    Fernet's per-call setup. The IVs come from one ``os.urandom`` call; nothing else is shared
    between tokens. ``decrypt`` (Fernet itself) reads them: tests/cases/test_crypto.py.
    """
    key = base64.urlsafe_b64decode(settings.FIELD_ENCRYPTION_KEYS[0].strip().encode())
    signing_key, encryption_key = key[:16], key[16:]
    _fernet()  # the same checks of the configured keys as every other call
    header = b"\x80" + struct.pack(">Q", int(time.time()))
    mac = hmac.new(signing_key, digestmod=hashlib.sha256)
    aes = algorithms.AES(encryption_key)
    ivs = os.urandom(16 * len(plaintexts))
    tokens = []
    for position, plaintext in enumerate(plaintexts):
        data = plaintext.encode()
        pad = 16 - len(data) % 16
        iv = ivs[16 * position : 16 * position + 16]
        encryptor = Cipher(aes, modes.CBC(iv)).encryptor()
        parts = header + iv + encryptor.update(data + bytes([pad]) * pad) + encryptor.finalize()
        signature = mac.copy()
        signature.update(parts)
        tokens.append(base64.urlsafe_b64encode(parts + signature.digest()).decode())
    return tokens


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        # Never echo the token: the message must carry nothing from the row.
        raise ImproperlyConfigured(
            "A field could not be decrypted with any configured key."
        ) from exc


def encrypt_bytes(data: bytes) -> bytes:
    """A Fernet token of ``data`` (uploaded files kept between validation and import)."""
    return _fernet().encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    try:
        return _fernet().decrypt(token)
    except InvalidToken as exc:
        raise ImproperlyConfigured("Data could not be decrypted with any configured key.") from exc


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
