"""Readers of field submissions exported from KoBoToolbox and ODK Central.

They read what Harbour's own XLSForm (``intake.xlsform``) and the standard HTCDS XLSForm
collect, in the exports the two servers offer:

- ``kobo-csv``: KoBoToolbox CSV export ("XML values and headers"; ``;`` or ``,``).
- ``kobo-xlsx``: KoBoToolbox XLSX export; repeat groups are the workbook's other sheets.
- ``kobo-json``: KoBoToolbox JSON (the API's ``{"results": [...]}`` or a bare list).
- ``odk-csv``: ODK Central CSV, or its zip with one CSV per repeat group.

Every reader yields one ``SourceRow`` per submission, keyed by the question name without its
group path (``interview/cas_InterviewDate`` -> ``cas_InterviewDate``), with the server's
metadata dropped and unanswered questions left out. ``external_id`` is the submission's
instance id without its ``uuid:`` prefix, so the same submission has the same id in every
export. Repeat groups are ``repeats[<repeat name>]`` (``events``, ``perpetrators``).

A ``ReaderError`` may come at any row (a bad byte, a repeat row without its submission): the
import service reads the whole stream before it writes anything.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import json
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from django.utils.translation import gettext as _

from . import ReaderError, SourceRow, register
from ._xlsform_fields import NO, STANDARD_FORM_ALIASES, YES

# The formats of this module: submissions of the field form, imported as draft screenings.
FIELD_FORMATS = frozenset({"kobo-csv", "kobo-xlsx", "kobo-json", "odk-csv"})
CHUNK = 64 * 1024
# A submission is a few kilobytes; a larger JSON value is not a submission.
MAX_SUBMISSION_CHARS = 1024 * 1024
MAX_ZIP_UNCOMPRESSED = 1024 * 1024 * 1024
SERVER_COLUMNS = frozenset(
    {
        # XLSForm metadata questions
        "start",
        "end",
        "today",
        "deviceid",
        "username",
        "phonenumber",
        "simserial",
        "subscriberid",
        "audit",
        "__version__",
        # ODK Central
        "SubmissionDate",
        "KEY",
        "PARENT_KEY",
        "SubmitterID",
        "SubmitterName",
        "AttachmentsPresent",
        "AttachmentsExpected",
        "Status",
        "ReviewState",
        "DeviceID",
        "Edits",
        "FormVersion",
    }
)
META_GROUPS = frozenset({"meta", "formhub"})
KOBO_SEPARATORS = "/"
ODK_SEPARATORS = "-/"
UUID_PREFIX = "uuid:"
SIGNATURES = (
    (b"PK\x03\x04", "an XLSX workbook or a zip archive"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) workbook"),
    (b"%PDF", "a PDF document"),
)


def _not_utf8() -> ReaderError:
    return ReaderError(_("The file is not UTF-8 text. Export it again from the server as UTF-8."))


def _no_id_column() -> ReaderError:
    return ReaderError(
        _(
            "The file has no submission id column (meta/instanceID, _uuid or KEY). Export it "
            "with its metadata and with XML values and headers, not labels."
        )
    )


def _no_id(number: int) -> ReaderError:
    return ReaderError(_("Row %(row)d has no submission id.") % {"row": number})


def _external_id(raw: str) -> str:
    value = raw.strip()
    if value.lower().startswith(UUID_PREFIX):
        value = value[len(UUID_PREFIX) :]
    return value


def _segments(header: str, separators: str) -> list[str]:
    return [part for part in re.split(f"[{re.escape(separators)}]", header.strip()) if part]


@dataclass
class _Columns:
    """What each column of a header row holds: a question's key, the id, or nothing."""

    keys: list[str | None]
    id_index: int | None
    parent_index: int | None = None
    index_index: int | None = None
    table_index: int | None = None

    @classmethod
    def parse(cls, header: list[str], separators: str) -> _Columns:
        paths = [_segments(str(name or ""), separators) for name in header]
        last = [STANDARD_FORM_ALIASES.get(p[-1], p[-1]) if p else "" for p in paths]
        answer_keys = {key for key, path in zip(last, paths, strict=True) if _is_answer(path)}
        keys: list[str | None] = []
        seen: dict[str, str] = {}
        id_index = uuid_index = key_index = parent_index = index_index = table_index = None
        for index, (path, key) in enumerate(zip(paths, last, strict=True)):
            if path[-2:] == ["meta", "instanceID"] or path == ["instanceID"]:
                id_index = index
            elif path == ["_uuid"]:
                uuid_index = index
            elif path == ["KEY"]:
                key_index = index
            elif path in (["PARENT_KEY"], ["_parent_index"]):
                parent_index = index
            elif path == ["_index"]:
                index_index = index
            elif path == ["_parent_table_name"]:
                table_index = index
            split_choice = len(path) >= 2 and path[-2] in answer_keys
            if not _is_answer(path) or split_choice:
                keys.append(None)
                continue
            if key in seen:
                raise ReaderError(
                    _("Two columns, %(first)s and %(second)s, hold the same question %(key)s.")
                    % {"first": seen[key], "second": header[index], "key": key}
                )
            seen[key] = str(header[index])
            keys.append(key)
        for candidate in (id_index, uuid_index, key_index):
            if candidate is not None:
                id_index = candidate
                break
        return cls(keys, id_index, parent_index, index_index, table_index)

    def values(self, cells: Iterable[Any]) -> dict[str, str]:
        values = {}
        for key, cell in zip(self.keys, cells, strict=False):
            text = _cell_text(cell)
            if key is not None and text != "":
                values[key] = text
        return values

    def cell(self, cells: list[Any], index: int | None) -> str:
        if index is None or index >= len(cells):
            return ""
        return _cell_text(cells[index]).strip()


def _is_answer(path: list[str]) -> bool:
    if not path or path[-1].startswith("_") or path[0] in META_GROUPS:
        return False
    return path[-1] not in SERVER_COLUMNS


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _refuse_other_formats(first: bytes, expected: str) -> None:
    if not first:
        raise ReaderError(_("The file is empty."))
    for signature, what in SIGNATURES:
        if first.startswith(signature):
            raise ReaderError(
                _("This file is %(what)s, not %(expected)s.") % {"what": what, "expected": expected}
            )


def _chunks(file: BinaryIO, first: bytes) -> Iterator[bytes]:
    yield first
    while chunk := file.read(CHUNK):
        yield chunk


def _decoded(chunks: Iterable[bytes]) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder("utf-8")()
    started = False
    for chunk in chunks:
        try:
            text = decoder.decode(chunk)
        except UnicodeDecodeError:
            raise _not_utf8() from None
        if not started and text:
            text = text.removeprefix("\ufeff")
            started = True
        if "\x00" in text:
            raise ReaderError(_("The file holds binary data, not text."))
        yield text
    try:
        tail = decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise _not_utf8() from None
    if tail:
        yield tail


def _lines(chunks: Iterable[bytes]) -> Iterator[str]:
    """Text lines with their line ends, so csv can rebuild quoted multi-line answers."""
    pending = ""
    for text in _decoded(chunks):
        pending += text
        *complete, pending = pending.split("\n")
        for line in complete:
            yield line + "\n"
    if pending:
        yield pending


def _csv_rows(file: BinaryIO) -> Iterator[list[str]]:
    first = file.read(CHUNK)
    _refuse_other_formats(first, _("a CSV file"))
    if first.lstrip(b"\xef\xbb\xbf \r\n\t")[:1] in (b"{", b"["):
        raise ReaderError(_("This file is JSON, not a CSV file."))
    lines = _lines(_chunks(file, first))
    header_line = next(lines, "")
    delimiter = max((";", ",", "\t"), key=header_line.count)
    reader = csv.reader(_prepend(header_line, lines), delimiter=delimiter, strict=True)
    try:
        yield from reader
    except csv.Error as exc:
        raise ReaderError(
            _("The CSV is malformed near line %(line)d.") % {"line": reader.line_num}
        ) from exc


def _prepend(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def _submissions(
    rows: Iterator[list[Any]], separators: str, *, require_id: bool = True
) -> Iterator[tuple[int, list[Any], _Columns]]:
    header = next(rows, None)
    if not header or not any(_cell_text(cell).strip() for cell in header):
        raise ReaderError(_("The file has no header row."))
    columns = _Columns.parse([_cell_text(cell) for cell in header], separators)
    if require_id and columns.id_index is None:
        raise _no_id_column()
    for number, cells in enumerate(rows, start=2):
        cells = list(cells)
        if not any(_cell_text(cell).strip() for cell in cells):
            continue
        yield number, cells, columns


def _row(number: int, cells: list[Any], columns: _Columns) -> SourceRow:
    external_id = _external_id(columns.cell(cells, columns.id_index))
    if not external_id:
        raise _no_id(number)
    return SourceRow(number=number, values=columns.values(cells), external_id=external_id)


@register("kobo-csv")
def read_kobo_csv(file: BinaryIO, name: str = "") -> Iterator[SourceRow]:
    for number, cells, columns in _submissions(_csv_rows(file), KOBO_SEPARATORS):
        yield _row(number, cells, columns)


# -- repeat groups kept in separate tables (KoBo XLSX sheets, ODK Central zip CSVs) -------


@dataclass
class _RepeatTable:
    """One repeat group's rows, read alongside the submissions they belong to.

    Both servers write repeat rows in the order of their submissions, so the rows of a
    submission are read when it is, and the file is never held whole.
    """

    name: str
    rows: Iterator[tuple[int, list[Any], _Columns]]
    pending: tuple[int, list[Any], _Columns] | None = None
    seen: set[str] = field(default_factory=set)

    def take(self, parent: str) -> list[dict[str, str]]:
        taken = []
        while True:
            if self.pending is None:
                self.pending = next(self.rows, None)
                if self.pending is None:
                    return taken
            _number, cells, columns = self.pending
            owner = _external_id(columns.cell(cells, columns.parent_index))
            if owner != parent:
                if owner in self.seen or not owner:
                    raise self.orphan()
                return taken
            taken.append(columns.values(cells))
            self.pending = None

    def close(self, parent: str) -> None:
        self.seen.add(parent)

    def finish(self) -> None:
        if self.pending is not None or next(self.rows, None) is not None:
            raise self.orphan()

    def orphan(self) -> ReaderError:
        return ReaderError(
            _(
                "The repeat group %(name)s has rows that do not follow their submission: "
                "export the file again without sorting or editing it."
            )
            % {"name": self.name}
        )


def _joined(
    main: Iterator[tuple[int, list[Any], _Columns]],
    tables: list[_RepeatTable],
    parent_of: Any,
) -> Iterator[SourceRow]:
    for number, cells, columns in main:
        row = _row(number, cells, columns)
        parent = parent_of(cells, columns)
        for table in tables:
            items = table.take(parent)
            table.close(parent)
            if items:
                row.repeats[table.name] = items
        yield row
    for table in tables:
        table.finish()


def _seekable(file: BinaryIO) -> BinaryIO:
    """Zip readers need to seek; an upload stream that cannot is spooled to disk first."""
    try:
        if file.seekable():
            return file
    except (AttributeError, ValueError):
        pass
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed with the reader's file
    shutil.copyfileobj(file, spool)
    spool.seek(0)
    return spool


@register("kobo-xlsx")
def read_kobo_xlsx(file: BinaryIO, name: str = "") -> Iterator[SourceRow]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    file = _seekable(file)
    first = file.read(8)
    file.seek(0)
    if not first.startswith(b"PK\x03\x04"):
        _refuse_other_formats(first, _("an XLSX workbook"))
        raise ReaderError(_("This file is not an XLSX workbook."))
    try:
        # data_only=False: a formula someone typed into the export arrives as its text
        # ("=...") and validation refuses it, as for an HTCDS workbook.
        workbook = load_workbook(file, read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError):
        raise ReaderError(_("This file is not an XLSX workbook.")) from None
    try:
        main_sheet, *repeat_sheets = workbook.worksheets
        tables = []
        for sheet in repeat_sheets:
            rows = _submissions(
                sheet.iter_rows(values_only=True), KOBO_SEPARATORS, require_id=False
            )
            tables.append(
                _RepeatTable(_repeat_name(sheet.title), _kobo_repeat_rows(rows, main_sheet.title))
            )
        main = _submissions(main_sheet.iter_rows(values_only=True), KOBO_SEPARATORS)
        yield from _joined(main, tables, _kobo_index)
    except ReaderError:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError):
        raise ReaderError(_("This XLSX workbook is damaged.")) from None
    finally:
        workbook.close()


def _repeat_name(title: str) -> str:
    return title.strip().rsplit("/", 1)[-1]


def _kobo_repeat_rows(
    rows: Iterator[tuple[int, list[Any], _Columns]], main_title: str
) -> Iterator[tuple[int, list[Any], _Columns]]:
    for number, cells, columns in rows:
        if columns.parent_index is None:
            raise ReaderError(_("A repeat sheet has no _parent_index column."))
        table = columns.cell(cells, columns.table_index)
        if table and table != main_title:
            raise ReaderError(_("Repeat groups inside repeat groups are not supported."))
        yield number, cells, columns


def _kobo_index(cells: list[Any], columns: _Columns) -> str:
    if columns.index_index is None:
        raise ReaderError(_("The first sheet has no _index column to join its repeat sheets."))
    return columns.cell(cells, columns.index_index)


@register("odk-csv")
def read_odk_csv(file: BinaryIO, name: str = "") -> Iterator[SourceRow]:
    file = _seekable(file)
    first = file.read(4)
    file.seek(0)
    if first.startswith(b"PK\x03\x04"):
        yield from _read_odk_zip(file)
        return
    for number, cells, columns in _submissions(_csv_rows(file), ODK_SEPARATORS):
        yield _row(number, cells, columns)


def _read_odk_zip(file: BinaryIO) -> Iterator[SourceRow]:
    try:
        archive = zipfile.ZipFile(file)
    except zipfile.BadZipFile:
        raise ReaderError(_("This file is not a zip archive.")) from None
    with archive:
        members = [
            info
            for info in archive.infolist()
            if info.filename.lower().endswith(".csv") and "/" not in info.filename
        ]
        if sum(info.file_size for info in members) > MAX_ZIP_UNCOMPRESSED:
            raise ReaderError(_("The zip archive is too large once unpacked."))
        main_names = [m.filename for m in members if not _is_repeat_csv(archive, m.filename)]
        if len(main_names) != 1:
            raise ReaderError(
                _(
                    "The zip archive is not an ODK Central export: it needs exactly one CSV "
                    "of submissions."
                )
            )
        stem = main_names[0][: -len(".csv")]
        tables = []
        for member in members:
            if member.filename == main_names[0]:
                continue
            repeat = member.filename[: -len(".csv")].removeprefix(stem + "-")
            rows = _submissions(_csv_rows(archive.open(member)), ODK_SEPARATORS, require_id=False)
            tables.append(_RepeatTable(repeat, _odk_repeat_rows(rows)))
        main = _submissions(_csv_rows(archive.open(main_names[0])), ODK_SEPARATORS)
        yield from _joined(main, tables, _odk_key)


def _is_repeat_csv(archive: zipfile.ZipFile, member: str) -> bool:
    with archive.open(member) as stream:
        header = next(_csv_rows(stream), [])
    return "PARENT_KEY" in header


def _odk_repeat_rows(
    rows: Iterator[tuple[int, list[Any], _Columns]],
) -> Iterator[tuple[int, list[Any], _Columns]]:
    for number, cells, columns in rows:
        if "/" in _external_id(columns.cell(cells, columns.parent_index)):
            raise ReaderError(_("Repeat groups inside repeat groups are not supported."))
        yield number, cells, columns


def _odk_key(cells: list[Any], columns: _Columns) -> str:
    return _external_id(columns.cell(cells, columns.id_index))


# -- KoBoToolbox JSON ----------------------------------------------------------------


class _JsonStream:
    """Reads a JSON document one value at a time, never holding more than one submission."""

    def __init__(self, file: BinaryIO) -> None:
        first = file.read(CHUNK)
        _refuse_other_formats(first, _("a JSON file"))
        self.texts = _decoded(_chunks(file, first))
        self.buffer = ""
        self.position = 0
        self.decoder = json.JSONDecoder()

    def _fill(self) -> bool:
        text = next(self.texts, None)
        if text is None:
            return False
        self.buffer = self.buffer[self.position :] + text
        self.position = 0
        return True

    def peek(self) -> str:
        while True:
            while self.position < len(self.buffer) and self.buffer[self.position].isspace():
                self.position += 1
            if self.position < len(self.buffer):
                return self.buffer[self.position]
            if not self._fill():
                return ""

    def expect(self, char: str) -> None:
        found = self.peek()
        if found == "":
            raise ReaderError(_("This file is not valid JSON: it ends too soon."))
        if found != char:
            raise ReaderError(_("This file is not a KoBoToolbox JSON export."))
        self.position += 1

    def value(self) -> Any:
        self.peek()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buffer, self.position)
            except json.JSONDecodeError:
                if len(self.buffer) - self.position > MAX_SUBMISSION_CHARS or not self._fill():
                    raise ReaderError(_("This file is not valid JSON.")) from None
                continue
            if end == len(self.buffer) and self._fill():
                continue  # a number may go on in the next chunk
            self.position = end
            return value

    def array(self) -> Iterator[Any]:
        self.expect("[")
        if self.peek() == "]":
            self.position += 1
            return
        while True:
            yield self.value()
            if self.peek() == ",":
                self.position += 1
                continue
            self.expect("]")
            return


def _json_submissions(stream: _JsonStream) -> Iterator[Any]:
    if stream.peek() == "[":
        yield from stream.array()
        return
    stream.expect("{")
    while stream.peek() != "}":
        key = stream.value()
        stream.expect(":")
        if key == "results":
            yield from stream.array()
        else:
            stream.value()
        if stream.peek() == ",":
            stream.position += 1
    stream.expect("}")


def _json_values(item: dict[str, Any], number: int) -> tuple[dict[str, str], dict[str, list]]:
    values: dict[str, str] = {}
    repeats: dict[str, list[dict[str, str]]] = {}
    for raw_key, value in item.items():
        path = _segments(str(raw_key), KOBO_SEPARATORS)
        if not _is_answer(path):
            continue
        key = STANDARD_FORM_ALIASES.get(path[-1], path[-1])
        if isinstance(value, list) and all(isinstance(entry, dict) for entry in value):
            entries = []
            for entry in value:
                entry_values, nested = _json_values(entry, number)
                if nested:
                    raise ReaderError(_("Repeat groups inside repeat groups are not supported."))
                entries.append(entry_values)
            if entries:
                repeats[key] = entries
        elif isinstance(value, dict | list):
            raise ReaderError(
                _("Submission %(row)d: the answer %(key)s is not text.")
                % {"row": number, "key": key}
            )
        else:
            text = _cell_text(value)
            if text != "":
                values[key] = text
    return values, repeats


@register("kobo-json")
def read_kobo_json(file: BinaryIO, name: str = "") -> Iterator[SourceRow]:
    stream = _JsonStream(file)
    for number, item in enumerate(_json_submissions(stream), start=1):
        if not isinstance(item, dict):
            raise ReaderError(_("This file is not a KoBoToolbox JSON export."))
        raw_id = item.get("meta/instanceID") or item.get("_uuid") or ""
        external_id = _external_id(str(raw_id))
        if not external_id:
            raise _no_id(number)
        values, repeats = _json_values(item, number)
        yield SourceRow(number=number, values=values, external_id=external_id, repeats=repeats)
    if stream.peek() != "":
        raise ReaderError(_("This file is not valid JSON."))
