"""Extract packages: the table (CSV, XLSX or JSON), a data dictionary and a disclosure report,
in one .zip.

The table is in long form, one line per published figure:

    row_type, <one column per dimension>, count, zero_or_hidden

``row_type`` is ``cell``, ``row_total`` (over the last dimension), ``column_total`` (over the
other dimensions) or ``grand_total``. In a total, the dimensions it adds up over hold
``(all)``. A value that was not recorded is ``(missing)``. Every combination of the values
in the table is listed; a count that is zero and a count that is withheld are the same to the
reader ("0 or hidden"): an empty ``count`` and ``zero_or_hidden`` = 1; otherwise
``zero_or_hidden`` = 0. Telling zeros apart would say that every withheld count holds at
least one person. In JSON, such a count is ``null`` and a missing value is ``""``.

Text cells that a spreadsheet would read as a formula (starting with = + - @, a tab or a
carriage return) are prefixed with a single quote in CSV and XLSX.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook

from cases.vocabularies import (
    ExploitationType,
    LabourIndustry,
    MeansOfControl,
    SexualExploitationType,
    TraffickingStatus,
    country_names,
)
from screening.models import RecruiterRelation

from .variables import AGE_BANDS, MEANS_GROUPS, MISSING, MONTH_BANDS, VARIABLES

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ALL_MARKER = "(all)"
MISSING_MARKER = "(missing)"
OTHER_COUNTRY = "OTHER"
TABLE_NAME = "extract"
COUNTRY_VARIABLES = ("missionCountry", "citizenship", "CountryOfExploitation")
ROW_TYPES = ("cell", "row_total", "column_total", "grand_total")


def neutralise(value: Any) -> Any:
    """A text a spreadsheet would evaluate, made inert; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


# ---------------------------------------------------------------------------- codes


def _country_label(code: str) -> str:
    if code == OTHER_COUNTRY:
        return _("Other (countries merged for disclosure control, and any not listed)")
    return country_names().get(code, code)


def _band_labels(bands, unit: str) -> dict[str, str]:
    labels = {}
    for code, low, high in bands:
        if high is None:
            labels[code] = _("%(low)d %(unit)s or more") % {"low": low, "unit": unit}
        else:
            labels[code] = _("%(low)d to %(high)d %(unit)s") % {
                "low": low,
                "high": high,
                "unit": unit,
            }
    return labels


def _means_labels() -> dict[str, str]:
    labels = dict(MeansOfControl.choices)
    groups: dict[str, list[str]] = {}
    for code, group in MEANS_GROUPS.items():
        groups.setdefault(group, []).append(str(labels.get(code, code)))
    return {group: "; ".join(members) for group, members in groups.items()}


def code_label(variable: str, code: str) -> str:
    """What one code of a variable means, in the active language."""
    if code == MISSING:
        return _("Not recorded")
    if variable in COUNTRY_VARIABLES:
        return _country_label(code)
    if variable == "route":
        origin, _sep, destination = code.partition(">")
        return _("%(origin)s to %(destination)s") % {
            "origin": _country_label(origin),
            "destination": _country_label(destination),
        }
    vocabularies: dict[str, dict[str, Any]] = {
        "ageBroad": _band_labels(AGE_BANDS, _("years")),
        "traffickMonths": _band_labels(MONTH_BANDS, _("months")),
        "majorityStatus": {"Minor": _("Under 18"), "Adult": _("18 or older")},
        "typeOfExploitation": dict(ExploitationType.choices),
        "typeOfLabour": dict(LabourIndustry.choices),
        "typeOfSex": dict(SexualExploitationType.choices),
        "meansOfControl": _means_labels(),
        "recruiterRelation": dict(RecruiterRelation.choices),
        "traffickingStatus": dict(TraffickingStatus.choices),
    }
    return str(vocabularies.get(variable, {}).get(code, code))


def data_dictionary(result: dict[str, Any]) -> list[dict[str, str]]:
    """Every column of the table, and every code that appears in it, explained."""
    entries = [
        {
            "column": "row_type",
            "code": "",
            "label": _("Kind of figure"),
            "description": _(
                "cell: people with this combination of values; row_total: over the last "
                "variable; column_total: over the other variables; grand_total: everyone."
            ),
            "ctdc_name": "",
        }
    ]
    for index, name in enumerate(result["dimensions"]):
        variable = VARIABLES[name]
        description = str(variable.description)
        if variable.multi_valued:
            description += " " + _(
                "A person with several values counts once under each; totals count each "
                "person once, so they are not the sums of their cells."
            )
        entries.append(
            {
                "column": name,
                "code": "",
                "label": str(variable.label),
                "description": description,
                "ctdc_name": variable.ctdc_name,
            }
        )
        codes = {row["values"][index] for row in result["rows"]}
        codes_in_order = sorted(codes - {MISSING}) + ([MISSING] if MISSING in codes else [])
        for code in codes_in_order:
            entries.append(
                {
                    "column": name,
                    "code": MISSING_MARKER if code == MISSING else code,
                    "label": code_label(name, code),
                    "description": "",
                    "ctdc_name": "",
                }
            )
        entries.append(
            {
                "column": name,
                "code": ALL_MARKER,
                "label": _("All values (in a total)"),
                "description": "",
                "ctdc_name": "",
            }
        )
    entries += [
        {
            "column": "count",
            "code": "",
            "label": _("Number of people"),
            "description": _(
                "People counted once each, after disclosure control: every published count is "
                "0 or at least the threshold, and rounded as the disclosure report says."
            ),
            "ctdc_name": "",
        },
        {
            "column": "zero_or_hidden",
            "code": "",
            "label": _("0 or hidden"),
            "description": _(
                "1 when the count is 0 or hidden: either nobody has this combination, or the "
                "count is withheld (too few people, or it would let a withheld count be "
                "worked out). The two are published alike on purpose; the count is then "
                "empty (null in JSON). 0 otherwise."
            ),
            "ctdc_name": "",
        },
    ]
    if result.get("mode") == "dp":
        entries.append(
            {
                "column": "margin_of_error",
                "code": "",
                "label": _("95% margin of error (differentially private counts only)"),
                "description": _(
                    "With differentially private counts, the true count is within this many "
                    "people of the published one with 95% probability."
                ),
                "ctdc_name": "",
            }
        )
    return entries


# ---------------------------------------------------------------------------- the table


def table_lines(result: dict[str, Any]) -> Iterator[list[Any]]:
    """The header, then one line per published figure, spreadsheet-safe."""
    dimensions = result["dimensions"]
    n = len(dimensions)
    # Differentially private tables carry a 95 % margin of error for every figure.
    noisy = result.get("mode") == "dp"
    yield [
        "row_type",
        *dimensions,
        "count",
        "zero_or_hidden",
        *(["margin_of_error"] if noisy else []),
    ]

    # A table of many cells repeats few codes: each is made spreadsheet-safe once.
    safe: dict[str, Any] = {}

    def shown(value: str) -> Any:
        if value not in safe:
            safe[value] = MISSING_MARKER if value == MISSING else neutralise(value)
        return safe[value]

    def line(row_type: str, values: list[str], count: int | None, margin=None) -> list[Any]:
        return [
            row_type,
            *map(shown, values),
            count,
            1 if count is None else 0,
            *([margin] if noisy else []),
        ]

    for row in result["rows"]:
        yield line("cell", row["values"], row["count"], row.get("margin"))
    for row in result.get("row_totals", []):
        yield line("row_total", [*row["values"], ALL_MARKER], row["count"], row.get("margin"))
    for row in result.get("column_totals", []):
        yield line(
            "column_total",
            [ALL_MARKER] * (n - 1) + row["values"],
            row["count"],
            row.get("margin"),
        )
    if not noisy or result["grand_total"] is not None:
        yield line(
            "grand_total", [ALL_MARKER] * n, result["grand_total"], result.get("grand_margin")
        )


def _csv_bytes(lines) -> bytes:
    buffer = io.StringIO()
    # The csv module already writes None as an empty field.
    csv.writer(buffer, lineterminator="\r\n").writerows(lines)
    # A byte-order mark so spreadsheet programs read the file as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _dictionary_lines(entries: list[dict[str, str]]) -> Iterator[list[str]]:
    columns = ["column", "code", "label", "description", "ctdc_name"]
    yield columns
    for entry in entries:
        yield [neutralise(entry[c]) for c in columns]


def _dp_report_lines(report: dict[str, Any]) -> list[str]:
    """The mechanism of a differentially private table, in words (no data values)."""
    delta = report.get("delta") or 0
    return [
        _("Protection: differentially private counts (mode dp)."),
        _("Mechanism: %(mechanism)s.") % {"mechanism": report.get("mechanism", "")},
        _("Privacy loss: ε = %(epsilon)s, δ = %(delta)s.")
        % {"epsilon": report.get("epsilon", ""), "delta": delta},
        _(
            "Sensitivity: one person can change at most %(n)d cells (multi-valued variables "
            "count at most %(bound)d values per person)."
        )
        % {"n": report.get("sensitivity", 0), "bound": report.get("multi_value_bound", 0)},
        _("Noise scale: %(scale)s.") % {"scale": report.get("scale", "")},
        _(
            "Margin of error: each cell is within ± %(margin)d of the true count with "
            "%(confidence)s probability; totals have their own margin in the table."
        )
        % {
            "margin": report.get("cell_margin_of_error", 0),
            "confidence": f"{round(100 * float(report.get('confidence', 0.95)))}%",
        },
        _("Countries merged into Other: %(countries)s.")
        % {"countries": ", ".join(report.get("suppressed_countries") or []) or _("none")},
        "",
        _("Cells in the table: %(n)d (every combination, zeros included).")
        % {"n": report.get("cells", 0)},
        str(report.get("post_processing", "")),
        str(report.get("totals", "")),
    ]


def _report_header(report: dict[str, Any]) -> list[str]:
    """What opens every disclosure report, whatever its mode."""
    return [
        _("Disclosure report"),
        "",
        _("Extract: %(id)s") % {"id": report.get("extract", "")},
        _("Research mart snapshot: %(id)s (built %(at)s)")
        % {"id": report.get("snapshot", ""), "at": report.get("snapshot_created_at", "")},
        _("Generated: %(at)s") % {"at": report.get("generated_at", "")},
        _("Variables: %(names)s") % {"names": ", ".join(report.get("dimensions", []))},
        _("Filters: %(filters)s")
        % {"filters": json.dumps(report.get("filters") or {}, sort_keys=True)},
        "",
    ]


def report_text(report: dict[str, Any]) -> str:
    if report.get("mode") == "dp":
        return "\n".join([*_report_header(report), *_dp_report_lines(report)]) + "\n"
    policy = report.get("policy", {})
    countries = ", ".join(policy.get("suppressed_countries") or []) or _("none")
    lines = [
        *_report_header(report),
        _("Threshold: counts of 1 to %(below)d people are suppressed (k = %(k)d).")
        % {"below": policy.get("threshold", 0) - 1, "k": policy.get("threshold", 0)},
        _("Rounding base: %(base)d (1 means no rounding).")
        % {"base": report.get("rounding_base", 1)},
        _("Countries merged into Other: %(countries)s.") % {"countries": countries},
        _(
            "Tables are built in one fixed order of their variables, so the same variables "
            "always publish the same figures; years are filtered in fixed 5-year bands."
        ),
        _(
            "No extract is refused for holding few people (that refusal would tell the group "
            "is small); small groups are suppressed like any other small count."
        ),
        "",
        _(
            "A filter is published as one more variable of the table: a filtered table is "
            "a slice of the one table of all those variables, protected as a whole, so "
            "tables with different filters never differ by a small group."
        ),
        _("Release: %(name)s") % {"name": report.get("release_name") or "-"},
        _(
            "Counts come from this release only. Figures you received from this release "
            "before are part of this table's protection (no combination of your extracts of "
            "the release narrows a hidden count below the threshold); figures you received "
            "from another release are not published again here, so releases cannot be "
            "subtracted. This holds for your extracts only: extracts of several researchers "
            "put together are not protected against each other."
        ),
        _("Variables of the published table: %(names)s")
        % {"names": ", ".join(report.get("table_dimensions", report.get("dimensions", [])))},
        "",
        _(
            "Every combination of the values in the table is listed. A count that is zero "
            "and a count that is withheld are shown the same way, as 0 or hidden, so a "
            "hidden count does not tell that people are there."
        ),
        _("Cells listed: %(n)d, of which 0 or hidden: %(hidden)d.")
        % {"n": report.get("cells", 0), "hidden": report.get("cells_hidden", 0)},
        _("Totals listed: %(n)d, of which 0 or hidden: %(hidden)d.")
        % {"n": report.get("totals_listed", 0), "hidden": report.get("totals_hidden", 0)},
    ]
    return "\n".join(lines) + "\n"


def _write_xlsx(
    path: Path, result: dict[str, Any], entries: list[dict[str, str]], report: dict[str, Any]
) -> None:
    # Write-only mode streams rows to the file instead of building the sheet in memory.
    workbook = Workbook(write_only=True)
    table = workbook.create_sheet(TABLE_NAME)
    for row in table_lines(result):
        table.append(row)
    dictionary = workbook.create_sheet("data_dictionary")
    for row in _dictionary_lines(entries):
        dictionary.append(row)
    notes = workbook.create_sheet("disclosure_report")
    for text in report_text(report).splitlines():
        notes.append([neutralise(text)])
    workbook.save(path)


def write_package(
    *, path: Path, file_format: str, result: dict[str, Any], report: dict[str, Any]
) -> None:
    """Write the whole package to ``path`` (the caller renames it into place when done)."""
    entries = data_dictionary(result)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as package:
        if file_format == "csv":
            package.writestr(f"{TABLE_NAME}.csv", _csv_bytes(table_lines(result)))
        elif file_format == "xlsx":
            # openpyxl writes a zip of its own; it goes to a temporary file first.
            with tempfile.TemporaryDirectory() as directory:
                workbook = Path(directory) / f"{TABLE_NAME}.xlsx"
                _write_xlsx(workbook, result, entries, report)
                package.write(workbook, workbook.name)
        elif file_format == "json":
            package.writestr(
                f"{TABLE_NAME}.json",
                json.dumps(result, ensure_ascii=False, indent=1, sort_keys=True),
            )
        else:
            raise ValueError(file_format)
        package.writestr("data_dictionary.csv", _csv_bytes(_dictionary_lines(entries)))
        package.writestr("data_dictionary.json", json.dumps(entries, ensure_ascii=False, indent=1))
        package.writestr("disclosure_report.json", json.dumps(report, ensure_ascii=False, indent=1))
        package.writestr("disclosure_report.txt", report_text(report).encode("utf-8"))
