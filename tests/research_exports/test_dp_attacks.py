"""Attacks 2 to 4 of issue 11 §1 against differentially private extracts.

Differential privacy composes: each request is an ε-DP release and spends its ε from the
researcher's yearly budget when it is requested, so an attack that combines requests pays for
each of them and stops when the budget is spent, a refusal spending nothing. What it buys are
noisy counts: subtracting two releases gives the difference of two independent draws, not the
exact difference the suppressed-mode attacks exploited. Attack 1 (complement filters) is in
``test_dp_extracts.py``.

OpenDP cannot be seeded, so "the difference is not the exact one" is asserted where chance
makes it fail with a probability each test states (at most 1e-40), and the noise is checked
against the declared scale statistically, within 6 standard errors (fails by chance with
probability about 2e-9).
"""

from __future__ import annotations

import itertools
import math
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from research_exports.extracts import YEAR_BAND_YEARS, canonical_dimensions, extract_request
from research_exports.models import Extract, MartRow, MartSnapshot, PrivacyLedgerEntry
from research_exports.privacy import build as dp_build
from research_exports.privacy import ledger
from tests import factories

pytestmark = pytest.mark.django_db

BUDGET = Decimal(4)
YEARS = {"year_from": 2020, "year_to": 2024}
THREE = ["yearOfRegistration", "gender", "citizenship"]
Z = 6
COLLECTION = reverse("research_api:extract_collection")
BUDGET_URL = reverse("research_api:privacy_budget")


@pytest.fixture(autouse=True)
def dp_settings(settings, tmp_path):
    settings.RESEARCH_EXTRACT_DIR = tmp_path
    settings.RESEARCH_SUPPRESSED_COUNTRIES = []
    settings.RESEARCH_EXTRACT_QUOTA = 30
    settings.RESEARCH_EXTRACT_QUOTA_DAYS = 30
    settings.HARBOUR_DP_EPSILON_PER_YEAR = float(BUDGET)
    cache.clear()
    return settings


@pytest.fixture
def small_mart():
    """Year x gender x citizenship with large cells and a scattering of small ones."""
    snapshot = factories.MartSnapshotFactory()
    sizes = itertools.cycle([40, 3, 25, 1, 14, 60, 2, 33, 7, 18, 12, 5])
    for year in (2020, 2021, 2022):
        for gender in ("Woman", "Man", "Trans/Transgender/NonConforming"):
            for citizenship in ("NPL", "IND", "BGD"):
                factories.add_mart_rows(
                    snapshot,
                    next(sizes),
                    year_of_registration=year,
                    gender=gender,
                    citizenship=citizenship,
                )
    return snapshot


def built_dp(researcher, captured, dimensions, *, epsilon, filters=YEARS) -> Extract:
    """A DP extract requested through the service and built by the worker's job."""
    with captured(execute=True):
        extract = extract_request(
            actor=researcher,
            dimensions=list(dimensions),
            filters=dict(filters),
            file_format="json",
            mode="dp",
            epsilon=epsilon,
        )
    extract.refresh_from_db()
    assert extract.status == Extract.Status.SUCCEEDED, extract.message
    return extract


def cells(extract: Extract) -> dict[tuple, int]:
    """The published cells, keyed in the canonical order of the variables."""
    asked = extract.result["dimensions"]
    index = [asked.index(name) for name in canonical_dimensions(list(asked))]
    return {tuple(row["values"][i] for i in index): row["count"] for row in extract.result["rows"]}


def spent_on(researcher) -> dict:
    entries = PrivacyLedgerEntry.objects.filter(
        researcher=researcher, kind=PrivacyLedgerEntry.Kind.SPEND
    )
    return {entry.extract_id: entry.epsilon for entry in entries}


def assert_refused_spending_nothing(researcher, epsilon: str, **request) -> None:
    """Over budget: refused with what is left, and nothing recorded or spent."""
    extracts, entries = Extract.objects.count(), PrivacyLedgerEntry.objects.count()
    left = ledger.budget_remaining(researcher=researcher)
    with pytest.raises(ledger.BudgetExceeded) as refused:
        extract_request(
            actor=researcher,
            dimensions=request.get("dimensions", ["gender"]),
            filters=request.get("filters", YEARS),
            file_format="json",
            mode="dp",
            epsilon=epsilon,
        )
    assert f"ε = {left.normalize()} is left" in refused.value.message
    assert (Extract.objects.count(), PrivacyLedgerEntry.objects.count()) == (extracts, entries)
    assert ledger.budget_remaining(researcher=researcher) == left


def zero_cells_shown_above_zero(extract: Extract, truth: dict[tuple, int]) -> tuple[int, int]:
    """(cells whose true count is 0, of them published above 0)."""
    zeros = [count for key, count in cells(extract).items() if not truth.get(key)]
    return len(zeros), sum(count > 0 for count in zeros)


def above_zero_rate_ok(shown: int, zeros: int, scale: float) -> bool:
    """Whether ``shown`` of ``zeros`` empty cells published above 0 fits the declared scale.

    An empty cell is published as max(0, X) with X discrete Laplace of scale s, so it is
    above 0 with probability P(X ≥ 1) = t / (1 + t), t = exp(-1/s): a smaller scale (less
    noise than declared) gives fewer, a larger more.
    """
    t = math.exp(-1 / scale)
    p = t / (1 + t)
    return abs(shown - zeros * p) <= Z * math.sqrt(zeros * p * (1 - p))


def true_cells(snapshot: MartSnapshot, dimensions: list[str], filters: dict) -> dict:
    """The exact counts of a single-valued table, in the canonical order of its variables."""
    sql, params = dp_build.cell_count_sql(
        dimensions=canonical_dimensions(dimensions),
        snapshot_id=snapshot.pk,
        filters=filters,
        policy={"suppressed_countries": []},
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {tuple(values): count for *values, count in cursor.fetchall()}


# ---------------------------------------------------------------------------- attack 2

ONE_VARIABLE_TABLES = (["gender"], ["citizenship"], ["ageBroad"], ["yearOfRegistration"])
PERSON = {
    "year_of_registration": 2022,
    "gender": "Trans/Transgender/NonConforming",
    "citizenship": "BGD",
    "age_broad": "48+",
}


def test_two_snapshots_one_case_apart_cost_budget_and_give_no_exact_difference(
    researcher, small_mart, django_capture_on_commit_callbacks
):
    """The one-variable tables before and after one case was added: 8 requests of ε = 0.5
    spend the year's ε = 4, the next request is refused, and the differences are the
    difference of two noisy releases, not the person's row.

    The four differences equal the person's row (1 in the person's cell, 0 elsewhere) only
    if every one of the citizenship table's ~247 empty cells comes out alike in both
    releases; at scale 2 each does with probability at most 0.42 (both clamped to 0, or both
    the same positive value), so all of them with probability below 1e-90.
    """
    first = [
        built_dp(researcher, django_capture_on_commit_callbacks, dims, epsilon="0.5")
        for dims in ONE_VARIABLE_TABLES
    ]
    # The nightly rebuild: a new current snapshot with the same people and one more.
    MartSnapshot.objects.filter(pk=small_mart.pk).update(is_current=False)
    later = factories.MartSnapshotFactory(release=False)
    for row in MartRow.objects.filter(snapshot=small_mart).values(*PERSON):
        factories.add_mart_rows(later, 1, **row)
    factories.add_mart_rows(later, 1, **PERSON)
    second = [
        built_dp(researcher, django_capture_on_commit_callbacks, dims, epsilon="0.5")
        for dims in ONE_VARIABLE_TABLES
    ]

    assert {e.snapshot_id for e in first} == {small_mart.pk}
    assert {e.snapshot_id for e in second} == {later.pk}
    # Each of the eight requests paid ε = 0.5; the budget is spent.
    assert spent_on(researcher) == {e.pk: Decimal("0.5") for e in first + second}
    assert ledger.budget_remaining(researcher=researcher) == 0
    assert_refused_spending_nothing(researcher, "0.01")

    exact_differences, noisy_differences = [], []
    zeros = shown = 0
    for dims, before, after in zip(ONE_VARIABLE_TABLES, first, second, strict=True):
        column = {"gender": "gender", "citizenship": "citizenship", "ageBroad": "age_broad"}
        person_key = (str(PERSON[column.get(dims[0], "year_of_registration")]),)
        published_before, published_after = cells(before), cells(after)
        assert set(published_before) == set(published_after)
        noisy_differences.append(
            {key: published_after[key] - published_before[key] for key in published_before}
        )
        exact_differences.append({key: int(key == person_key) for key in published_before})
        for extract in (before, after):
            truth = true_cells(extract.snapshot, dims, YEARS)
            table_zeros, table_shown = zero_cells_shown_above_zero(extract, truth)
            zeros, shown = zeros + table_zeros, shown + table_shown
            assert extract.report["scale"] == pytest.approx(1 / 0.5)
    assert noisy_differences != exact_differences
    # The empty cells are noised at the declared scale (here about 520 of them).
    assert zeros > 500
    assert above_zero_rate_ok(shown, zeros, scale=1 / 0.5)


# ---------------------------------------------------------------------------- attack 3


def test_dimension_orders_are_separate_releases_each_paid_for_with_the_same_cells(
    researcher, small_mart, django_capture_on_commit_callbacks
):
    """The six orders of year x gender x citizenship: nothing is cached across orders, so
    each is a new noisy release of the same cells and spends its ε (6 x 0.5 of 4); every
    total published is the sum of its own table's cells, whatever the order, so the
    order-dependent margins add nothing to what the cells tell; the budget then runs out.

    Two of the releases would be the same table only if all 5,000 cells drew alike; the
    4,973 empty cells alone do so with probability below 0.42^4973.
    """
    received = [
        built_dp(researcher, django_capture_on_commit_callbacks, order, epsilon="0.5")
        for order in itertools.permutations(THREE)
    ]

    assert spent_on(researcher) == {e.pk: Decimal("0.5") for e in received}
    assert ledger.budget_remaining(researcher=researcher) == Decimal(1)
    assert {tuple(e.result["dimensions"]) for e in received} == set(itertools.permutations(THREE))
    levels = [dp_build.levels_for(name, YEARS) for name in canonical_dimensions(THREE)]
    cube = set(itertools.product(*levels))
    tables = [cells(e) for e in received]
    assert all(set(table) == cube for table in tables)
    for extract in received:
        result = extract.result
        rows, columns = {}, {}
        for row in result["rows"]:
            key = tuple(row["values"])
            rows[key[:-1]] = rows.get(key[:-1], 0) + row["count"]
            columns[key[-1:]] = columns.get(key[-1:], 0) + row["count"]
        assert {tuple(t["values"]): t["count"] for t in result["row_totals"]} == rows
        assert {tuple(t["values"]): t["count"] for t in result["column_totals"]} == columns
        assert result["grand_total"] == sum(rows.values())
    # Independent draws, not one noisy table handed out again.
    assert len({tuple(sorted(table.items())) for table in tables}) == len(tables)
    truth = true_cells(small_mart, THREE, YEARS)
    zeros = shown = 0
    for extract in received:
        table_zeros, table_shown = zero_cells_shown_above_zero(extract, truth)
        zeros, shown = zeros + table_zeros, shown + table_shown
    assert above_zero_rate_ok(shown, zeros, scale=1 / 0.5)
    assert_refused_spending_nothing(researcher, "1.5", dimensions=list(reversed(THREE)))


# ---------------------------------------------------------------------------- attack 4


@pytest.fixture
def api(researcher):
    client = APIClient()
    client.force_authenticate(researcher)
    return client


def test_year_ranges_one_year_apart_the_second_is_refused_over_the_api_spending_nothing(
    api, researcher, small_mart
):
    body = {"dimensions": ["gender"], "file_format": "json", "mode": "dp", "epsilon": "1"}
    whole = api.post(COLLECTION, {**body, **YEARS}, format="json")
    assert whole.status_code == 201, whole.json()
    shifted = api.post(COLLECTION, {**body, "year_from": 2020, "year_to": 2023}, format="json")

    assert shifted.status_code == 400
    assert str(YEAR_BAND_YEARS) in shifted.json()["errors"]["year_to"][0]
    assert Extract.objects.count() == 1
    assert spent_on(researcher) == {Extract.objects.get().pk: Decimal(1)}
    assert api.get(BUDGET_URL).json()["remaining"] == "3.0000"


def test_year_ranges_one_band_apart_each_spend_and_give_no_exact_difference(
    researcher, small_mart, django_capture_on_commit_callbacks
):
    """2015-2024 minus 2020-2024 would give the 2015-2019 band exactly: 2 people in each
    of 6 gender x citizenship cells of 2017. Each range is a release of ε = 2, the third
    request is refused, and the difference of the noisy tables is not the band's counts:
    it would be only if the ~990 cells empty in both came out alike in both releases
    (probability at most 0.79 each at scale 0.5, so below 1e-100 for all).
    """
    for gender in ("Woman", "Man"):
        for citizenship in ("NPL", "IND", "BGD"):
            factories.add_mart_rows(
                small_mart, 2, year_of_registration=2017, gender=gender, citizenship=citizenship
            )
    dims = ["gender", "citizenship"]
    two_bands = {"year_from": 2015, "year_to": 2024}
    wide = built_dp(
        researcher, django_capture_on_commit_callbacks, dims, epsilon="2", filters=two_bands
    )
    narrow = built_dp(researcher, django_capture_on_commit_callbacks, dims, epsilon="2")

    assert spent_on(researcher) == {wide.pk: Decimal(2), narrow.pk: Decimal(2)}
    assert_refused_spending_nothing(researcher, "0.01", dimensions=dims)
    in_band = true_cells(small_mart, dims, {"year_from": 2015, "year_to": 2019})
    assert set(in_band.values()) == {2}
    published_wide, published_narrow = cells(wide), cells(narrow)
    difference = {key: published_wide[key] - published_narrow[key] for key in published_wide}
    assert difference != {key: in_band.get(key, 0) for key in published_wide}
    zeros = shown = 0
    for extract, filters in ((wide, two_bands), (narrow, YEARS)):
        table_zeros, table_shown = zero_cells_shown_above_zero(
            extract, true_cells(small_mart, dims, filters)
        )
        zeros, shown = zeros + table_zeros, shown + table_shown
    assert above_zero_rate_ok(shown, zeros, scale=1 / 2)
