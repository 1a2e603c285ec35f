"""Building a differentially private extract: declared domains, SQL counts, noise.

Only the true counts per cell come out of PostgreSQL (never mart rows). The cube is the
declared domain of each variable, never the values seen in the data, so which cells exist
reveals nothing. Variables without a declared domain are refused in this mode.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from cases.vocabularies import ExploitationType, country_codes

from ..replica import snapshot_cursor
from ..source import OTHER_COUNTRY, mart_source, mart_where
from ..variables import AGE_BANDS, CTDC_GENDER, MISSING, MONTH_BANDS, VARIABLES
from . import dp

MAX_YEARS = 50
NO_DOMAIN_MESSAGE = _(
    "This variable cannot be used with differentially private counts yet: %(name)s. "
    "Choose another variable, or use suppressed counts."
)
YEARS_NEEDED_MESSAGE = _(
    "Differentially private counts by year need a first and a last year, at most "
    "%(max)d years apart."
)
MECHANISM_UNKNOWN_MESSAGE = _("Choose the Laplace or the Gaussian mechanism.")
DELTA_INVALID_MESSAGE = _("Enter δ between 0 and %(max)s: 0 for Laplace, above 0 for Gaussian.")
DELTA_FOR_LAPLACE_MESSAGE = _(
    "Laplace noise takes no δ: leave δ empty, or choose Gaussian noise to use one."
)
DELTA_NEEDED_MESSAGE = _(
    "Gaussian noise needs δ above 0 and at most %(max)s, for example 0.000001."
)
COUNTRY_VARIABLES = ("missionCountry", "citizenship", "CountryOfExploitation")


def _countries() -> list[str]:
    suppressed = set(settings.RESEARCH_SUPPRESSED_COUNTRIES)
    kept = sorted(c for c in country_codes() if c not in suppressed)
    return [*kept, *([OTHER_COUNTRY] if suppressed else []), MISSING]


def levels_for(name: str, filters: dict[str, Any]) -> list[str] | None:
    """The declared values of a variable in DP mode, or None when it has none."""
    if name == "yearOfRegistration":
        first, last = filters.get("year_from"), filters.get("year_to")
        if first is None or last is None or last - first >= MAX_YEARS:
            return None
        return [str(year) for year in range(first, last + 1)]
    if name == "gender":
        return [*sorted(set(CTDC_GENDER.values())), MISSING]
    if name == "ageBroad":
        return [label for label, _low, _high in AGE_BANDS] + [MISSING]
    if name == "traffickMonths":
        return [label for label, _low, _high in MONTH_BANDS] + [MISSING]
    if name in COUNTRY_VARIABLES:
        return _countries()
    if name == "typeOfExploitation":
        return [*sorted(ExploitationType.values), MISSING]
    return None


def clean_dp_request(
    *,
    dimensions: list[str],
    filters: dict[str, Any],
    mechanism: Any,
    delta: Any,
    errors: dict[str, list[str]],
) -> tuple[str, float]:
    """Field errors for a DP request (added to ``errors``); the mechanism and δ."""
    for name in dimensions:
        if name not in VARIABLES:
            continue
        if name == "yearOfRegistration" and levels_for(name, filters) is None:
            errors.setdefault("year_from", []).append(
                str(YEARS_NEEDED_MESSAGE % {"max": MAX_YEARS})
            )
        elif levels_for(name, filters) is None:
            errors.setdefault("dimensions", []).append(str(NO_DOMAIN_MESSAGE % {"name": name}))
    try:
        mechanism = dp.Mechanism(mechanism or dp.Mechanism.LAPLACE)
    except ValueError:
        errors["mechanism"] = [str(MECHANISM_UNKNOWN_MESSAGE)]
        return "", 0.0
    try:
        delta = float(str(delta).strip() or 0) if delta is not None else 0.0
    except (TypeError, ValueError):
        delta = math.nan
    if not math.isfinite(delta) or delta < 0 or delta > dp.DELTA_MAX:
        errors["delta"] = [str(DELTA_INVALID_MESSAGE % {"max": dp.DELTA_MAX})]
    elif mechanism is dp.Mechanism.LAPLACE and delta != 0:
        errors["delta"] = [str(DELTA_FOR_LAPLACE_MESSAGE)]
    elif mechanism is dp.Mechanism.GAUSSIAN and delta == 0:
        errors["delta"] = [str(DELTA_NEEDED_MESSAGE % {"max": dp.DELTA_MAX})]
    return str(mechanism), delta


def table_sensitivity(dimensions: list[str]) -> int:
    return dp.sensitivity(multi_valued=[VARIABLES[name].multi_valued for name in dimensions])


def noise_for(*, dimensions: list[str], epsilon: Decimal | float, mechanism: str, delta: float):
    return dp.calibrate(
        epsilon=float(epsilon),
        sensitivity=table_sensitivity(dimensions),
        mechanism=dp.Mechanism(mechanism),
        delta=delta,
    )


def cell_count_sql(
    *, dimensions: list[str], snapshot_id: int, filters: dict[str, Any], policy: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """True counts per cell. A multi-valued variable counts its first values only (bounded).

    The truncation keeps the first ``dp.MULTI_VALUE_BOUND`` distinct values in code order,
    the same rule as ``dp.truncate_values``, so the sensitivity stated is the true one.
    """

    joins, selected = [], []
    for i, name in enumerate(dimensions):
        variable = VARIABLES[name]
        if variable.multi_valued:
            bounded = (
                f"(SELECT array_agg(x ORDER BY x) FROM (SELECT DISTINCT x FROM "  # noqa: S608
                f"unnest(m.{variable.column}) AS x) AS s)[1:{dp.MULTI_VALUE_BOUND}]"
            )
            joins.append(f"LEFT JOIN LATERAL unnest({bounded}) AS u{i}(v) ON true")
            selected.append(f"COALESCE(u{i}.v, '{MISSING}') AS d{i}")
        else:
            selected.append(f"COALESCE({variable.column}, '{MISSING}') AS d{i}")
    where, params = mart_where(snapshot_id=snapshot_id, filters=filters)
    names = ", ".join(f"d{i}" for i in range(len(dimensions)))
    # A person is one mart row: without a multi-valued variable each row is one person in
    # one cell, and a plain COUNT(*) (one hash aggregate, no sort) counts them; unnested
    # values need the distinct count so a person counts once per cell.
    people = "COUNT(DISTINCT id)" if joins else "COUNT(*)"
    sql = (
        f"WITH base AS (SELECT m.id, {', '.join(selected)} "  # noqa: S608 - our names only
        f"FROM {mart_source(policy)} m {' '.join(joins)} WHERE {where}) "
        f"SELECT {names}, {people} FROM base GROUP BY {names}"
    )
    return sql, params


def build(
    *,
    dimensions: list[str],
    snapshot_id: int,
    filters: dict[str, Any],
    policy: dict[str, Any],
    epsilon: Decimal | float,
    mechanism: str,
    delta: float,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The noisy table (result JSON) and what the report states about the mechanism."""
    levels = [levels_for(name, filters) for name in dimensions]
    if any(level is None for level in levels):
        raise ValueError("A DP extract was stored with a variable that has no domain.")
    sql, params = cell_count_sql(
        dimensions=dimensions, snapshot_id=snapshot_id, filters=filters, policy=policy
    )
    # On the research database (a replica) once the snapshot is there, else the primary.
    with snapshot_cursor(snapshot_id=snapshot_id) as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    domain = [set(level) for level in levels]
    # A value outside the declared domain cannot be published; it is left out of every cell.
    counts = {
        tuple(values): count
        for *values, count in rows
        if all(v in allowed for v, allowed in zip(values, domain, strict=True))
    }
    noise = noise_for(dimensions=dimensions, epsilon=epsilon, mechanism=mechanism, delta=delta)
    variables = [VARIABLES[name] for name in dimensions]
    table = dp.release(
        dimensions=dimensions,
        levels=levels,
        counts=counts,
        noise=noise,
        rows_additive=not variables[-1].multi_valued,
        columns_additive=not any(v.multi_valued for v in variables[:-1]),
    )
    grand_additive = not any(v.multi_valued for v in variables)

    def rows_of(values: dict, margins: dict | None = None) -> list[dict[str, Any]]:
        return [
            {
                "values": list(key),
                "count": count,
                "margin": margins[key] if margins is not None else noise.cell_margin,
            }
            for key, count in values.items()
        ]

    result = {
        "dimensions": list(dimensions),
        "mode": "dp",
        "rows": rows_of(table.cells),
        "row_totals": rows_of(table.row_totals, table.row_margins),
        "column_totals": rows_of(table.column_totals, table.column_margins),
        "grand_total": table.grand_total if grand_additive else None,
        "grand_margin": table.grand_margin if grand_additive else None,
    }
    stated = {
        **dp.report(noise),
        "cells": len(table.cells),
        "totals": (
            "Totals are sums of the published (post-processed) cells; their margins of error "
            "assume independent cell noise. Totals over a multi-valued variable are not "
            "published in this mode."
        ),
        "post_processing": (
            "Noisy counts below zero are published as 0; no cell is hidden. Every cell is "
            "within its margin of error of the true count with 95% probability."
        ),
    }
    return result, stated
