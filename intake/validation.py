"""Validation of one source row: every cell against its column's type and vocabulary.

Pure: no database. A row becomes a ``Prepared`` record (the values for Person, Case,
Screening and route steps) and a list of (column, reason code) errors. A reason never holds
the cell's value, so a report built from these can be shown and stored.
"""

from __future__ import annotations

import datetime
import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from cases.vocabularies import TraffickingStatus
from screening.conditions import unmet_conditions

from . import messages
from .columns import EVENTS, EXTERNAL_ID, HTCDS_LAYOUT, REGISTERED_ON, Column, Kind, Layout
from .readers import SourceRow

# A cell a spreadsheet would run as a formula (CSV injection): refused on the way in, and
# escaped on the way out (intake.rejected).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SEPARATORS = re.compile(r"[;\s]+")
TRUE = frozenset({"1", "yes", "true", "y"})
FALSE = frozenset({"0", "no", "false", "n"})
ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
SCREENING_TARGETS = ("screening",)


@dataclass
class Prepared:
    number: int
    external_id: str
    person: dict[str, Any] = field(default_factory=dict)
    case: dict[str, Any] = field(default_factory=dict)
    screening: dict[str, Any] = field(default_factory=dict)
    # Repeat group name -> its rows (model field values): route steps, perpetrators.
    repeats: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)
    duplicate_of_existing: bool = False

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def events(self) -> list[dict[str, Any]]:
        return self.repeats.get(EVENTS, [])


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_START)


def _parse(column: Column, text: str, *, today: datetime.date) -> tuple[Any, str | None]:
    """(value, None) or (None, reason code) for one non-empty cell."""
    if looks_like_formula(text):
        return None, messages.FORMULA
    kind = column.kind
    if kind == Kind.TEXT:
        if len(text) > column.max_length:
            return None, messages.TOO_LONG
        return text, None
    if kind == Kind.DATE:
        if not ISO_DATE.match(text):
            return None, messages.NOT_A_DATE
        try:
            value = datetime.date.fromisoformat(text)
        except ValueError:
            return None, messages.NOT_A_DATE
        if value > today:
            return None, messages.DATE_IN_FUTURE
        return value, None
    if kind == Kind.INT:
        if not text.isdigit():
            return None, messages.NOT_A_NUMBER
        number = int(text)
        if (column.low is not None and number < column.low) or (
            column.high is not None and number > column.high
        ):
            return None, messages.OUT_OF_RANGE
        return number, None
    if kind == Kind.BOOL:
        lowered = text.lower()
        if lowered in TRUE:
            return True, None
        if lowered in FALSE:
            return False, None
        return None, messages.NOT_YES_NO
    allowed = column.allowed()
    if kind in (Kind.CODES, Kind.COUNTRIES):
        codes = [column.canonical(code) for code in SEPARATORS.split(text) if code]
        if any(code not in allowed for code in codes):
            return None, messages.UNKNOWN_CODE
        return sorted(set(codes)), None
    text = column.canonical(text)
    if text not in allowed:
        return None, messages.UNKNOWN_CODE
    return text, None


def _assign(prepared: Prepared, column: Column, value: Any) -> None:
    for target, name in column.targets:
        if target == "record":
            continue
        bucket = getattr(prepared, target)
        if column.kind == Kind.LANGUAGE:
            bucket[name] = sorted({*bucket.get(name, []), value})
        elif name == "identity_documents":
            bucket[name] = [value]
        else:
            bucket[name] = value


def _repeat(
    prepared: Prepared,
    columns: dict[str, Column],
    steps: list[dict[str, str]],
    *,
    limit: int,
    today: datetime.date,
) -> list[dict[str, Any]]:
    """The rows of one repeat group; a cell's error names its column and row (``hte_Type_2``)."""
    parsed = []
    steps = [step for step in steps if any((text or "").strip() for text in step.values())]
    for position, step in enumerate(steps[:limit], start=1):
        item: dict[str, Any] = {}
        for name, column in columns.items():
            text = (step.get(name) or "").strip()
            label = f"{name}_{position}"
            if not text:
                if column.required:
                    prepared.errors.append((label, messages.REQUIRED))
                continue
            value, error = _parse(column, text, today=today)
            if error:
                prepared.errors.append((label, error))
            else:
                item[column.targets[0][1]] = value
        unknown = sorted(set(step) - set(columns))
        prepared.errors.extend((f"{name}_{position}", messages.UNKNOWN_COLUMN) for name in unknown)
        parsed.append(item)
    if len(steps) > limit:
        prepared.errors.append((f"{next(iter(columns))}_{limit + 1}", messages.TOO_MANY_ROWS))
    return parsed


def _cross_checks(prepared: Prepared, layout: Layout) -> None:
    """Checks between cells of one row: dates in order, the determination consistent."""
    present = [
        (column, prepared.screening[name])
        for name, column in layout.date_order
        if prepared.screening.get(name) is not None
    ]
    for (_earlier, before), (later, after) in itertools.pairwise(present):
        if after < before:
            prepared.errors.append((later, messages.DATE_ORDER))
    registered_on = prepared.case.get("registered_on")
    born = prepared.person.get("date_of_birth")
    if born and registered_on and born > registered_on:
        prepared.errors.append(("prs_Birthdate", messages.DATE_ORDER))
    start = prepared.screening.get("exploitation_start")
    end = prepared.screening.get("exploitation_end")
    if start and end and end < start:
        prepared.errors.append(("vic_ExploitationEndDate", messages.DATE_ORDER))
    status = prepared.screening.get("trafficking_status")
    eligible = prepared.screening.get("eligible_for_assistance")
    if status == TraffickingStatus.NotAVictimOfTrafficking and eligible is True:
        prepared.errors.append(("vic_EligibleForAssistance", messages.NOT_A_VICTIM_ELIGIBLE))


_COLUMNS_OF: dict[int, tuple[Layout, dict[str, str]]] = {}


def _screening_columns(layout: Layout) -> dict[str, str]:
    """Screening field -> the column that carries it, worked out once per layout."""
    entry = _COLUMNS_OF.get(id(layout))
    if entry is None or entry[0] is not layout:
        found: dict[str, str] = {}
        for column in layout.columns.values():
            for target, name in column.targets:
                if target == "screening":
                    found.setdefault(name, column.name)
        entry = _COLUMNS_OF[id(layout)] = (layout, found)
    return entry[1]


def _condition_checks(prepared: Prepared, layout: Layout) -> None:
    """An answer given where it does not apply (an industry without forced labour), refused
    as the screening service refuses it. Historical records are kept as their source released
    them (8,618 rows of the CTDC 2021 file give a labour industry without the forced-labour
    flag): they are closed and never edited."""
    columns = _screening_columns(layout)
    for condition in unmet_conditions(prepared.screening.get):
        if condition.field in columns:
            prepared.errors.append(
                (columns[condition.field], messages.NOT_APPLICABLE[condition.field])
            )


def _consent_checks(prepared: Prepared, row: SourceRow, layout: Layout) -> None:
    """Answers past the consent section need the person's consent (as the screening service
    refuses to save them, and the field form does not ask them)."""
    if not layout.after_consent or prepared.screening.get("consent_interview") is True:
        return
    for name, raw in row.values.items():
        if name in layout.after_consent and (raw or "").strip():
            prepared.errors.append((name, messages.CONSENT_REQUIRED))
    for name, columns in layout.repeats.items():
        if name in layout.after_consent and row.repeats.get(name):
            prepared.errors.append((f"{next(iter(columns))}_1", messages.CONSENT_REQUIRED))


def validate_row(
    row: SourceRow,
    *,
    historical: bool,
    today: datetime.date,
    layout: Layout = HTCDS_LAYOUT,
) -> Prepared:
    prepared = Prepared(number=row.number, external_id=(row.external_id or "").strip())
    for name, raw in row.values.items():
        column = layout.columns.get(name)
        if column is None:
            prepared.errors.append((name, messages.UNKNOWN_COLUMN))
            continue
        text = (raw or "").strip()
        if not text:
            continue
        if historical and column.identity:
            prepared.errors.append((name, messages.NOT_ALLOWED_HISTORICAL))
            continue
        value, error = _parse(column, text, today=today)
        if error:
            prepared.errors.append((name, error))
        else:
            _assign(prepared, column, value)
    undated = historical and not (row.values.get(REGISTERED_ON) or "").strip()
    if undated:
        # A historical record may lack its registration date (39,285 rows of the CTDC 2021
        # release have no year): the case is dated the day of the import and marked, so the
        # research data counts the record with its year unknown instead of leaving it out.
        prepared.case["registered_on"] = today
        prepared.case["registration_date_unknown"] = True
    for column in layout.columns.values():
        if not column.required or (undated and column.name == REGISTERED_ON):
            continue
        if column.name == EXTERNAL_ID:
            missing = not prepared.external_id
        else:
            missing = not (row.values.get(column.name) or "").strip()
        if missing and (column.name, messages.REQUIRED) not in prepared.errors:
            prepared.errors.append((column.name, messages.REQUIRED))
    named = "prs_FirstName" in {column for column, _code in prepared.errors}
    if not historical and not named and not prepared.person.get("given_name"):
        prepared.errors.append(("prs_FirstName", messages.REQUIRED))
    for name, columns in layout.repeats.items():
        steps = row.repeats.get(name, [])
        if steps:
            prepared.repeats[name] = _repeat(
                prepared, columns, steps, limit=layout.max_rows[name], today=today
            )
    prepared.errors.extend(
        (name, messages.UNKNOWN_COLUMN) for name in sorted(set(row.repeats) - set(layout.repeats))
    )
    _consent_checks(prepared, row, layout)
    _cross_checks(prepared, layout)
    if not historical:
        _condition_checks(prepared, layout)
    return prepared


def unknown_columns(names: list[str], layout: Layout = HTCDS_LAYOUT) -> list[str]:
    """Column names of a file that Harbour does not know (a cell under no heading aside)."""
    return sorted(name for name in names if name not in layout.columns and not name.startswith("#"))
