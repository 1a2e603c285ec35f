"""Disclosure control: properties that must hold for every table."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from research_exports.disclosure import GRAND, Policy, Table, protect, round_count
from research_exports.extracts import linked_protection

K = 11


def make_table(counts: dict[tuple[str, ...], int], dims: int) -> Table:
    rows: dict = {}
    cols: dict = {}
    for key, v in counts.items():
        rows[key[:-1]] = rows.get(key[:-1], 0) + v
        cols[key[-1:]] = cols.get(key[-1:], 0) + v
    return Table(
        dimensions=tuple(f"d{i}" for i in range(dims)),
        cells=counts,
        row_totals=rows if dims > 1 else {},
        column_totals=cols if dims > 1 else {},
        grand_total=sum(counts.values()),
    )


@st.composite
def tables(draw):
    dims = draw(st.integers(min_value=1, max_value=3))
    sizes = [draw(st.integers(min_value=1, max_value=4)) for _ in range(dims)]
    keys = list(itertools.product(*[[f"v{i}" for i in range(n)] for n in sizes]))
    small_or_large = st.one_of(
        st.integers(min_value=0, max_value=K + 2), st.integers(min_value=0, max_value=200)
    )
    counts = {key: draw(small_or_large) for key in keys}
    return make_table(counts, dims)


def published_ranges(table: Table, result) -> dict:
    """Independent check: solve the published equations for every suppressed cell."""
    unknown = [key for key, v in result.cells.items() if v is None]
    index = {key: i for i, key in enumerate(unknown)}
    a_eq, b_eq = [], []

    def equation(members, total):
        row = np.zeros(len(unknown))
        known = 0
        for key in members:
            if result.cells[key] is None:
                row[index[key]] = 1
            else:
                known += result.cells[key]
        if row.any():
            a_eq.append(row)
            b_eq.append(total - known)

    keys = list(result.cells)
    if result.grand_total is not None:
        equation(keys, result.grand_total)
    for rk, total in result.row_totals.items():
        if total is not None:
            equation([k for k in keys if k[:-1] == rk], total)
    for ck, total in result.column_totals.items():
        if total is not None:
            equation([k for k in keys if k[-1:] == ck], total)
    ranges = {}
    for key in unknown:
        c = np.zeros(len(unknown))
        c[index[key]] = 1
        kwargs = {"A_eq": np.array(a_eq), "b_eq": np.array(b_eq)} if a_eq else {}
        bounds = [(1, None)] * len(unknown)
        low = linprog(c, bounds=bounds, **kwargs)
        high = linprog(-c, bounds=bounds, **kwargs)
        lo = low.fun if low.status == 0 else -math.inf
        hi = -high.fun if high.status == 0 else math.inf
        ranges[key] = (lo, hi)
    return ranges


@settings(max_examples=60, deadline=None)
@given(tables())
def test_every_published_count_is_zero_or_at_least_k(table):
    result = protect(table, Policy(threshold=K))
    published = [
        *result.cells.values(),
        *result.row_totals.values(),
        *result.column_totals.values(),
    ]
    published.append(result.grand_total)
    assert all(v is None or v == 0 or v >= K for v in published)


@settings(max_examples=60, deadline=None)
@given(tables())
def test_no_suppressed_cell_can_be_narrowed_below_k(table):
    result = protect(table, Policy(threshold=K))
    for key, (lo, hi) in published_ranges(table, result).items():
        assert hi - lo >= K, (key, lo, hi)


@settings(max_examples=30, deadline=None)
@given(tables())
def test_results_are_deterministic(table):
    assert protect(table, Policy(threshold=K)) == protect(table, Policy(threshold=K))


@settings(max_examples=60, deadline=None)
@given(tables(), st.sampled_from([1, 5, 10]))
def test_rounded_counts_are_zero_or_at_least_k(table, base):
    result = protect(table, Policy(threshold=K, rounding_base=base))
    for v in result.cells.values():
        assert v is None or v == 0 or (v >= K and v % base == 0)


def test_single_small_cell_gets_a_complement():
    table = make_table({("a",): 3, ("b",): 40, ("c",): 60}, 1)
    result = protect(table, Policy(threshold=K))
    assert result.cells[("a",)] is None
    assert result.cells[("b",)] is None
    assert result.cells[("c",)] == 60
    assert result.primary_cells == 1
    assert result.complementary_cells == 1


def test_small_grand_total_is_suppressed():
    table = make_table({("a",): 4, ("b",): 5}, 1)
    result = protect(table, Policy(threshold=K))
    assert result.grand_total is None
    assert result.cells == {("a",): None, ("b",): None}


@pytest.mark.parametrize(
    ("value", "base", "expected"),
    [(0, 5, 0), (11, 5, 15), (12, 5, 15), (13, 5, 15), (17, 5, 15), (18, 5, 20), (23, 1, 23)],
)
def test_round_count_never_publishes_below_k(value, base, expected):
    assert round_count(value, Policy(threshold=K, rounding_base=base)) == expected


def test_policy_refuses_meaningless_values():
    with pytest.raises(ValueError):
        Policy(threshold=1)
    with pytest.raises(ValueError):
        Policy(rounding_base=0)


@settings(max_examples=60, deadline=None)
@given(tables())
def test_shortcut_verdicts_agree_with_the_linear_program(table):
    from research_exports import disclosure

    cells = dict(table.cells)
    margins = table.margins()
    hidden = {key for key, v in cells.items() if 0 < v < K}
    hidden_margins = {(m.kind, m.key) for m in margins if 0 < m.value < K}
    disclosure._obvious_complements(cells, hidden, margins, hidden_margins, K)
    shortcuts = disclosure._Shortcuts(cells, hidden, margins, hidden_margins, K)
    targets = [("cell", key) for key in sorted(hidden)]
    ranges = disclosure._ranges(cells, hidden, margins, hidden_margins, targets)
    for target, (lo, hi) in ranges.items():
        verdict = shortcuts.verdict(target[1])
        assert verdict is None or verdict == (hi - lo >= K), (target, lo, hi, verdict)


def test_sparse_table_of_small_cells_stays_protected():
    counts = {
        (f"y{y}", g, f"c{c}"): (v if g != "rare" else v % 7)
        for y in range(6)
        for g in ("man", "woman", "rare")
        for c in range(8)
        for v in [(y * 37 + c * 11 + len(g) * 5) % 60 + (c < 2) * 150]
    }
    table = make_table(counts, 3)
    result = protect(table, Policy(threshold=K))
    for key, (lo, hi) in published_ranges(table, result).items():
        assert hi - lo >= K, (key, lo, hi)


def test_linked_protection_keeps_hides_and_guards_what_the_researcher_holds():
    table = Table(
        dimensions=("gender", "citizenship"),
        cells={("Man", "NPL"): 40, ("Man", "IND"): 30, ("Woman", "NPL"): 50},
        row_totals={("Man",): 70, ("Woman",): 50},
        column_totals={("NPL",): 90, ("IND",): 30},
        grand_total=120,
    )
    man, woman, npl = (
        frozenset({("gender", "Man")}),
        frozenset({("gender", "Woman")}),
        frozenset({("citizenship", "NPL")}),
    )

    linked = linked_protection(
        table,
        same_release=[(man, 70), (woman, None)],
        other_releases=[(npl, 88), (frozenset(), 118)],
    )

    assert linked["kept"] == {("row", ("Man",))}
    assert linked["hidden"] == {("row", ("Woman",)), ("column", ("NPL",)), ("grand", GRAND)}
    assert sorted(g.value for g in linked["guards"]) == [50, 90, 120]
    result = protect(table, Policy(threshold=11), **linked)
    assert result.row_totals[("Man",)] == 70
    assert result.column_totals[("NPL",)] is None
    assert result.grand_total is None


def sparse_ranges(result) -> dict:
    """Independent check for large tables: the same margin equations as ``published_ranges``
    (every published cell and total, suppressed cells at least 1, integers relaxed to reals),
    built as a sparse matrix and solved by SciPy for the min and the max of every cell."""
    from scipy.sparse import csr_matrix

    unknown = sorted(key for key, v in result.cells.items() if v is None)
    index = {key: i for i, key in enumerate(unknown)}
    groups: list[tuple[list, int]] = []
    keys = list(result.cells)
    if result.grand_total is not None:
        groups.append((keys, result.grand_total))
    by_row: dict = {}
    by_col: dict = {}
    for key in keys:
        by_row.setdefault(key[:-1], []).append(key)
        by_col.setdefault(key[-1:], []).append(key)
    groups += [(by_row[rk], t) for rk, t in result.row_totals.items() if t is not None]
    groups += [(by_col[ck], t) for ck, t in result.column_totals.items() if t is not None]
    data, rows, cols, b_eq = [], [], [], []
    for members, total in groups:
        hidden = [index[k] for k in members if result.cells[k] is None]
        if not hidden:
            continue
        for i in hidden:
            rows.append(len(b_eq))
            cols.append(i)
            data.append(1.0)
        b_eq.append(total - sum(result.cells[k] for k in members if result.cells[k] is not None))
    a_eq = csr_matrix((data, (rows, cols)), shape=(len(b_eq), len(unknown)))
    bounds = [(1, None)] * len(unknown)
    ranges = {}
    for key in unknown:
        c = np.zeros(len(unknown))
        c[index[key]] = 1
        low = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        high = linprog(-c, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        assert low.status in (0, 3) and high.status in (0, 3)
        lo = low.fun if low.status == 0 else -math.inf
        hi = -high.fun if high.status == 0 else math.inf
        ranges[key] = (lo, hi)
    return ranges


def test_every_suppressed_cell_of_a_table_of_1350_cells_keeps_a_range_of_k():
    """Issue 16 §3: on a sparse table of more than 1,000 cells (year × gender × citizenship
    shaped like CTDC: a few countries hold most people, one gender is rare), solve the margin
    equations for every suppressed cell and check its feasible interval is at least k wide."""
    rng = np.random.default_rng(16)
    counts: dict = {}
    for y in range(15):
        for g, share in (("man", 0.6), ("woman", 0.4), ("rare", 0.004)):
            for c in range(30):
                mean = 2500 * share * (1 + y / 10) / (1 + c) ** 1.6
                counts[(f"y{y:02d}", g, f"c{c:02d}")] = int(rng.poisson(mean))
    table = make_table(counts, 3)
    assert len(table.cells) >= 1000
    result = protect(table, Policy(threshold=K))
    ranges = sparse_ranges(result)
    # The table is one the rule has work on: many primary and complementary suppressions.
    assert result.primary_cells >= 100 and result.complementary_cells >= 10
    assert len(ranges) == result.suppressed_cells
    for key, (lo, hi) in ranges.items():
        assert hi - lo >= K, (key, lo, hi)


def _total_range(result, members: list) -> tuple[float, float]:
    """Feasible range of a sum of cells, given everything the result publishes."""
    unknown = [key for key, v in result.cells.items() if v is None]
    index = {key: i for i, key in enumerate(unknown)}
    a_eq, b_eq = [], []
    groups = [(list(result.cells), result.grand_total)]
    groups += [([k for k in result.cells if k[:-1] == r], t) for r, t in result.row_totals.items()]
    groups += [
        ([k for k in result.cells if k[-1:] == c], t) for c, t in result.column_totals.items()
    ]
    for keys, total in groups:
        if total is None:
            continue
        row = np.zeros(len(unknown))
        for key in keys:
            if result.cells[key] is None:
                row[index[key]] = 1
        a_eq.append(row)
        b_eq.append(total - sum(result.cells[k] or 0 for k in keys))
    objective = np.zeros(len(unknown))
    for key in members:
        if key in index:
            objective[index[key]] = 1
    known = sum(result.cells[k] or 0 for k in members)
    bounds = [(0, None)] * len(unknown)
    low = linprog(objective, A_eq=np.array(a_eq), b_eq=np.array(b_eq), bounds=bounds)
    high = linprog(-objective, A_eq=np.array(a_eq), b_eq=np.array(b_eq), bounds=bounds)
    return known + low.fun, known - high.fun


def test_a_category_of_two_people_does_not_hide_the_table():
    """Gender x age of the committed CTDC sample: eight trans people in two age bands.

    Their row total is the grand total minus the other rows, so protecting them by hiding
    cells alone walked across the table (30 of 40 cells and the grand total hidden); a
    second hidden row total protects them with a few cells."""
    ages = ["", "0--8", "9--17", "18--20", "21--23", "24--26", "27--29", "30--38", "39--47", "48+"]
    rows = {
        "": [388, 30, 55, 37, 39, 40, 30, 46, 40, 32],
        "Woman": [711, 20, 219, 142, 133, 109, 94, 160, 47, 32],
        "Man": [234, 30, 63, 16, 24, 28, 26, 93, 54, 20],
        "Trans": [7, 0, 0, 0, 0, 0, 0, 1, 0, 0],
    }
    counts = {
        (gender, age): value
        for gender, values in rows.items()
        for age, value in zip(ages, values, strict=True)
    }
    result = protect(make_table(counts, 2), Policy(threshold=K))

    published = [key for key, v in counts.items() if v > 0 and result.cells[key] is not None]
    assert len(published) >= 20, f"{len(published)} of 32 non-empty cells published"
    assert result.grand_total is not None
    assert result.row_totals[("Trans",)] is None
    for key, (lo, hi) in published_ranges(make_table(counts, 2), result).items():
        assert hi - lo >= K, (key, lo, hi)
    for gender in rows:
        if result.row_totals[(gender,)] is None:
            lo, hi = _total_range(result, [k for k in counts if k[0] == gender])
            assert hi - lo >= K, (gender, lo, hi)
