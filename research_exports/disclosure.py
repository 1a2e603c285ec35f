"""Disclosure control for aggregate tables. Pure functions: no Django, no database.

A table counts people per combination of 1 to 4 dimension values, with row totals (over the
last dimension), column totals (over the others) and a grand total. Protection:

1. threshold: a cell or total with 1 to k-1 people is suppressed (primary suppression);
2. complementary suppression: every suppressed figure must stay uncertain given everything
   published. For each suppressed figure we compute, by linear programming, the smallest and
   largest value consistent with the published cells and totals (every suppressed cell is at
   least 1, since zeros are published). While that range is narrower than k, the smallest
   published cell sharing a total with it is suppressed, or, when none is left, the total;
3. rounding: published counts are rounded to a base (1 = none); a count that would round
   below k is rounded up to the first multiple of the base that is at least k, so every
   published count is 0 or at least k.

Totals over a multi-valued dimension (a person can have several exploitation types) are not
sums of their cells: such totals are "non-additive" and constrain the cells by inequalities
(every cell is at most the total; the cells together are at least the total).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linprog

Key = tuple[str, ...]

GRAND = ("__grand__",)


@dataclass(frozen=True)
class Policy:
    threshold: int = 11
    rounding_base: int = 1

    def __post_init__(self) -> None:
        if self.threshold < 2:
            raise ValueError("The threshold must be at least 2.")
        if self.rounding_base < 1:
            raise ValueError("The rounding base must be at least 1.")


@dataclass(frozen=True)
class Margin:
    """A published total: which cells it covers and whether it is their sum."""

    kind: str  # "row", "column" or "grand"
    key: Key
    value: int
    cells: tuple[Key, ...]
    additive: bool


@dataclass
class Table:
    """Counts of people. Missing combinations are zero."""

    dimensions: tuple[str, ...]
    cells: dict[Key, int]
    row_totals: dict[Key, int] = field(default_factory=dict)
    column_totals: dict[Key, int] = field(default_factory=dict)
    grand_total: int = 0
    # Whether totals are sums of their cells. False for totals over a multi-valued dimension.
    rows_additive: bool = True
    columns_additive: bool = True
    grand_additive: bool = True

    def margins(self) -> list[Margin]:
        by_row: dict[Key, list[Key]] = defaultdict(list)
        by_column: dict[Key, list[Key]] = defaultdict(list)
        for key in self.cells:
            by_row[key[:-1]].append(key)
            by_column[key[-1:]].append(key)
        margins: list[Margin] = []
        if len(self.dimensions) > 1:
            for key, value in self.row_totals.items():
                margins.append(
                    Margin("row", key, value, tuple(sorted(by_row[key])), self.rows_additive)
                )
            for key, value in self.column_totals.items():
                margins.append(
                    Margin(
                        "column", key, value, tuple(sorted(by_column[key])), self.columns_additive
                    )
                )
        margins.append(
            Margin("grand", GRAND, self.grand_total, tuple(sorted(self.cells)), self.grand_additive)
        )
        return margins


@dataclass
class Result:
    """The published table: ``None`` marks a suppressed figure."""

    dimensions: tuple[str, ...]
    cells: dict[Key, int | None]
    row_totals: dict[Key, int | None]
    column_totals: dict[Key, int | None]
    grand_total: int | None
    primary_cells: int
    complementary_cells: int
    primary_totals: int
    complementary_totals: int
    policy: Policy

    @property
    def suppressed_cells(self) -> int:
        return self.primary_cells + self.complementary_cells


def _ranges(
    cells: Mapping[Key, int],
    suppressed_cells: set[Key],
    margins: list[Margin],
    suppressed_margins: set[tuple[str, Key]],
    targets: Iterable[tuple[str, Key]],
) -> dict[tuple[str, Key], tuple[float, float]]:
    """Smallest and largest value of each target consistent with what is published.

    A target is ("cell", key) or (margin kind, margin key). Only suppressed cells are unknowns.
    """
    unknowns = sorted(suppressed_cells)
    index = {key: i for i, key in enumerate(unknowns)}
    n = len(unknowns)
    eq_rows: list[tuple[dict[int, float], float]] = []
    ub_rows: list[tuple[dict[int, float], float]] = []
    upper = [math.inf] * n
    for margin in margins:
        if (margin.kind, margin.key) in suppressed_margins:
            continue
        known = sum(cells[c] for c in margin.cells if c not in suppressed_cells)
        coeffs = {index[c]: 1.0 for c in margin.cells if c in suppressed_cells}
        if not coeffs:
            continue
        if margin.additive:
            eq_rows.append((coeffs, margin.value - known))
        else:
            # Cells together hold at least everyone in the total: -sum <= known - total.
            ub_rows.append(({i: -1.0 for i in coeffs}, known - margin.value))
            for i in coeffs:
                upper[i] = min(upper[i], margin.value)

    def matrix(rows):
        if not rows:
            return None, None
        m = np.zeros((len(rows), max(n, 1)))
        for r, (coeffs, _rhs) in enumerate(rows):
            for i, v in coeffs.items():
                m[r, i] = v
        return m, np.array([rhs for _c, rhs in rows], dtype=float)

    a_eq, b_eq = matrix(eq_rows)
    a_ub, b_ub = matrix(ub_rows)
    bounds = [(1, None if math.isinf(u) else u) for u in upper]
    margin_by_id = {(m.kind, m.key): m for m in margins}

    out: dict[tuple[str, Key], tuple[float, float]] = {}
    for target in targets:
        objective = np.zeros(max(n, 1))
        constant = 0.0
        if target[0] == "cell":
            objective[index[target[1]]] = 1.0
        else:
            margin = margin_by_id[target]
            if not margin.additive:
                # A distinct-people total is not a function of its cells: bound it by them.
                out[target] = (0.0, math.inf)
                continue
            for c in margin.cells:
                if c in suppressed_cells:
                    objective[index[c]] = 1.0
                else:
                    constant += cells[c]
            if not objective.any():
                out[target] = (constant, constant)
                continue
        low = linprog(objective, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds)
        high = linprog(-objective, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds)
        lo = low.fun + constant if low.status == 0 else -math.inf
        hi = -high.fun + constant if high.status == 0 else math.inf
        out[target] = (lo, hi)
    return out


def _components(
    suppressed_cells: set[Key], margins: list[Margin], suppressed_margins: set[tuple[str, Key]]
) -> list[tuple[set[Key], list[Margin]]]:
    """Groups of suppressed cells linked by published totals; each can be solved alone."""
    parent: dict[Key, Key] = {c: c for c in suppressed_cells}

    def find(c: Key) -> Key:
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    live = [m for m in margins if (m.kind, m.key) not in suppressed_margins]
    for margin in live:
        members = [c for c in margin.cells if c in suppressed_cells]
        for other in members[1:]:
            parent[find(other)] = find(members[0])
    groups: dict[Key, set[Key]] = defaultdict(set)
    for c in suppressed_cells:
        groups[find(c)].add(c)
    out = []
    for members in groups.values():
        related = [m for m in live if any(c in members for c in m.cells)]
        out.append((members, related))
    return out


def _unsafe(
    cells: Mapping[Key, int],
    suppressed_cells: set[Key],
    margins: list[Margin],
    suppressed_margins: set[tuple[str, Key]],
    k: int,
    safe: set[tuple[str, Key]],
) -> list[list[tuple[str, Key]]]:
    """Suppressed figures whose consistent range is narrower than k, grouped by component.

    Figures found safe are added to ``safe``: suppressing more only removes information, so
    a safe figure stays safe and is never solved again.
    """
    unsafe: list[list[tuple[str, Key]]] = []
    for members, related in _components(suppressed_cells, margins, suppressed_margins):
        targets = [("cell", c) for c in sorted(members) if ("cell", c) not in safe]
        if not targets:
            continue
        ranges = _ranges(cells, members, related, suppressed_margins, targets)
        found = [t for t, (lo, hi) in ranges.items() if hi - lo < k]
        safe.update(t for t in targets if t not in found)
        if found:
            unsafe.append(found)
    margin_ids = {(m.kind, m.key) for m in margins}
    margin_targets = [t for t in sorted(suppressed_margins) if t in margin_ids and t not in safe]
    if margin_targets:
        ranges = _ranges(cells, suppressed_cells, margins, suppressed_margins, margin_targets)
        found = [t for t, (lo, hi) in ranges.items() if hi - lo < k]
        safe.update(t for t in margin_targets if t not in found)
        unsafe.extend([t] for t in found)
    return unsafe


def _obvious_complements(
    cells: Mapping[Key, int],
    suppressed_cells: set[Key],
    margins: list[Margin],
    suppressed_margins: set[tuple[str, Key]],
    k: int,
) -> None:
    """Cheap first pass: a published sum with one suppressed cell, or with suppressed cells
    adding up to less than k, gives them away whatever else is published. Fix those first so
    the linear programs only have to settle the rare cases that need them."""
    changed = True
    while changed:
        changed = False
        for margin in margins:
            if not margin.additive or (margin.kind, margin.key) in suppressed_margins:
                continue
            hidden = [c for c in margin.cells if c in suppressed_cells]
            if not hidden:
                continue
            if len(hidden) > 1 and sum(cells[c] for c in hidden) >= k:
                continue
            candidates = sorted(
                (cells[c], c) for c in margin.cells if c not in suppressed_cells and cells[c] > 0
            )
            if candidates:
                suppressed_cells.add(candidates[0][1])
            else:
                suppressed_margins.add((margin.kind, margin.key))
            changed = True


def _protect_one(
    target: tuple[str, Key],
    cells: Mapping[Key, int],
    suppressed_cells: set[Key],
    margins: list[Margin],
    suppressed_margins: set[tuple[str, Key]],
) -> bool:
    """Suppress one more figure to widen ``target``'s range. False when nothing is left."""
    if target[0] == "cell":
        involved = [
            m for m in margins if target[1] in m.cells and (m.kind, m.key) not in suppressed_margins
        ]
    else:
        involved = [m for m in margins if (m.kind, m.key) == target]
        # A suppressed total is exposed through the totals that contain its cells.
        involved += [
            m
            for m in margins
            if (m.kind, m.key) not in suppressed_margins
            and m.kind != target[0]
            and set(m.cells) & set(involved[0].cells)
        ]
    # The complement comes from the narrowest total that can give one: the same row or
    # column before the grand total, so suppression stays near the cell it protects.
    for margin in sorted(involved, key=lambda m: (len(m.cells), m.kind, m.key)):
        candidates = sorted(
            (cells[c], c) for c in margin.cells if c not in suppressed_cells and cells[c] > 0
        )
        if candidates:
            suppressed_cells.add(candidates[0][1])
            return True
    for m in sorted(involved, key=lambda m: (m.value, m.kind, m.key)):
        if (m.kind, m.key) not in suppressed_margins:
            suppressed_margins.add((m.kind, m.key))
            return True
    return False


def _area(target: tuple[str, Key], margins: list[Margin]) -> set[Key]:
    """The cells that share a row or column total with ``target``."""
    if target[0] == "cell":
        return {
            c for m in margins if m.kind != "grand" and target[1] in m.cells for c in m.cells
        } | {target[1]}
    return {c for m in margins if (m.kind, m.key) == target for c in m.cells}


def round_count(value: int, policy: Policy) -> int:
    """Round to the base; never publish a count between 1 and k-1."""
    if value == 0 or policy.rounding_base == 1:
        return value
    base = policy.rounding_base
    rounded = (value + base // 2) // base * base
    if rounded < policy.threshold:
        rounded = math.ceil(policy.threshold / base) * base
    return rounded


def protect(table: Table, policy: Policy) -> Result:
    """Apply threshold, complementary suppression and rounding. Deterministic."""
    k = policy.threshold
    cells = dict(table.cells)
    margins = table.margins()
    suppressed_cells = {key for key, v in cells.items() if 0 < v < k}
    suppressed_margins = {(m.kind, m.key) for m in margins if 0 < m.value < k}
    primary_cells = len(suppressed_cells)
    primary_totals = len(suppressed_margins)

    _obvious_complements(cells, suppressed_cells, margins, suppressed_margins, k)
    safe: set[tuple[str, Key]] = set()
    while True:
        unsafe = _unsafe(cells, suppressed_cells, margins, suppressed_margins, k, safe)
        if not unsafe:
            break
        progressed = False
        # Several suppressions per round, but never two for figures sharing a total: the
        # first may already protect the second, and the next round will tell.
        touched: set[Key] = set()
        for group in unsafe:
            for target in group:
                area = _area(target, margins)
                if area & touched:
                    continue
                if _protect_one(target, cells, suppressed_cells, margins, suppressed_margins):
                    touched |= area
                    progressed = True
        if not progressed:
            # Everything related is already suppressed; suppress every total as a last resort.
            suppressed_margins.update((m.kind, m.key) for m in margins)
            break

    def publish(value: int, hidden: bool) -> int | None:
        return None if hidden else round_count(value, policy)

    return Result(
        dimensions=table.dimensions,
        cells={key: publish(v, key in suppressed_cells) for key, v in sorted(cells.items())},
        row_totals={
            key: publish(v, ("row", key) in suppressed_margins)
            for key, v in sorted(table.row_totals.items())
        }
        if len(table.dimensions) > 1
        else {},
        column_totals={
            key: publish(v, ("column", key) in suppressed_margins)
            for key, v in sorted(table.column_totals.items())
        }
        if len(table.dimensions) > 1
        else {},
        grand_total=publish(table.grand_total, ("grand", GRAND) in suppressed_margins),
        primary_cells=primary_cells,
        complementary_cells=len(suppressed_cells) - primary_cells,
        primary_totals=primary_totals,
        complementary_totals=len(suppressed_margins) - primary_totals,
        policy=policy,
    )
