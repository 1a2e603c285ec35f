"""Uploaded files, kept encrypted between validation and import (and for the rejected rows).

The file is personal data: it is written in Fernet-encrypted chunks under
``HARBOUR_IMPORT_DIR`` and read back into an anonymous temporary file (unlinked as soon as
it is created, so it vanishes with its handle) only while a job reads it.
"""

from __future__ import annotations

import contextlib
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

from cases import crypto

CHUNK_BYTES = 1024 * 1024
LENGTH = struct.Struct(">I")


def upload_path(job_id) -> Path:
    return Path(settings.HARBOUR_IMPORT_DIR) / f"{job_id}.enc"


def upload_store(*, job_id, chunks: Iterator[bytes]) -> int:
    """Encrypt ``chunks`` into the job's upload file; returns the plaintext size."""
    path = upload_path(job_id)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    size = 0
    buffer = b""
    with open(path, "wb") as out:
        for chunk in chunks:
            buffer += chunk
            while len(buffer) >= CHUNK_BYTES:
                piece, buffer = buffer[:CHUNK_BYTES], buffer[CHUNK_BYTES:]
                size += _write(out, piece)
        if buffer:
            size += _write(out, buffer)
    return size


def _write(out: BinaryIO, piece: bytes) -> int:
    token = crypto.encrypt_bytes(piece)
    out.write(LENGTH.pack(len(token)))
    out.write(token)
    return len(piece)


@contextlib.contextmanager
def upload_open(job_id) -> Iterator[BinaryIO]:
    """The decrypted upload as a seekable file, for as long as the block runs."""
    with open(upload_path(job_id), "rb") as encrypted, tempfile.TemporaryFile() as plain:
        while header := encrypted.read(LENGTH.size):
            (length,) = LENGTH.unpack(header)
            plain.write(crypto.decrypt_bytes(encrypted.read(length)))
        plain.seek(0)
        yield plain


def upload_exists(job_id) -> bool:
    return upload_path(job_id).exists()


def upload_delete(job_id) -> None:
    upload_path(job_id).unlink(missing_ok=True)
