"""Readers turn an uploaded file into a stream of source rows, one format each.

A reader never validates codes or writes anything: it only turns bytes into
``SourceRow`` objects keyed by HTCDS 2.0 field names, so that one validation and one
import service (``intake.services``) handle every format alike. Readers stream: they
yield row by row and never hold the whole file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO


class ReaderError(ValueError):
    """The file as a whole cannot be read (not CSV/XLSX/JSON, wrong encoding, ...).

    The message names the problem, never a cell's value.
    """


@dataclass
class SourceRow:
    """One case as a file gives it.

    ``number`` is the row number a person would see in the file (header = row 1).
    ``values`` maps HTCDS field names (``prs_gender``, ``hte_type_of_exploit``...) to the raw
    text of the cell; multi-valued answers stay as the file writes them and are split by
    validation. ``external_id`` is what makes re-import idempotent (a legacy system's id, a
    KoBo ``_uuid`` or an ODK ``meta/instanceID``). ``repeats`` holds repeat groups by name
    (for example trafficking events), each a list of value maps like ``values``.
    """

    number: int
    values: dict[str, str]
    external_id: str | None = None
    repeats: dict[str, list[dict[str, str]]] = field(default_factory=dict)


Reader = Callable[[BinaryIO, str], Iterator[SourceRow]]

READERS: dict[str, Reader] = {}


def register(name: str) -> Callable[[Reader], Reader]:
    """Register a reader under a format name (``htcds``, ``ctdc``, ``kobo-json``...)."""

    def decorate(reader: Reader) -> Reader:
        if name in READERS:
            raise ValueError(f"reader {name!r} registered twice")
        READERS[name] = reader
        return reader

    return decorate


def reader_for(name: str) -> Reader:
    try:
        return READERS[name]
    except KeyError:
        raise ReaderError(f"unknown format {name!r}; known: {', '.join(sorted(READERS))}") from None
