"""The extract package: table formats, data dictionary, disclosure report, formula safety."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from openpyxl import load_workbook

from research_exports import writers
from research_exports.variables import VARIABLES

RESULT = {
    "dimensions": ["gender", "typeOfExploitation"],
    "rows": [
        {"values": ["Man", "ForcedLabour"], "count": 40},
        {"values": ["Woman", ""], "count": None},
        {"values": ["Woman", '=HYPERLINK("http://x")'], "count": 25},
    ],
    "row_totals": [{"values": ["Man"], "count": 40}, {"values": ["Woman"], "count": 30}],
    "column_totals": [{"values": ["ForcedLabour"], "count": 40}],
    "grand_total": 70,
}
REPORT = {
    "extract": "e1",
    "snapshot": 7,
    "policy": {"threshold": 11, "rounding_base": 5, "suppressed_countries": ["BGD"]},
    "cells": 3,
    "cells_hidden": 1,
    "totals_listed": 1,
    "totals_hidden": 0,
    "rounding_base": 5,
}


def package(tmp_path, file_format: str) -> zipfile.ZipFile:
    path = tmp_path / "package.zip"
    writers.write_package(path=path, file_format=file_format, result=RESULT, report=REPORT)
    return zipfile.ZipFile(path)


def table_rows(archive: zipfile.ZipFile) -> list[list[str]]:
    text = archive.read("extract.csv").decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_neutralise_prefixes_formula_starts(text):
    assert writers.neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["Woman", "NPL>IND", "", 12, None])
def test_neutralise_leaves_plain_values_alone(value):
    assert writers.neutralise(value) == value


def test_csv_table_marks_suppressed_and_missing_and_totals(tmp_path):
    rows = table_rows(package(tmp_path, "csv"))
    assert rows[0] == ["row_type", "gender", "typeOfExploitation", "count", "zero_or_hidden"]
    assert ["cell", "Woman", writers.MISSING_MARKER, "", "1"] in rows
    assert ["row_total", "Woman", writers.ALL_MARKER, "30", "0"] in rows
    assert ["column_total", writers.ALL_MARKER, "ForcedLabour", "40", "0"] in rows
    assert rows[-1] == ["grand_total", writers.ALL_MARKER, writers.ALL_MARKER, "70", "0"]


def test_csv_neutralises_formula_cells(tmp_path):
    rows = table_rows(package(tmp_path, "csv"))
    assert ["cell", "Woman", '\'=HYPERLINK("http://x")', "25", "0"] in rows


def test_xlsx_neutralises_formula_cells_and_keeps_counts_numeric(tmp_path):
    archive = package(tmp_path, "xlsx")
    workbook = load_workbook(io.BytesIO(archive.read("extract.xlsx")))
    assert workbook.sheetnames == ["extract", "data_dictionary", "disclosure_report"]
    values = list(workbook["extract"].iter_rows(values_only=True))
    assert ("cell", "Woman", '\'=HYPERLINK("http://x")', 25, 0) in values
    assert ("cell", "Woman", writers.MISSING_MARKER, None, 1) in values
    assert all(cell.data_type != "f" for row in workbook["extract"].iter_rows() for cell in row)


def test_json_table_keeps_suppressed_as_null(tmp_path):
    archive = package(tmp_path, "json")
    table = json.loads(archive.read("extract.json"))
    assert table == RESULT


@pytest.mark.parametrize("file_format", ["csv", "xlsx", "json"])
def test_every_package_has_dictionary_and_report(tmp_path, file_format):
    names = set(package(tmp_path, file_format).namelist())
    assert {
        f"extract.{file_format}",
        "data_dictionary.csv",
        "data_dictionary.json",
        "disclosure_report.json",
        "disclosure_report.txt",
    } == names


def test_dictionary_explains_every_column_and_code(tmp_path):
    entries = json.loads(package(tmp_path, "csv").read("data_dictionary.json"))
    columns = {e["column"] for e in entries if e["code"] == ""}
    assert columns == {"row_type", "gender", "typeOfExploitation", "count", "zero_or_hidden"}
    codes = {(e["column"], e["code"]) for e in entries if e["code"]}
    assert ("typeOfExploitation", "ForcedLabour") in codes
    assert ("typeOfExploitation", writers.MISSING_MARKER) in codes
    assert ("gender", writers.ALL_MARKER) in codes
    gender = next(e for e in entries if e["column"] == "gender" and e["code"] == "")
    assert gender["ctdc_name"] == VARIABLES["gender"].ctdc_name


def test_dictionary_csv_neutralises_formula_codes(tmp_path):
    text = package(tmp_path, "csv").read("data_dictionary.csv").decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    assert ',"=HYPERLINK' not in text


@pytest.mark.parametrize(
    ("variable", "code", "label"),
    [
        ("citizenship", "NPL", "Nepal"),
        ("citizenship", writers.OTHER_COUNTRY, None),
        ("route", "NPL>IND", "Nepal to India"),
        ("ageBroad", "48+", "48 years or more"),
        ("typeOfExploitation", "ForcedLabour", "Forced labour"),
    ],
)
def test_code_label_explains_codes(variable, code, label):
    explained = writers.code_label(variable, code)
    assert explained != code
    if label is not None:
        assert explained == label


def test_report_states_policy_and_suppression(tmp_path):
    archive = package(tmp_path, "csv")
    assert json.loads(archive.read("disclosure_report.json")) == REPORT
    text = archive.read("disclosure_report.txt").decode("utf-8")
    assert "k = 11" in text
    assert "BGD" in text


def test_dictionary_and_report_say_zero_and_hidden_are_published_alike(tmp_path):
    archive = package(tmp_path, "csv")
    entries = json.loads(archive.read("data_dictionary.json"))
    flag = next(e for e in entries if e["column"] == "zero_or_hidden")
    assert flag["label"] == "0 or hidden"
    assert "published alike" in flag["description"]
    assert "0 or hidden" in archive.read("disclosure_report.txt").decode("utf-8")
