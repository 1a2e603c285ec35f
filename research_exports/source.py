"""The de-identified rows an aggregate reads: one mart snapshot, filtered, with suppressed
countries merged into Other before any grouping. Shared by suppressed and DP extracts."""

from __future__ import annotations

import re
from typing import Any

from .models import MartRow

# Variables whose values are countries: suppressed countries are merged before grouping.
COUNTRY_COLUMNS = (
    "mission_country",
    "citizenship",
    "country_of_exploitation",
    "route_origin",
    "route_destination",
)
OTHER_COUNTRY = "OTHER"
ALPHA3 = re.compile(r"^[A-Z]{3}$")


def mart_source(policy: dict[str, Any]) -> str:
    """The mart's columns, with suppressed countries merged into Other before any grouping."""
    table = MartRow._meta.db_table
    countries = policy.get("suppressed_countries") or []
    if not countries:
        return table
    # Validated as alpha-3 when the request was stored (extracts._policy), so safe as literals.
    listed = ", ".join(f"'{c}'" for c in countries if ALPHA3.match(c))
    merged = ", ".join(
        f"CASE WHEN {col} IN ({listed}) THEN '{OTHER_COUNTRY}' ELSE {col} END AS {col}"
        for col in COUNTRY_COLUMNS
    )
    kept = ", ".join(
        f.column
        for f in MartRow._meta.concrete_fields
        if f.column not in COUNTRY_COLUMNS and f.column != "id"
    )
    return f"(SELECT id, {kept}, {merged} FROM {table})"  # noqa: S608 - our names only


def mart_where(*, snapshot_id: int, filters: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    clauses = ["m.snapshot_id = %(snapshot)s"]
    params: dict[str, Any] = {"snapshot": snapshot_id}
    if filters.get("year_from") is not None:
        clauses.append("m.year_of_registration >= %(year_from)s")
        params["year_from"] = filters["year_from"]
    if filters.get("year_to") is not None:
        clauses.append("m.year_of_registration <= %(year_to)s")
        params["year_to"] = filters["year_to"]
    if filters.get("citizenship"):
        clauses.append("m.citizenship = ANY(%(citizenship)s)")
        params["citizenship"] = list(filters["citizenship"])
    if filters.get("country_of_exploitation"):
        clauses.append("m.country_of_exploitation = ANY(%(country_of_exploitation)s)")
        params["country_of_exploitation"] = list(filters["country_of_exploitation"])
    if filters.get("exploitation_type"):
        clauses.append("m.exploitation_types @> ARRAY[%(exploitation_type)s]::varchar[]")
        params["exploitation_type"] = filters["exploitation_type"]
    return " AND ".join(clauses), params
