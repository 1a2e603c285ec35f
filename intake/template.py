"""The downloadable import template: an XLSX generated from ``intake.columns``.

Sheet one has the header row; sheet two lists every column with its meaning, its type and
its allowed codes, read from the project's vocabularies at download time, so the template
cannot drift from what the import accepts.
"""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook

from .columns import COLUMNS, EVENT_COLUMNS, MAX_EVENTS, Column, Kind, file_columns

KIND_LABELS = {
    Kind.TEXT: "text",
    Kind.DATE: "date YYYY-MM-DD",
    Kind.INT: "whole number",
    Kind.BOOL: "1 or 0",
    Kind.CODE: "one code",
    Kind.CODES: "codes separated by ;",
    Kind.COUNTRY: "ISO 3166 alpha-3 code",
    Kind.COUNTRIES: "ISO 3166 alpha-3 codes separated by ;",
    Kind.LANGUAGE: "ISO 639-1 code",
}


def _allowed(column: Column) -> str:
    if column.choices is not None:
        return "\n".join(f"{value} = {label}" for value, label in column.choices.choices)
    allowed = column.allowed()
    return " ".join(sorted(allowed)) if allowed else ""


def _range(column: Column) -> str:
    if column.low is None and column.high is None:
        return ""
    return f"{column.low}..{column.high}"


def template_xlsx() -> bytes:
    workbook = Workbook()
    cases = workbook.active
    cases.title = "cases"
    cases.append(file_columns())
    sheet = workbook.create_sheet("columns")
    sheet.append([_("column"), _("required"), _("type"), _("meaning"), _("allowed codes or range")])
    for column in COLUMNS:
        sheet.append(
            [
                column.name,
                _("yes") if column.required else "",
                KIND_LABELS[column.kind],
                str(column.description),
                _allowed(column) or _range(column),
            ]
        )
    for column in EVENT_COLUMNS:
        sheet.append(
            [
                f"{column.name}_1 … {column.name}_{MAX_EVENTS}",
                _("yes, for each route step given") if column.required else "",
                KIND_LABELS[column.kind],
                str(column.description),
                _allowed(column),
            ]
        )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
