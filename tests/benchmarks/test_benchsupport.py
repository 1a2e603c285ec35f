"""The helper that keeps the benchmarks' SQL generators in step with the models."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from benchsupport import complete

SQL = (
    "INSERT INTO research_exports_martrow (snapshot_id, year_of_registration, mission_country"
    "/*columns:mart*/) SELECT %(snapshot)s, 2020, 'NPL'/*values:mart*/ FROM generate_series(1, 2)"
)


def test_columns_the_generator_leaves_out_get_their_default_or_null():
    sql, params = complete(SQL, {"snapshot": 1})
    columns = sql.split("(", 1)[1].split(")", 1)[0]
    assert "is_retrafficked" in columns
    assert "economic_score" in columns
    assert params["fill__mart__is_retrafficked"] is False
    assert params["fill__mart__economic_score"] is None
    assert params["fill__mart__gender"] == ""
    assert params["snapshot"] == 1
    # As many values as columns, and the listed ones are not repeated.
    values = sql.split("SELECT", 1)[1].split("FROM", 1)[0]
    assert columns.count(",") == values.count(",")
    assert columns.count("mission_country") == 1


def test_a_values_marker_without_its_insert_stops_the_benchmark():
    with pytest.raises(SystemExit, match="columns:other"):
        complete("SELECT 1/*values:other*/", {})
