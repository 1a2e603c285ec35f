"""Linked protection over the union of variables, through the pure functions: for any small
year x gender x citizenship population, the three two-way tables asked one after another
leave no hidden figure of 1 to k-1 people narrower than k given all three."""

from __future__ import annotations

import itertools
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from research_exports import disclosure, linking
from research_exports.extracts import (
    canonical_dimensions,
    linked_protection,
    publish_slice,
    result_figures,
)

K = 11
POLICY = disclosure.Policy(threshold=K)
UNION = ("yearOfRegistration", "gender", "citizenship")
VALUES = (("2020", "2021"), ("Man", "Woman"), ("BGD", "IND", "NPL"))
SEQUENCE = (
    ["yearOfRegistration", "gender"],
    ["gender", "citizenship"],
    ["yearOfRegistration", "citizenship"],
)


def table_of(people: dict, dims: list[str]) -> disclosure.Table:
    """The table of ``dims`` over the people of the union cube, as ``aggregate`` builds it."""
    at = [UNION.index(d) for d in dims]
    cells: dict = {}
    for key, n in people.items():
        if n:
            part = tuple(key[i] for i in at)
            cells[part] = cells.get(part, 0) + n
    rows: dict = {}
    columns: dict = {}
    for key, n in cells.items():
        rows[key[:-1]] = rows.get(key[:-1], 0) + n
        columns[key[-1:]] = columns.get(key[-1:], 0) + n
    return disclosure.Table(
        dimensions=tuple(dims),
        cells=cells,
        row_totals=rows if len(dims) > 1 else {},
        column_totals=columns if len(dims) > 1 else {},
        grand_total=sum(cells.values()),
    )


def received(people: dict) -> list[dict]:
    """The results of the sequence, protected as ``extract_build`` protects them."""
    results: list[dict] = []
    for dims in SEQUENCE:
        table = table_of(people, canonical_dimensions(dims))
        same = [figure for result in results for figure in result_figures(result)]
        within = linked_protection(table, same_release=same, other_releases=[])
        union = linking.union_dimensions(table.dimensions, same)
        if union:
            cube = table_of(people, union)
            constraints = linking.joint_constraints(table, cube, same, POLICY)
            protected = disclosure.protect_joint(table, POLICY, **constraints, **within)
        else:
            protected = disclosure.protect(table, POLICY, **within)
        results.append(publish_slice(protected, {}, table.cells))
    return results


def hidden_widths(people: dict, results: list[dict], known: list[dict]) -> dict:
    """The attacker: every figure ``known`` publishes is an equation over the non-empty cube
    cells (each at least 1); the width of the range of each figure of 1 to k-1 people that
    one of ``results`` hides, by the people it counts."""
    keys = sorted(key for key, n in people.items() if n)

    def parts(identity) -> list[int]:
        return [
            i for i, key in enumerate(keys) if all(key[UNION.index(d)] == v for d, v in identity)
        ]

    equations = [
        (parts(identity), count)
        for result in known
        for identity, count in result_figures(result)
        if count is not None
    ]
    targets = {
        identity
        for result in results
        for identity, count in result_figures(result)
        if count is None and 0 < sum(people[keys[i]] for i in parts(identity)) < K
    }
    a_eq = np.zeros((len(equations), len(keys)))
    for row, (members, _count) in enumerate(equations):
        a_eq[row, members] = 1
    b_eq = np.array([count for _members, count in equations], dtype=float)
    widths = {}
    for identity in targets:
        c = np.zeros(len(keys))
        c[parts(identity)] = 1
        bounds = [(1, None)] * len(keys)
        low = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        high = linprog(-c, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        assert low.status == 0
        widths[identity] = math.inf if high.status == 3 else -high.fun - low.fun
    return widths


COUNTS = st.sampled_from([0, 0, 1, 2, 3, 5, 8, 12, 15, 20, 30, 40, 60, 90])


@settings(max_examples=60, deadline=None)
@given(st.lists(COUNTS, min_size=12, max_size=12))
def test_no_table_narrows_a_small_hidden_figure_below_k_that_was_not_already(counts):
    people = dict(zip(itertools.product(*VALUES), counts, strict=True))

    results = received(people)

    # A figure the earlier tables already narrow (all 11 people of the release are women
    # of 2021, say, so any split of them is narrow) cannot be widened by hiding more of the
    # next table; the next table must add nothing to it, and narrow nothing else below k.
    for step in (2, 3):
        before = hidden_widths(people, results[:step], results[: step - 1])
        after = hidden_widths(people, results[:step], results[:step])
        for identity, width in after.items():
            assert width >= min(K, before[identity]) - 1e-6, sorted(identity)


def test_the_sequence_of_the_attack_is_protected_in_full():
    people = {key: 0 for key in itertools.product(*VALUES)}
    people.update(
        {
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
    )

    results = received(people)

    widths = hidden_widths(people, results, results)
    assert widths
    assert min(widths.values()) >= K - 1e-6


def test_the_union_is_the_new_tables_variables_and_the_earlier_ones_in_canonical_order():
    earlier = [(frozenset({("gender", "Man"), ("yearOfRegistration", "2020")}), 12)]

    assert linking.union_dimensions(["citizenship", "yearOfRegistration"], earlier) == list(UNION)
    within = [(frozenset({("yearOfRegistration", "2020")}), 12), (frozenset(), 40)]
    assert linking.union_dimensions(["yearOfRegistration", "citizenship"], within) == []


def test_the_union_size_counts_combinations_of_the_values_not_people():
    keys = [("2020", "Man"), ("2021", "Woman"), ("2022", "Woman")]

    assert linking.union_size(("yearOfRegistration", "gender"), keys) == 3 * 2


def test_lowest_published_is_the_smallest_count_that_rounds_to_it():
    assert linking.lowest_published(40, POLICY) == 40
    rounded = disclosure.Policy(threshold=K, rounding_base=10)
    assert linking.lowest_published(40, rounded) == 35
    # 11 to 14 would round to 10, below k, and are published as 20.
    assert linking.lowest_published(20, rounded) == 11
    for value in range(K, 100):
        published = disclosure.round_count(value, rounded)
        assert linking.lowest_published(published, rounded) <= value
