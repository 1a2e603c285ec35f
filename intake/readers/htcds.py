"""HTCDS files: CSV (UTF-8) or XLSX whose header row holds HTCDS 2.0 field names.

Both stream: the CSV through a text wrapper over the upload, the XLSX through openpyxl's
read-only mode (rows are parsed as they are read, the sheet is never held whole). Route steps
come as numbered columns (``hte_Type_1``, ``hte_Country_1``...) and leave as repeats.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from intake import messages
from intake.columns import EVENT_BY_NAME, EVENTS, EXTERNAL_ID

from . import ReaderError, SourceRow, register

XLSX_MAGIC = b"PK\x03\x04"
SNIFF_BYTES = 4096
EVENT_COLUMN = re.compile(r"^(hte_[A-Za-z]+)_([1-9][0-9]?)$")


def is_xlsx(head: bytes) -> bool:
    return head.startswith(XLSX_MAGIC)


def looks_binary(head: bytes) -> bool:
    return b"\x00" in head


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _header(cells: Iterable[Any]) -> list[str]:
    header = [_cell_text(c) for c in cells]
    while header and not header[-1]:
        header.pop()
    named = [h for h in header if h]
    if len(named) != len(set(named)):
        raise ReaderError(messages.DUPLICATE_COLUMN)
    return header


def rows_from_cells(rows: Iterable[Iterable[Any]]) -> Iterator[SourceRow]:
    """SourceRows from rows of cells, the first being the header (shared by CSV and XLSX)."""
    iterator = iter(rows)
    try:
        header = _header(next(iterator))
    except StopIteration:
        raise ReaderError(messages.NO_ROWS) from None
    events: dict[int, tuple[int, str]] = {}
    for index, name in enumerate(header):
        match = EVENT_COLUMN.match(name)
        if match and match.group(1) in EVENT_BY_NAME:
            events[index] = (int(match.group(2)), match.group(1))
    for number, cells in enumerate(iterator, start=2):
        texts = [_cell_text(c) for c in cells]
        if not any(texts):
            continue
        values: dict[str, str] = {}
        steps: dict[int, dict[str, str]] = {}
        for index, text in enumerate(texts):
            if index in events:
                position, name = events[index]
                steps.setdefault(position, {})[name] = text
            elif index < len(header) and header[index]:
                values[header[index]] = text
            elif text:
                # A value under no column heading: reported, never silently dropped.
                values[f"#{index + 1}"] = text
        for index, name in enumerate(header):
            if name and index not in events and name not in values and index >= len(texts):
                values[name] = ""
        route = [steps[p] for p in sorted(steps) if any(steps[p].values())]
        yield SourceRow(
            number=number,
            values=values,
            external_id=values.get(EXTERNAL_ID) or None,
            repeats={EVENTS: route} if route else {},
        )


def csv_cells(file: BinaryIO) -> Iterator[list[str]]:
    text = io.TextIOWrapper(file, encoding="utf-8-sig", newline="")
    try:
        yield from csv.reader(text)
    except UnicodeDecodeError:
        raise ReaderError(messages.WRONG_ENCODING) from None
    except csv.Error:
        raise ReaderError(messages.NOT_CSV_OR_XLSX) from None


def xlsx_cells(file: BinaryIO) -> Iterator[tuple[Any, ...]]:
    from openpyxl import load_workbook

    try:
        # data_only=False: a formula arrives as its text ("=...") and is refused as one.
        workbook = load_workbook(file, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise ReaderError(messages.NOT_CSV_OR_XLSX) from None
    except Exception:  # openpyxl raises its own types for malformed parts
        raise ReaderError(messages.NOT_CSV_OR_XLSX) from None
    try:
        sheet = workbook.worksheets[0]
        yield from sheet.iter_rows(values_only=True)
    finally:
        workbook.close()


@register("htcds")
def read_htcds(file: BinaryIO, name: str) -> Iterator[SourceRow]:
    head = file.read(SNIFF_BYTES)
    file.seek(0)
    lowered = name.lower()
    if is_xlsx(head):
        if not lowered.endswith(".xlsx"):
            raise ReaderError(messages.NOT_CSV_OR_XLSX)
        yield from rows_from_cells(xlsx_cells(file))
        return
    if looks_binary(head) or not lowered.endswith(".csv"):
        raise ReaderError(messages.NOT_CSV_OR_XLSX)
    yield from rows_from_cells(csv_cells(file))
