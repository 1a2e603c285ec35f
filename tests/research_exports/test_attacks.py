"""The differencing attacks of issue 11, run through the public services and API.

Each test plays a researcher who combines ordinary requests, then checks, by linear
programming over everything that researcher received, that no suppressed figure of 1 to k-1
people is pinned to a range narrower than k.
"""

from __future__ import annotations

import datetime
import itertools
import math
import threading

import numpy as np
import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient
from scipy.optimize import linprog

from accounts.models import User
from cases.models import AuditAction, AuditEvent
from config.errors import ApplicationError
from research_exports import disclosure, extracts, linking, mart
from research_exports.extracts import (
    YEAR_BAND_YEARS,
    aggregate,
    canonical_dimensions,
    extract_request,
)
from research_exports.models import Extract, MartRow, MartSnapshot
from tests import factories

pytestmark = pytest.mark.django_db

K = 11
THREE = ["citizenship", "yearOfRegistration", "gender"]


@pytest.fixture(autouse=True)
def research_settings(settings, tmp_path):
    settings.RESEARCH_EXTRACT_DIR = tmp_path
    settings.RESEARCH_SUPPRESSED_COUNTRIES = []
    settings.RESEARCH_THRESHOLD_K = K
    settings.RESEARCH_ROUNDING_BASE = 1
    settings.RESEARCH_EXTRACT_QUOTA = 30
    settings.RESEARCH_EXTRACT_QUOTA_DAYS = 30
    cache.clear()
    return settings


@pytest.fixture
def snapshot():
    return factories.MartSnapshotFactory()


@pytest.fixture
def small_mart(snapshot):
    """Year x gender x citizenship with large cells and a scattering of small ones."""
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


def request_built(researcher, captured, dimensions, filters=None) -> Extract:
    with captured(execute=True):
        extract = extract_request(
            actor=researcher, dimensions=list(dimensions), filters=filters or {}, file_format="json"
        )
    extract.refresh_from_db()
    assert extract.status == Extract.Status.SUCCEEDED, extract.message
    return extract


def published(extract: Extract) -> tuple:
    result = extract.result
    return (
        tuple(result["dimensions"]),
        tuple((tuple(r["values"]), r["count"]) for r in result["rows"]),
        tuple((tuple(r["values"]), r["count"]) for r in result["row_totals"]),
        tuple((tuple(r["values"]), r["count"]) for r in result["column_totals"]),
        result["grand_total"],
    )


def narrowest_suppressed_range(table: disclosure.Table, extracts: list[Extract]) -> float:
    """The narrowest range any suppressed cell keeps given every figure the researcher got.

    All the extracts must be of the table's variables in its order (the attacker's view
    reduces to the equations they publish); a figure published by any of them is known.
    """
    hidden_cells: set = set(table.cells)
    hidden_margins = {(m.kind, m.key) for m in table.margins()}
    for extract in extracts:
        result = extract.result
        assert tuple(result["dimensions"]) == table.dimensions
        for row in result["rows"]:
            if row["count"] is not None:
                hidden_cells.discard(tuple(row["values"]))
        for kind, rows in (("row", result["row_totals"]), ("column", result["column_totals"])):
            for row in rows:
                if row["count"] is not None:
                    hidden_margins.discard((kind, tuple(row["values"])))
        if result["grand_total"] is not None:
            hidden_margins.discard(("grand", disclosure.GRAND))
    hidden_cells = {c for c in hidden_cells if table.cells[c] > 0}
    if not hidden_cells:
        return math.inf
    ranges = disclosure._ranges(
        table.cells,
        hidden_cells,
        table.margins(),
        hidden_margins,
        [("cell", c) for c in hidden_cells],
    )
    return min(hi - lo for lo, hi in ranges.values())


def _in_filters(cell: dict[str, str], filters: dict) -> bool:
    """Whether a person of this fine cell is in a request's filtered population."""
    for key, name in (
        ("citizenship", "citizenship"),
        ("country_of_exploitation", "CountryOfExploitation"),
    ):
        if filters.get(key) and cell[name] not in filters[key]:
            return False
    first, last = filters.get("year_from"), filters.get("year_to")
    if first is not None or last is not None:
        if "yearOfRegistration" in cell:
            start = end = int(cell["yearOfRegistration"])
        else:
            start, end = (int(y) for y in cell["yearBand"].split("--"))
        if (first is not None and start < first) or (last is not None and end > last):
            return False
    return True


def attacker_narrowest_range(
    fine: disclosure.Table, received: list[Extract], *, fine_cells: bool = True
) -> float:
    """The narrowest range an attacker's linear program leaves any figure of 1 to k-1 people.

    The unknowns are the counts of ``fine``, a table of every variable the requests used as
    dimension or filter; the attacker even knows which of its cells are empty. Every figure
    a request published is an equation over the fine cells it adds up (those matching its
    values and its request's filters). Targets: every hidden figure of 1 to k-1 people, and
    every fine cell of 1 to k-1 people when the fine cells are figures some request was
    protected as (``fine_cells``; not when ``fine`` is only the union of tables' variables).
    """
    keys = sorted(c for c, v in fine.cells.items() if v > 0)
    named = [dict(zip(fine.dimensions, c, strict=True)) for c in keys]
    equations: list[tuple[list[int], int]] = []
    targets: list[list[int]] = [[i] for i, c in enumerate(keys) if fine_cells and fine.cells[c] < K]

    def members(fixed: dict[str, str], filters: dict) -> list[int]:
        return [
            i
            for i, cell in enumerate(named)
            if all(cell[d] == v for d, v in fixed.items()) and _in_filters(cell, filters)
        ]

    for extract in received:
        result, filters = extract.result, extract.filters
        dims = result["dimensions"]
        figures = [(dict(zip(dims, r["values"], strict=True)), r["count"]) for r in result["rows"]]
        figures += [
            (dict(zip(dims[:-1], r["values"], strict=True)), r["count"])
            for r in result["row_totals"]
        ]
        figures += [({dims[-1]: r["values"][0]}, r["count"]) for r in result["column_totals"]]
        if result.get("grand_total_published", True):
            figures.append(({}, result["grand_total"]))
        for fixed, count in figures:
            parts = members(fixed, filters)
            if count is not None:
                equations.append((parts, count))
            elif 0 < sum(fine.cells[keys[i]] for i in parts) < K:
                targets.append(parts)
    n = len(keys)
    a_eq = np.zeros((len(equations), n))
    for row, (parts, _count) in enumerate(equations):
        a_eq[row, parts] = 1
    b_eq = np.array([count for _parts, count in equations], dtype=float)
    narrowest = math.inf
    for parts in targets:
        c = np.zeros(n)
        c[parts] = 1
        bounds = [(1, None)] * n
        low = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        high = linprog(-c, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        assert low.status == 0
        width = math.inf if high.status == 3 else -high.fun - low.fun
        narrowest = min(narrowest, width)
    return narrowest


# ---------------------------------------------------------------------------- attack 1


def test_complement_filter_attack_all_citizenships_then_all_but_one(
    researcher, small_mart, django_capture_on_commit_callbacks
):
    everyone = request_built(
        researcher,
        django_capture_on_commit_callbacks,
        ["yearOfRegistration", "gender"],
        {"citizenship": ["BGD", "IND", "NPL"]},
    )
    all_but_one = request_built(
        researcher,
        django_capture_on_commit_callbacks,
        ["yearOfRegistration", "gender"],
        {"citizenship": ["BGD", "IND"]},
    )

    fine = aggregate(
        dimensions=["yearOfRegistration", "gender", "citizenship"],
        snapshot_id=small_mart.pk,
        filters={},
        policy=everyone.policy,
    )
    assert attacker_narrowest_range(fine, [everyone, all_but_one]) >= K
    # Both are slices of one protected table: a figure they share is published alike.
    shared = dict(published(everyone)[1])
    assert all(shared[key] == count for key, count in published(all_but_one)[1])
    assert any(count is not None for _key, count in published(all_but_one)[1])


# ---------------------------------------------------------------------------- attack 2

ONE_VARIABLE_TABLES = (["gender"], ["citizenship"], ["ageBroad"], ["yearOfRegistration"])


def test_two_releases_one_case_apart_reveal_nothing_exact_about_the_person(
    researcher, small_mart, django_capture_on_commit_callbacks
):
    factories.add_mart_rows(small_mart, 30, age_broad="30--38")
    first = [
        request_built(researcher, django_capture_on_commit_callbacks, dims)
        for dims in ONE_VARIABLE_TABLES
    ]
    # The next release: the same people and one more.
    later = factories.ResearchReleaseFactory()
    for row in MartRow.objects.filter(snapshot=small_mart).values(
        "year_of_registration", "gender", "citizenship", "age_broad"
    ):
        factories.add_mart_rows(later.snapshot, 1, **row)
    factories.add_mart_rows(
        later.snapshot,
        1,
        year_of_registration=2022,
        gender="Trans/Transgender/NonConforming",
        citizenship="BGD",
        age_broad="18--20",
    )
    second = []
    for dims in ONE_VARIABLE_TABLES:
        with django_capture_on_commit_callbacks(execute=True):
            extract = extract_request(
                actor=researcher,
                dimensions=dims,
                filters={},
                file_format="json",
                release=later.pk,
            )
        extract.refresh_from_db()
        assert extract.status == Extract.Status.SUCCEEDED, extract.message
        second.append(extract)

    for before, after in zip(first, second, strict=True):
        held = {i for i, count in extracts.result_figures(before.result) if count is not None}
        again = {i for i, count in extracts.result_figures(after.result) if count is not None}
        # No figure is published from both releases, so none can be subtracted...
        assert not held & again
        # ...and what the later release hides stays uncertain by at least k people.
        fine = aggregate(
            dimensions=after.result["dimensions"],
            snapshot_id=later.snapshot_id,
            filters={},
            policy=after.policy,
        )
        assert attacker_narrowest_range(fine, [after]) >= K


# ---------------------------------------------------------------------------- linked


def test_linked_protection_tables_of_one_release_together_pin_no_small_cell(
    researcher, small_mart, django_capture_on_commit_callbacks
):
    received = [
        request_built(researcher, django_capture_on_commit_callbacks, dims)
        for dims in (
            ["yearOfRegistration", "gender"],
            ["gender", "citizenship"],
            ["yearOfRegistration", "citizenship"],
            ["yearOfRegistration", "gender", "citizenship"],
        )
    ]

    fine = aggregate(
        dimensions=["yearOfRegistration", "gender", "citizenship"],
        snapshot_id=small_mart.pk,
        filters={},
        policy=received[0].policy,
    )
    assert attacker_narrowest_range(fine, received) >= K
    assert any(
        count is not None for e in received for _i, count in extracts.result_figures(e.result)
    )


# Year x gender and gender x citizenship published in full, then year x citizenship: the
# third table alone (and with the year and citizenship totals the first two share with it)
# keeps its four hidden cells 11 apart, but the gender split of the first two pins
# (2020, NPL) at 5 people exactly. Found by a search over small tables; empty cells are
# part of the pattern (2020 has no Nepali men, 2021 no Indian men and no Bangladeshi women).
UNION_PEOPLE = {
    ("2020", "Man", "BGD"): 60,
    ("2020", "Man", "IND"): 60,
    ("2020", "Woman", "BGD"): 15,
    ("2020", "Woman", "IND"): 90,
    ("2020", "Woman", "NPL"): 5,
    ("2021", "Man", "BGD"): 40,
    ("2021", "Man", "NPL"): 60,
    ("2021", "Woman", "IND"): 40,
    ("2021", "Woman", "NPL"): 15,
}
UNION_SEQUENCE = (
    ["yearOfRegistration", "gender"],
    ["gender", "citizenship"],
    ["yearOfRegistration", "citizenship"],
)


def add_union_people(snapshot, people=UNION_PEOPLE) -> None:
    for (year, gender, citizenship), count in people.items():
        factories.add_mart_rows(
            snapshot, count, year_of_registration=int(year), gender=gender, citizenship=citizenship
        )


def test_linked_protection_covers_earlier_tables_over_variables_the_new_one_lacks(
    researcher, snapshot, django_capture_on_commit_callbacks
):
    add_union_people(snapshot)

    received = [
        request_built(researcher, django_capture_on_commit_callbacks, dims)
        for dims in UNION_SEQUENCE
    ]

    fine = aggregate(
        dimensions=["yearOfRegistration", "gender", "citizenship"],
        snapshot_id=snapshot.pk,
        filters={},
        policy=received[0].policy,
    )
    assert attacker_narrowest_range(fine, received, fine_cells=False) >= K
    # The third table is protected, not withheld: its citizenship totals are still there.
    assert all(r["count"] is not None for r in received[2].result["column_totals"])


def request_union_refused(researcher, captured, release=None) -> Extract:
    """The first two tables of ``UNION_SEQUENCE``; the second must be refused."""
    built = []
    for dims in UNION_SEQUENCE[:2]:
        with captured(execute=True):
            extract = extract_request(
                actor=researcher, dimensions=dims, filters={}, file_format="json", release=release
            )
        extract.refresh_from_db()
        built.append(extract)
    assert built[0].status == Extract.Status.SUCCEEDED
    assert built[1].status == Extract.Status.FAILED
    assert built[1].result is None
    return built[1]


def test_a_union_too_large_to_protect_is_refused_by_its_variables_not_its_counts(
    researcher, snapshot, monkeypatch, django_capture_on_commit_callbacks
):
    # 2 years x 2 genders x 3 citizenships: 12 combinations, over a limit of 11.
    monkeypatch.setattr(linking, "MAX_UNION_CELLS", 11)
    add_union_people(snapshot)

    refused = request_union_refused(researcher, django_capture_on_commit_callbacks)

    assert refused.message == str(extracts.UNION_TOO_LARGE_MESSAGE) % {
        "variables": "Year of registration, Gender, Citizenship",
        "maximum": 11,
    }
    # Other counts over the same values: the same refusal, word for word.
    later = factories.ResearchReleaseFactory()
    add_union_people(later.snapshot, {key: 3 * n + 1 for key, n in UNION_PEOPLE.items()})
    other = request_union_refused(
        factories.ResearcherFactory(), django_capture_on_commit_callbacks, release=later.pk
    )
    assert other.message == refused.message


def test_a_union_within_the_limit_is_built(
    researcher, snapshot, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(linking, "MAX_UNION_CELLS", 12)
    add_union_people(snapshot)

    for dims in UNION_SEQUENCE:
        request_built(researcher, django_capture_on_commit_callbacks, dims)


# ---------------------------------------------------------------------------- attack 3


def test_dimension_order_attack_every_order_publishes_the_same_table(
    researcher, small_mart, django_capture_on_commit_callbacks
):
    extracts = [
        request_built(researcher, django_capture_on_commit_callbacks, order)
        for order in itertools.permutations(THREE)
    ]

    tables = {published(e) for e in extracts}
    assert len(extracts) == 6
    assert len(tables) == 1
    assert list(extracts[0].result["dimensions"]) == canonical_dimensions(THREE)
    # The request keeps the order it was asked in; only the published table is canonical.
    assert {tuple(e.dimensions) for e in extracts} == set(itertools.permutations(THREE))
    rows = extracts[0].result["rows"]
    assert any(r["count"] is None for r in rows)
    assert any(r["count"] is not None for r in rows)

    truth = aggregate(
        dimensions=THREE,
        snapshot_id=small_mart.pk,
        filters={},
        policy=extracts[0].policy,
    )
    assert narrowest_suppressed_range(truth, extracts) >= K


def test_canonical_order_is_the_data_dictionary_order():
    assert canonical_dimensions(THREE) == ["yearOfRegistration", "gender", "citizenship"]
    for order in itertools.permutations(THREE):
        assert canonical_dimensions(list(order)) == canonical_dimensions(THREE)


# ---------------------------------------------------------------------------- attack 4


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"year_from": 2020, "year_to": 2020}, "year_to"),
        ({"year_from": 2021}, "year_from"),
        ({"year_to": 2023}, "year_to"),
        ({"year_from": 2016, "year_to": 2019}, "year_from"),
    ],
)
def test_year_range_attack_ranges_off_the_fixed_bands_are_refused(
    researcher, small_mart, django_capture_on_commit_callbacks, filters, field
):
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(ValidationError) as caught,
    ):
        extract_request(
            actor=researcher, dimensions=["gender"], filters=filters, file_format="json"
        )

    assert field in caught.value.message_dict
    assert str(YEAR_BAND_YEARS) in caught.value.message_dict[field][0]
    assert (Extract.objects.count(), callbacks) == (0, [])


def test_year_range_attack_ranges_one_year_apart_cannot_both_be_asked(
    researcher, small_mart, django_capture_on_commit_callbacks
):
    # 2020-2024 is a band; 2020-2023 (one year fewer, the attack's second request) is not.
    whole = request_built(
        researcher,
        django_capture_on_commit_callbacks,
        ["gender"],
        {"year_from": 2020, "year_to": 2020 + YEAR_BAND_YEARS - 1},
    )
    assert whole.filters == {"year_from": 2020, "year_to": 2024}
    with pytest.raises(ValidationError):
        extract_request(
            actor=researcher,
            dimensions=["gender"],
            filters={"year_from": 2020, "year_to": 2023},
            file_format="json",
        )
    assert Extract.objects.count() == 1


def test_year_band_attack_two_band_ranges_cannot_be_subtracted(
    researcher, small_mart, django_capture_on_commit_callbacks
):
    # A few people in 2017 (band 2015-2019), many in 2020-2022 (band 2020-2024).
    for gender in ("Woman", "Man"):
        for citizenship in ("NPL", "IND", "BGD"):
            factories.add_mart_rows(
                small_mart, 2, year_of_registration=2017, gender=gender, citizenship=citizenship
            )
    two_bands = request_built(
        researcher,
        django_capture_on_commit_callbacks,
        ["gender", "citizenship"],
        {"year_from": 2015, "year_to": 2024},
    )
    one_band = request_built(
        researcher,
        django_capture_on_commit_callbacks,
        ["gender", "citizenship"],
        {"year_from": 2020, "year_to": 2024},
    )

    assert two_bands.result["dimensions"][0] == "yearBand"
    fine = aggregate(
        dimensions=["yearBand", "gender", "citizenship"],
        snapshot_id=small_mart.pk,
        filters={},
        policy=one_band.policy,
    )
    assert attacker_narrowest_range(fine, [two_bands, one_band]) >= K


# ---------------------------------------------------------------------------- attack 5

SEX, LABOUR, BEGGING = "SexualExploitation", "ForcedLabour", "ForcedBegging"


def pattern_attacker_narrowest_range(extract: Extract, people: dict) -> float:
    """The narrowest range an attacker leaves any hidden figure of 1 to k-1 people in a
    year x type-of-exploitation table, by a linear program over the people themselves.

    The unknowns are the numbers of people of each year with each set of types (the
    exact structure of a multi-valued variable, not a relaxation of it): a cell counts those
    whose set holds its type, a row total those of its year, a column total those whose set
    holds its type, the grand total everyone. ``people`` maps (year, set of types) to the
    true count, for the targets.
    """
    result = extract.result
    assert result["dimensions"] == ["yearOfRegistration", "typeOfExploitation"]
    years = sorted({r["values"][0] for r in result["rows"]})
    types = sorted({r["values"][1] for r in result["rows"]} - {""})
    sets = [
        frozenset(c) for size in range(len(types) + 1) for c in itertools.combinations(types, size)
    ]
    unknowns = [(y, s) for y in years for s in sets]

    def holds(unknown, year=None, kind=None) -> bool:
        y, s = unknown
        if year is not None and y != year:
            return False
        if kind is None:
            return True
        return (not s) if kind == "" else kind in s

    figures = [
        (holds_args, r["count"]) for r in result["rows"] for holds_args in [tuple(r["values"])]
    ]
    figures += [((r["values"][0], None), r["count"]) for r in result["row_totals"]]
    figures += [((None, r["values"][0]), r["count"]) for r in result["column_totals"]]
    figures.append(((None, None), result["grand_total"]))
    truth = {(str(y), frozenset(s)): n for (y, s), n in people.items()}

    def members(year, kind) -> list[int]:
        return [i for i, u in enumerate(unknowns) if holds(u, year, kind)]

    equations, targets = [], []
    for (year, kind), count in figures:
        parts = members(year, kind)
        if count is not None:
            equations.append((parts, count))
        elif 0 < sum(truth.get(unknowns[i], 0) for i in parts) < K:
            targets.append(parts)
    assert targets, "the table hides no small figure: the test data is wrong"
    a_eq = np.zeros((len(equations), len(unknowns)))
    for row, (parts, _count) in enumerate(equations):
        a_eq[row, parts] = 1
    b_eq = np.array([count for _parts, count in equations], dtype=float)
    narrowest = math.inf
    for parts in targets:
        c = np.zeros(len(unknowns))
        c[parts] = 1
        low = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        high = linprog(-c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        assert low.status == 0
        width = math.inf if high.status == 3 else -high.fun - low.fun
        narrowest = min(narrowest, width)
    return narrowest


@pytest.mark.parametrize(
    "people",
    [
        # One small year whose people have two types each: its row total was published as
        # the grand total less the other years.
        {
            (2020, (SEX,)): 30,
            (2020, (LABOUR,)): 25,
            (2021, (SEX,)): 40,
            (2021, (LABOUR,)): 20,
            (2022, (SEX, LABOUR)): 5,
        },
        # Small types inside large years, and a small year with one type.
        {
            (2020, (SEX,)): 45,
            (2020, (SEX, BEGGING)): 3,
            (2020, (LABOUR,)): 30,
            (2021, (LABOUR, BEGGING)): 4,
            (2021, (SEX,)): 28,
            (2021, (LABOUR,)): 19,
            (2022, (BEGGING,)): 6,
            (2022, (SEX,)): 2,
        },
    ],
)
def test_multi_valued_totals_attack_no_small_total_is_pinned(
    researcher, snapshot, django_capture_on_commit_callbacks, people
):
    for (year, types), count in people.items():
        factories.add_mart_rows(
            snapshot, count, year_of_registration=year, exploitation_types=list(types)
        )

    extract = request_built(
        researcher, django_capture_on_commit_callbacks, ["yearOfRegistration", "typeOfExploitation"]
    )

    assert pattern_attacker_narrowest_range(extract, people) >= K


def test_multi_valued_suppressed_totals_are_checked_by_the_linear_program():
    # Years 2020 and 2021 published, 2022 hidden: the grand total is their sum, so 2022 is
    # pinned unless another total goes too.
    table = disclosure.Table(
        dimensions=("yearOfRegistration", "typeOfExploitation"),
        cells={
            ("2020", SEX): 30,
            ("2020", LABOUR): 25,
            ("2021", SEX): 40,
            ("2021", LABOUR): 20,
            ("2022", SEX): 5,
            ("2022", LABOUR): 5,
        },
        row_totals={("2020",): 55, ("2021",): 60, ("2022",): 5},
        column_totals={(SEX,): 75, (LABOUR,): 50},
        grand_total=120,
        rows_additive=False,
        columns_additive=True,
        grand_additive=False,
    )
    hidden = {("row", ("2022",))}
    ranges = disclosure._ranges(
        table.cells, {("2022", SEX), ("2022", LABOUR)}, table.margins(), hidden, hidden
    )
    assert ranges[("row", ("2022",))] == (5.0, 5.0)

    result = disclosure.protect(table, disclosure.Policy(threshold=K))

    assert result.row_totals[("2022",)] is None
    published = [v for v in result.row_totals.values() if v is not None]
    assert result.grand_total is None or len(published) < 2


# ---------------------------------------------------------------------------- attack 6


def test_zeros_are_listed_like_hidden_counts(
    researcher, snapshot, django_capture_on_commit_callbacks
):
    # Nobody is (Man, BGD); three people are (Woman, BGD). Listing only the second would
    # tell that a hidden count holds at least one person.
    factories.add_mart_rows(snapshot, 40, gender="Man", citizenship="NPL")
    factories.add_mart_rows(snapshot, 50, gender="Woman", citizenship="NPL")
    factories.add_mart_rows(snapshot, 3, gender="Woman", citizenship="BGD")

    extract = request_built(
        researcher, django_capture_on_commit_callbacks, ["gender", "citizenship"]
    )

    counts = {tuple(r["values"]): r["count"] for r in extract.result["rows"]}
    assert set(counts) == {(g, c) for g in ("Man", "Woman") for c in ("BGD", "NPL")}
    assert counts[("Man", "BGD")] is None
    assert counts[("Woman", "BGD")] is None
    assert "cells_hidden" in extract.report
    assert not {"cells_suppressed_threshold", "cells_suppressed_complementary"} & set(
        extract.report
    )


def test_quota_refuses_with_an_audit_and_no_count(
    researcher, small_mart, settings, django_capture_on_commit_callbacks
):
    settings.RESEARCH_EXTRACT_QUOTA = 2
    settings.RESEARCH_EXTRACT_QUOTA_DAYS = 7
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=False):
            extract_request(actor=researcher, dimensions=["gender"], filters={}, file_format="csv")

    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(ApplicationError) as caught,
    ):
        extract_request(actor=researcher, dimensions=["gender"], filters={}, file_format="csv")

    assert caught.value.code == "quota"
    assert "2 extracts in the last 7 days" in caught.value.message
    assert (Extract.objects.count(), callbacks) == (2, [])
    refusal = AuditEvent.objects.get(action=AuditAction.EXTRACT_REFUSED)
    assert (refusal.actor_id, refusal.detail) == (researcher.pk, {"reason": "quota"})
    assert not AuditEvent.objects.filter(
        action=AuditAction.EXTRACT_REQUESTED, actor=researcher
    ).exclude(object_id__in=[str(pk) for pk in Extract.objects.values_list("pk", flat=True)])


def test_quota_counts_only_the_period(researcher, small_mart, settings):
    settings.RESEARCH_EXTRACT_QUOTA = 1
    old = factories.ExtractFactory(requested_by=researcher, snapshot=small_mart)
    Extract.objects.filter(pk=old.pk).update(
        created_at=old.created_at - datetime.timedelta(days=31)
    )

    extract = extract_request(
        actor=researcher, dimensions=["gender"], filters={}, file_format="csv"
    )

    assert extract.pk != old.pk
    with pytest.raises(ApplicationError):
        extract_request(actor=researcher, dimensions=["gender"], filters={}, file_format="csv")


def test_quota_is_per_researcher(researcher, small_mart, settings):
    settings.RESEARCH_EXTRACT_QUOTA = 1
    other = factories.ResearcherFactory()
    extract_request(actor=researcher, dimensions=["gender"], filters={}, file_format="csv")

    extract = extract_request(actor=other, dimensions=["gender"], filters={}, file_format="csv")

    assert extract.requested_by == other


def test_quota_refusal_over_the_api_is_a_400_with_the_reason(researcher, small_mart, settings):
    settings.RESEARCH_EXTRACT_QUOTA = 0
    client = APIClient()
    client.force_authenticate(researcher)

    response = client.post(
        reverse("research_api:extract_collection"),
        {"dimensions": ["gender"], "file_format": "json"},
        format="json",
    )

    assert response.status_code == 400
    assert "0 extracts" in str(response.json())
    assert Extract.objects.count() == 0
    assert AuditEvent.objects.filter(action=AuditAction.EXTRACT_REFUSED).count() == 1


def test_research_api_is_throttled_per_researcher(researcher, settings):
    settings.RESEARCH_API_THROTTLE_RATE = "3/minute"
    client = APIClient()
    client.force_authenticate(researcher)
    url = reverse("research_api:variables")

    statuses = [client.get(url).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    other = APIClient()
    other.force_authenticate(factories.ResearcherFactory())
    assert other.get(url).status_code == 200


# ---------------------------------------------------------------------------- single flight


def test_mart_rebuild_requests_join_the_pending_one(
    central_admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first, joined_first = mart.mart_rebuild_request(actor=central_admin)
        second, joined_second = mart.mart_rebuild_request(actor=central_admin)

    assert (joined_first, joined_second) == (False, True)
    assert second == first
    assert len(callbacks) == 1
    assert MartSnapshot.objects.filter(status=MartSnapshot.Status.BUILDING).count() == 1


def test_mart_rebuild_api_joins_then_starts_afresh_once_built(
    central_admin, django_capture_on_commit_callbacks
):
    client = APIClient()
    client.force_authenticate(central_admin)
    url = reverse("research_api:mart")

    with django_capture_on_commit_callbacks(execute=False) as queued:
        first = client.post(url)
        second = client.post(url)
    assert (first.status_code, second.status_code) == (202, 202)
    assert (first.json()["joined"], second.json()["joined"]) == (False, True)
    assert first.json()["snapshot"] == second.json()["snapshot"]
    assert len(queued) == 1

    queued[0]()  # the worker runs the one rebuild
    built = MartSnapshot.objects.get(pk=first.json()["snapshot"])
    assert (built.status, built.is_current) == (MartSnapshot.Status.READY, True)
    # A second delivery of the same task finds its snapshot built and does nothing.
    assert (
        mart.mart_rebuild(
            actor=central_admin, source=MartSnapshot.Source.ADMINISTRATOR, snapshot_id=built.pk
        )
        == built
    )
    assert MartSnapshot.objects.count() == 1

    with django_capture_on_commit_callbacks(execute=False) as again:
        third = client.post(url)
    assert third.json()["joined"] is False
    assert third.json()["snapshot"] != built.pk
    assert len(again) == 1


def test_a_pending_rebuild_is_not_pruned(central_admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        pending, _joined = mart.mart_rebuild_request(actor=central_admin)

    mart.mart_prune()

    assert MartSnapshot.objects.filter(pk=pending.pk).exists()


PARALLEL = 8


@pytest.mark.django_db(transaction=True)
def test_quota_holds_under_parallel_requests(settings, monkeypatch):
    """A burst of simultaneous requests cannot all pass the count before any is written."""
    settings.RESEARCH_EXTRACT_QUOTA = 3
    # Only the requests matter here, not building them.
    monkeypatch.setattr(extracts, "_enqueue", lambda extract_id: None)
    factories.MartSnapshotFactory()
    researcher_id = factories.ResearcherFactory().pk
    start = threading.Barrier(PARALLEL)
    outcomes: list[str] = []
    lock = threading.Lock()

    def work():
        try:
            actor = User.objects.get(pk=researcher_id)
            start.wait()
            try:
                extract_request(actor=actor, dimensions=["gender"], filters={}, file_format="csv")
                outcome = "accepted"
            except ApplicationError as exc:
                outcome = exc.code
        except BaseException as exc:
            outcome = repr(exc)
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=work) for _ in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["accepted"] * 3 + ["quota"] * (PARALLEL - 3)
    assert Extract.objects.filter(requested_by_id=researcher_id).count() == 3
    assert AuditEvent.objects.filter(action=AuditAction.EXTRACT_REFUSED).count() == PARALLEL - 3


def test_quota_refusal_on_the_request_page_is_shown_not_a_500(
    client_for, researcher, small_mart, settings
):
    settings.RESEARCH_EXTRACT_QUOTA = 0

    response = client_for(researcher).post(
        reverse("research:extract_new"), {"dimensions": ["gender"], "file_format": "csv"}
    )

    assert response.status_code == 200
    assert "0 extracts in the last 30 days" in response.content.decode()
    assert Extract.objects.count() == 0
    assert AuditEvent.objects.filter(action=AuditAction.EXTRACT_REFUSED).count() == 1
