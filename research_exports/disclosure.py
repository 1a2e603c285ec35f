"""Disclosure control for aggregate tables. Pure functions: no Django, no database.

A table counts people per combination of 1 to 4 dimension values, with row totals (over the
last dimension), column totals (over the others) and a grand total. Protection:

1. threshold: a cell or total with 1 to k-1 people is suppressed (primary suppression);
2. complementary suppression: every suppressed figure must stay uncertain given everything
   published. For each suppressed figure we compute, by linear programming, the smallest and
   largest value consistent with the published cells and totals (every suppressed cell is at
   least 1, since zeros are published). While that range is narrower than k, the smallest
   published cell sharing a total with it is suppressed, or, when none is left, the total.
   Many figures are settled without a program by a proof (a published sum that bounds the
   cell too tightly, or two consistent tables k apart: see ``_Shortcuts``); the programs that
   remain are solved by HiGHS warm-started from the previous solve;
3. rounding: published counts are rounded to a base (1 = none); a count that would round
   below k is rounded up to the first multiple of the base that is at least k, so every
   published count is 0 or at least k.

Totals over a multi-valued dimension (a person can have several exploitation types) are not
sums of their cells: such totals are "non-additive" and constrain the cells by inequalities
(every cell is at most the total; the cells together are at least the total). They are
protected like every other figure: a suppressed one is an unknown of the same linear program,
tied to its cells and, through the grand total, to the other totals (``_linked_program``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

import highspy
import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

Key = tuple[str, ...]

GRAND = ("__grand__",)
# Kinds of the researcher's earlier figures in ``protect_joint``.
EARLIER = "earlier"
EARLIER_HIDDEN = "earlier_hidden"

# How many moves _Shortcuts tries for one cell before leaving it to a linear program.
_MOVES_TRIED = 256


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

    A target is ("cell", key) or (margin kind, margin key). Suppressed cells are unknowns,
    and so are suppressed totals of a table with a multi-valued variable (there a total is
    not the sum of its cells, but it is still bounded by them and by the other totals).
    """
    program, index = _program(cells, suppressed_cells, margins, suppressed_margins)
    margin_by_id = {(m.kind, m.key): m for m in margins}

    out: dict[tuple[str, Key], tuple[float, float]] = {}
    for target in targets:
        if target[0] == "cell":
            objective = [index[target[1]]]
            constant = 0.0
        elif target in index:
            objective = [index[target]]
            constant = 0.0
        else:
            margin = margin_by_id[target]
            objective = [index[c] for c in margin.cells if c in suppressed_cells]
            constant = float(sum(cells[c] for c in margin.cells if c not in suppressed_cells))
            if not objective:
                out[target] = (constant, constant)
                continue
        lo, hi = program.lowest(objective), program.highest(objective)
        out[target] = (lo + constant, hi + constant)
    return out


Row = tuple[dict[int, float], float, float]


def _additive(margins: list[Margin]) -> bool:
    return all(m.additive for m in margins)


def _links(margins: list[Margin]) -> list[tuple[tuple[str, Key], list[tuple[str, Key]], bool]]:
    """How the grand total is made of the row totals and of the column totals.

    In a table with no multi-valued variable this follows from the cells. Otherwise the
    totals are counts of distinct people and constrain each other directly: the rows are
    a partition of the people when the variables they are keyed by are single-valued (the
    grand total is then their sum); otherwise the grand total is at least each of them and
    at most their sum. Likewise for the column totals and the last variable.
    """
    rows = [m for m in margins if m.kind == "row"]
    columns = [m for m in margins if m.kind == "column"]
    grand = ("grand", GRAND)
    links = []
    if rows:
        links.append((grand, [(m.kind, m.key) for m in rows], columns[0].additive))
    if columns:
        links.append((grand, [(m.kind, m.key) for m in columns], rows[0].additive))
    return links


def _program(
    cells: Mapping[Key, int],
    suppressed_cells: set[Key],
    margins: list[Margin],
    suppressed_margins: set[tuple[str, Key]],
    links: list | None = None,
) -> tuple[_Program, dict]:
    """The published equations over the unknowns, and each unknown's variable.

    The program is built once and only its objective changes between targets, so HiGHS
    restarts each solve from the previous optimal basis instead of from scratch. ``links``
    replace the relations between totals that ``_links`` reads off the margins.
    """
    if not _additive(margins):
        return _linked_program(cells, suppressed_cells, margins, suppressed_margins, links)
    unknowns = sorted(suppressed_cells)
    index = {key: i for i, key in enumerate(unknowns)}
    rows: list[Row] = []
    for margin in margins:
        if (margin.kind, margin.key) in suppressed_margins:
            continue
        known = sum(cells[c] for c in margin.cells if c not in suppressed_cells)
        coeffs = {index[c]: 1.0 for c in margin.cells if c in suppressed_cells}
        if coeffs:
            rows.append((coeffs, margin.value - known, margin.value - known))
    return _Program(len(unknowns), [math.inf] * len(unknowns), rows), index


def _linked_program(
    cells: Mapping[Key, int],
    suppressed_cells: set[Key],
    margins: list[Margin],
    suppressed_margins: set[tuple[str, Key]],
    links: list | None = None,
) -> tuple[_Program, dict]:
    """The program of a table with a multi-valued variable: suppressed totals are unknowns
    too, each total is tied to its cells (equal to their sum, or between the largest and
    the sum) and the grand total to the other totals (``_links``, or ``links``)."""
    margin_ids = [(m.kind, m.key) for m in margins if (m.kind, m.key) in suppressed_margins]
    unknowns: list = [*sorted(suppressed_cells), *sorted(margin_ids)]
    index: dict = {key: i for i, key in enumerate(unknowns)}
    value = {(m.kind, m.key): m.value for m in margins}
    upper = [math.inf] * len(unknowns)

    def term(figure) -> tuple[int | None, float]:
        if figure in index:
            return index[figure], 0.0
        return None, float(cells[figure] if figure in cells else value[figure])

    relations = [((m.kind, m.key), list(m.cells), m.additive) for m in margins]
    relations += _links(margins) if links is None else links
    rows: list[Row] = []
    for parent, children, additive in relations:
        p_var, p_known = term(parent)
        parts = [term(c) for c in children]
        known = sum(k for _v, k in parts)
        coeffs: dict[int, float] = defaultdict(float)
        for var, _k in parts:
            if var is not None:
                coeffs[var] += 1.0
        total = dict(coeffs)
        if p_var is not None:
            total[p_var] = total.get(p_var, 0.0) - 1.0
        if not total:
            continue
        if additive:
            rows.append((total, p_known - known, p_known - known))
            continue
        # Every person of the total is in at least one of its parts.
        rows.append((total, p_known - known, math.inf))
        # Each part holds no more people than the total.
        for var, k in parts:
            if var is None and p_var is None:
                continue
            if p_var is None:
                upper[var] = min(upper[var], p_known - k)
                continue
            row = {p_var: -1.0}
            if var is not None:
                row[var] = row.get(var, 0.0) + 1.0
            rows.append((row, -math.inf, p_known - k))
    return _Program(len(unknowns), upper, rows), index


class _Program:
    """The published equations over the unknowns (each at least 1), for HiGHS.

    A row is (coefficients, lowest, highest) of a weighted sum of unknowns.
    """

    def __init__(self, n: int, upper: list[float], rows: list[Row]) -> None:
        self.n = n
        self.upper = upper
        self.rows = rows
        self.highs = highspy.Highs()
        self.highs.setOptionValue("output_flag", False)
        # Presolve would throw away the previous basis that makes each re-solve cheap.
        self.highs.setOptionValue("presolve", "off")
        self.highs.setOptionValue("simplex_strategy", 4)
        inf = highspy.kHighsInf

        def bound(value: float) -> float:
            if math.isinf(value):
                return inf if value > 0 else -inf
            return value

        self.highs.addCols(
            n,
            np.zeros(n),
            np.ones(n),
            np.array([bound(u) for u in upper], dtype=float),
            0,
            np.zeros(0, dtype=np.int32),
            np.zeros(0, dtype=np.int32),
            np.zeros(0),
        )
        if rows:
            starts, indices, values = [], [], []
            for coeffs, _low, _high in rows:
                starts.append(len(indices))
                indices.extend(coeffs)
                values.extend(coeffs.values())
            self.highs.addRows(
                len(rows),
                np.array([bound(low) for _c, low, _h in rows], dtype=float),
                np.array([bound(high) for _c, _l, high in rows], dtype=float),
                len(indices),
                np.array(starts, dtype=np.int32),
                np.array(indices, dtype=np.int32),
                np.array(values, dtype=float),
            )
        self.objective: list[int] = []
        # Called with every optimal solution: a consistent table, whatever the objective.
        self.on_solution: Callable[[np.ndarray], None] | None = None

    def lowest(self, objective: list[int]) -> float:
        """Smallest sum of the ``objective`` variables."""
        self._aim(objective)
        return self._optimum(highspy.ObjSense.kMinimize, objective)

    def highest(self, objective: list[int]) -> float:
        """Largest sum of the ``objective`` variables."""
        self._aim(objective)
        return self._optimum(highspy.ObjSense.kMaximize, objective)

    def _aim(self, objective: list[int]) -> None:
        if objective == self.objective:
            return
        if self.objective:
            self.highs.changeColsCost(
                len(self.objective),
                np.array(self.objective, dtype=np.int32),
                np.zeros(len(self.objective)),
            )
        self.objective = objective
        self.highs.changeColsCost(
            len(objective), np.array(objective, dtype=np.int32), np.ones(len(objective))
        )

    def _optimum(self, sense: highspy.ObjSense, objective: list[int]) -> float:
        self.highs.changeObjectiveSense(sense)
        self.highs.run()
        status = self.highs.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            if self.on_solution is not None:
                self.on_solution(np.asarray(self.highs.getSolution().col_value))
            return self.highs.getInfo().objective_function_value
        if status == highspy.HighsModelStatus.kUnbounded:
            return -math.inf if sense == highspy.ObjSense.kMinimize else math.inf
        return self._fallback(sense, objective)

    def _fallback(self, sense: highspy.ObjSense, objective: list[int]) -> float:
        """Any other outcome is settled from scratch by SciPy, as before HiGHS was kept warm."""
        sign = 1.0 if sense == highspy.ObjSense.kMinimize else -1.0
        width = max(self.n, 1)
        c = np.zeros(width)
        c[objective] = sign
        eq, ub = [], []
        for coeffs, low, high in self.rows:
            vector = np.zeros(width)
            for i, v in coeffs.items():
                vector[i] = v
            if low == high:
                eq.append((vector, low))
                continue
            if not math.isinf(high):
                ub.append((vector, high))
            if not math.isinf(low):
                ub.append((-vector, -low))

        def stacked(rows):
            if not rows:
                return None, None
            return np.array([r for r, _b in rows]), np.array([b for _r, b in rows], dtype=float)

        a_eq, b_eq = stacked(eq)
        a_ub, b_ub = stacked(ub)
        bounds = [(1, None if math.isinf(u) else u) for u in self.upper]
        result = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds)
        if result.status == 0:
            return sign * result.fun
        return -sign * math.inf


def _components(
    suppressed_cells: set[Key], margins: list[Margin], suppressed_margins: set[tuple[str, Key]]
) -> list[tuple[set[Key], list[Margin]]]:
    """Groups of suppressed cells linked by published totals; each can be solved alone.

    In a table with a multi-valued variable the totals are linked to each other too, so the
    whole table is one group.
    """
    if not _additive(margins):
        return [(set(suppressed_cells), list(margins))] if suppressed_cells else []
    unknowns = sorted(suppressed_cells)
    position = {c: i for i, c in enumerate(unknowns)}
    live = [m for m in margins if (m.kind, m.key) not in suppressed_margins]
    # A graph of unknowns and published totals, an edge where a total holds an unknown: its
    # connected components are the groups (SciPy finds them in C; a large sparse table has
    # thousands of unknowns and a round of ``protect`` asks again).
    edges_from, edges_to = [], []
    for j, margin in enumerate(live):
        for c in margin.cells:
            i = position.get(c)
            if i is not None:
                edges_from.append(i)
                edges_to.append(len(unknowns) + j)
    size = len(unknowns) + len(live)
    graph = csr_matrix(
        (np.ones(len(edges_from)), (edges_from, edges_to)), shape=(size, size), dtype=np.int8
    )
    _count, labels = connected_components(graph, directed=False)
    groups: dict[int, set[Key]] = defaultdict(set)
    for c, label in zip(unknowns, labels[: len(unknowns)].tolist(), strict=True):
        groups[label].add(c)
    related: dict[int, list[Margin]] = defaultdict(list)
    touching = set(edges_to)
    for j, margin in enumerate(live):
        if len(unknowns) + j in touching:
            related[int(labels[len(unknowns) + j])].append(margin)
    return [(members, related[label]) for label, members in groups.items()]


class _Witnesses:
    """The smallest and largest value of each cell seen in a consistent table.

    The true table is one; every optimal solution of a program is another (extended by the
    true counts outside its component). Suppressing more only adds consistent tables, so a
    cell whose seen values are k apart is safe for good, with no program of its own.
    """

    def __init__(self, cells: Mapping[Key, int]) -> None:
        self.cells = cells
        # One slot per cell, so a solution is recorded by a few array operations.
        self.slot = {key: i for i, key in enumerate(cells)}
        self.low = np.array([float(v) for v in cells.values()])
        self.high = self.low.copy()

    def listen(self, program: _Program, index: Mapping) -> None:
        members = [(self.slot[key], i) for key, i in index.items() if key in self.slot]
        slots = np.array([s for s, _i in members], dtype=np.int64)
        positions = np.array([i for _s, i in members], dtype=np.int64)

        def record(solution: np.ndarray) -> None:
            values = solution[positions]
            self.low[slots] = np.minimum(self.low[slots], values)
            self.high[slots] = np.maximum(self.high[slots], values)

        program.on_solution = record

    def spread(self, cell: Key) -> tuple[float, float]:
        slot = self.slot[cell]
        return float(self.low[slot]), float(self.high[slot])

    def proves_safe(self, cell: Key, k: int) -> bool:
        low, high = self.spread(cell)
        return high - low >= k


class _Shortcuts:
    """Verdicts that need no linear program, each backed by a proof.

    Unsafe: a published sum bounds a cell by what is left of it once every other suppressed
    cell in it holds at least 1, and a cell's range can be no wider than that.
    Safe: two consistent tables whose values of the cell are k apart. Starting from the true
    counts, moving people around a rectangle of suppressed cells (+ - + -, two rows by two
    columns) or between two suppressed cells that every published total holds together
    leaves every total unchanged; as long as each cell stays at least 1 and under its caps,
    the result is consistent with what is published. Otherwise (None) the LP decides.
    """

    def __init__(
        self,
        cells: Mapping[Key, int],
        suppressed_cells: set[Key],
        margins: list[Margin],
        suppressed_margins: set[tuple[str, Key]],
        k: int,
        memberships: Mapping[Key, list[int]] | None = None,
    ) -> None:
        self.cells = cells
        self.k = k
        # Only plain tables: moves keep row and column sums, not a linked sum of any cells.
        self.additive = _additive(margins) and all(
            m.kind in ("row", "column", "grand") for m in margins
        )
        self.suppressed = suppressed_cells
        self.margins = margins
        self.live = {i for i, m in enumerate(margins) if (m.kind, m.key) not in suppressed_margins}
        self.memberships = memberships if memberships is not None else _margin_indexes(margins)
        # Everything below is worked out when first asked for: a round of ``protect`` builds
        # these shortcuts anew but asks about few cells, and a large table has many.
        self._sums: dict[int, tuple[float, int]] = {}
        self._bounds: dict[Key, tuple[float, float]] = {}
        self._groups: tuple[dict, dict, dict] | None = None
        self.floor: dict[Key, float] = {}

    def _sum(self, i: int) -> tuple[float, int]:
        """What total ``i`` leaves for its suppressed cells, and how many there are."""
        if i not in self._sums:
            margin, suppressed, cells = self.margins[i], self.suppressed, self.cells
            known = hidden = 0
            for c in margin.cells:
                if c in suppressed:
                    hidden += 1
                else:
                    known += cells[c]
            self._sums[i] = (margin.value - known, hidden)
        return self._sums[i]

    def _bound(self, cell: Key) -> tuple[float, float]:
        """``cell``'s (room, cap): the most a published sum leaves it once every other
        suppressed cell in it holds 1, and the smallest non-additive total holding it."""
        if cell not in self._bounds:
            room = cap = math.inf
            for i in self.memberships.get(cell, ()):
                if i not in self.live:
                    continue
                margin = self.margins[i]
                if not margin.additive:
                    cap = min(cap, margin.value)
                    continue
                left, hidden = self._sum(i)
                room = min(room, left - (hidden - 1))
            self._bounds[cell] = (room, cap)
        return self._bounds[cell]

    def room(self, cell: Key) -> float:
        return self._bound(cell)[0]

    def cap(self, cell: Key) -> float:
        return self._bound(cell)[1]

    def signature(self, cell: Key) -> tuple[int, ...]:
        """The published totals holding ``cell`` (which is suppressed, so hidden in each)."""
        return tuple(i for i in self.memberships.get(cell, ()) if i in self.live)

    def _grouped(self) -> tuple[dict, dict, dict]:
        """The suppressed cells by row, by column and by signature, each list in key order."""
        if self._groups is None:
            rows: dict[Key, list[Key]] = defaultdict(list)
            columns: dict[Key, list[Key]] = defaultdict(list)
            twins: dict[tuple[int, ...], list[Key]] = defaultdict(list)
            for c in sorted(self.suppressed):
                rows[c[:-1]].append(c)
                columns[c[-1:]].append(c)
                twins[self.signature(c)].append(c)
            self._groups = (rows, columns, twins)
        return self._groups

    def verdict(self, cell: Key) -> bool | None:
        if min(self.room(cell), self.cap(cell)) - 1 < self.k:
            return False
        if not self.additive:
            # Moving people between cells can change a count of distinct people that is
            # tied to other totals, so the moves prove nothing here; the true table does.
            self.floor[cell] = self.cells[cell]
            return None
        down = self._shift(cell, -1, self.k)
        self.floor[cell] = self.cells[cell] - down
        if self._shift(cell, 1, self.k - down) + down >= self.k:
            return True
        return None

    def settle(self, cell: Key, program: _Program, variable: int, witnesses: _Witnesses) -> bool:
        """Whether ``cell`` is safe, by as few solves as it takes.

        The smallest value is at least 1 and at most ``floor`` or any value seen in a
        consistent table, so the largest value alone often decides.
        """
        hi = program.highest([variable])
        if hi - 1 < self.k:
            return False
        if hi - min(self.floor[cell], witnesses.spread(cell)[0]) >= self.k:
            return True
        return hi - program.lowest([variable]) >= self.k

    def _shift(self, cell: Key, sign: int, wanted: float) -> float:
        """How far ``cell`` can move in direction ``sign`` (up to ``wanted``) by moves that
        keep every total: with a twin (moved the other way), or around a rectangle
        ``cell``, ``a`` (same row), ``b`` (same column), ``d`` (the fourth corner), where
        ``cell`` and ``d`` move one way and ``a`` and ``b`` the other.

        Any set of moves is a proof, so the search gives up after ``_MOVES_TRIED`` of them
        (in a sparse table a cell can have tens of thousands of rectangles, and a program
        settles it in a millisecond), and skips a corner ``a`` once it has no room left.
        """
        used_up: dict[Key, float] = defaultdict(float)
        used_down: dict[Key, float] = defaultdict(float)

        def room(c: Key, up: bool) -> float:
            if up:
                return self.cap(c) - self.cells[c] - used_up[c]
            return self.cells[c] - 1 - used_down[c]

        def move(step: float, ups: tuple[Key, ...], downs: tuple[Key, ...]) -> None:
            for c in ups:
                used_up[c] += step
            for c in downs:
                used_down[c] += step

        rows, columns, twins = self._grouped()
        up = sign > 0
        moved = 0.0
        tried = 0
        for other in twins[self.signature(cell)]:
            if other == cell:
                continue
            tried += 1
            step = min(room(cell, up), room(other, not up))
            if step > 0:
                move(step, *(((cell,), (other,)) if up else ((other,), (cell,))))
                moved += step
            if moved >= wanted or room(cell, up) <= 0 or tried >= _MOVES_TRIED:
                return moved
        if len(cell) < 2:
            return moved
        for a in rows[cell[:-1]]:
            if a == cell:
                continue
            for b in columns[cell[-1:]]:
                d = b[:-1] + a[-1:]
                if b == cell or d not in self.suppressed:
                    continue
                tried += 1
                step = min(room(cell, up), room(d, up), room(a, not up), room(b, not up))
                if step > 0:
                    move(step, *(((cell, d), (a, b)) if up else ((a, b), (cell, d))))
                    moved += step
                if moved >= wanted or room(cell, up) <= 0 or tried >= _MOVES_TRIED:
                    return moved
                if room(a, not up) <= 0:
                    break
        return moved


def _checks(
    cells: Mapping[Key, int],
    suppressed_cells: set[Key],
    margins: list[Margin],
    suppressed_margins: set[tuple[str, Key]],
    k: int,
    safe: set[tuple[str, Key]],
    witnesses: _Witnesses,
    indexes: Mapping[Key, list[int]] | None = None,
) -> Iterator[tuple[tuple[str, Key], Callable[[], bool]]]:
    """Each suppressed figure not known to be safe, with a check of whether it is unsafe
    (its consistent range narrower than k): cells component by component, then totals.

    A check costs linear programs only when it is called, so figures the caller passes over
    cost nothing. The sets must not change while this runs: pass copies. Figures found safe
    are added to ``safe``: suppressing more only removes information, so a safe figure stays
    safe and is never solved again. Every solve also feeds ``witnesses``, which settle most
    cells without a program of their own.
    """
    shortcuts: list[_Shortcuts] = []

    def cell_check(target: tuple[str, Key], solver: Callable[[], tuple[_Program, dict]]):
        def unsafe() -> bool:
            if witnesses.proves_safe(target[1], k):
                safe.add(target)
                return False
            if not shortcuts:
                shortcuts.append(
                    _Shortcuts(cells, suppressed_cells, margins, suppressed_margins, k, indexes)
                )
            verdict = shortcuts[0].verdict(target[1])
            if verdict is None:
                program, index = solver()
                verdict = shortcuts[0].settle(target[1], program, index[target[1]], witnesses)
            if verdict:
                safe.add(target)
            return not verdict

        return unsafe

    def lazy(*args: object) -> Callable[[], tuple[_Program, dict]]:
        built: list[tuple[_Program, dict]] = []

        def solver() -> tuple[_Program, dict]:
            if not built:
                program, index = _program(*args)
                witnesses.listen(program, index)
                built.append((program, index))
            return built[0]

        return solver

    solver_of: dict[Key, Callable[[], tuple[_Program, dict]]] = {}
    for members, related in _components(suppressed_cells, margins, suppressed_margins):
        solver = lazy(cells, members, related, suppressed_margins)
        for c in sorted(members):
            solver_of[c] = solver
            if ("cell", c) not in safe:
                yield ("cell", c), cell_check(("cell", c), solver)

    margin_by_id = {(m.kind, m.key): m for m in margins}

    def margin_range(target: tuple[str, Key]) -> tuple[float, float]:
        """The range of a suppressed total from the programs of the cell checks, so its
        solves start warm. In a plain table the total is the sum of its cells: its hidden
        cells fall into components that share no equation, so the extremes of the sum are
        the sums of each component's extremes."""
        if not _additive(margins):
            if not solver_of:
                return _ranges(cells, suppressed_cells, margins, suppressed_margins, [target])[
                    target
                ]
            program, index = next(iter(solver_of.values()))()
            return program.lowest([index[target]]), program.highest([index[target]])
        margin = margin_by_id[target]
        lo = hi = float(sum(cells[c] for c in margin.cells if c not in suppressed_cells))
        parts: dict[int, tuple[Callable[[], tuple[_Program, dict]], list[Key]]] = {}
        for c in margin.cells:
            if c in suppressed_cells:
                solver = solver_of[c]
                parts.setdefault(id(solver), (solver, []))[1].append(c)
        for solver, members in parts.values():
            program, index = solver()
            objective = [index[c] for c in members]
            lo += program.lowest(objective)
            hi += program.highest(objective)
        return lo, hi

    def margin_check(target: tuple[str, Key]) -> Callable[[], bool]:
        def unsafe() -> bool:
            lo, hi = margin_range(target)
            if hi - lo >= k:
                safe.add(target)
            return hi - lo < k

        return unsafe

    margin_ids = {(m.kind, m.key) for m in margins}
    for target in sorted(suppressed_margins):
        if target in margin_ids and target not in safe:
            yield target, margin_check(target)


def _obvious_complements(
    cells: Mapping[Key, int],
    suppressed_cells: set[Key],
    margins: list[Margin],
    suppressed_margins: set[tuple[str, Key]],
    k: int,
    fixed: frozenset = frozenset(),
) -> None:
    """Cheap first pass: a published sum with one suppressed cell, or with suppressed cells
    adding up to less than k, gives them away whatever else is published. Fix those first so
    the linear programs only have to settle the rare cases that need them."""
    memberships = _memberships(margins)
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
                (_closes(c, margin, memberships, suppressed_cells), cells[c], c)
                for c in margin.cells
                if c not in suppressed_cells and cells[c] > 0 and ("cell", c) not in fixed
            )
            if candidates:
                suppressed_cells.add(candidates[0][-1])
            elif (margin.kind, margin.key) not in fixed:
                suppressed_margins.add((margin.kind, margin.key))
            else:
                continue
            changed = True


def _closes(
    cell: Key, margin: Margin, memberships: Mapping[Key, list[Margin]], suppressed: set[Key]
) -> int:
    """0 when hiding ``cell`` also gives a second hidden cell to one of its other rows or
    columns (it closes a cycle of hidden cells), 1 when it would leave it alone there.

    Choosing the smallest cell alone walked a chain of complements across the table: each
    complement was the only hidden cell of its crossing line and needed a complement of its
    own, until (in a gender table with two trans people) 30 of 40 cells were hidden.
    """
    for other in memberships.get(cell, ()):
        if other is margin or other.kind == "grand" or other.kind == margin.kind:
            continue
        if any(c in suppressed for c in other.cells):
            return 0
    return 1


def _sibling_to_hide(
    kind: str,
    key: Key,
    margins: list[Margin],
    suppressed_cells: set[Key],
    suppressed_margins: set[tuple[str, Key]],
    fixed: frozenset,
) -> tuple[str, Key] | None:
    """The total to hide beside the hidden total (kind, key) when the grand total and all of
    its siblings are published (so it is pinned); None when it is not pinned that way.

    The sibling chosen has hidden cells when one has (its own cells then do not pin it), and
    the smallest count among those."""
    if ("grand", GRAND) in suppressed_margins:
        return None
    same_kind = [m for m in margins if m.kind == kind]
    if not all(m.additive for m in same_kind) or not _additive(margins):
        return None  # totals of distinct people do not add up to the grand total
    siblings = [m for m in same_kind if m.key != key]
    if not siblings or any((m.kind, m.key) in suppressed_margins for m in siblings):
        return None
    candidates = [m for m in siblings if (m.kind, m.key) not in fixed and m.value > 0]
    if not candidates:
        return None
    chosen = min(
        candidates,
        key=lambda m: (not any(c in suppressed_cells for c in m.cells), m.value, m.key),
    )
    return (chosen.kind, chosen.key)


def _protect_one(
    target: tuple[str, Key],
    cells: Mapping[Key, int],
    suppressed_cells: set[Key],
    margins: list[Margin],
    suppressed_margins: set[tuple[str, Key]],
    fixed: frozenset = frozenset(),
    memberships: Mapping[Key, list[Margin]] | None = None,
) -> tuple[str, Key] | None:
    """Suppress one more figure to widen ``target``'s range and return it; None when nothing
    is left.

    Figures in ``fixed`` (already in the researcher's hands) are never chosen."""
    if target[0] != "cell" and not _additive(margins):
        # A total of distinct people is pinned by the other totals it is linked to (the grand
        # total is made of the row totals): hide one of them before any cell.
        siblings = [m for m in margins if m.kind == target[0] and (m.kind, m.key) != target]
        grand_published = ("grand", GRAND) not in suppressed_margins
        for m in sorted(siblings, key=lambda m: (m.value, m.key)):
            if grand_published and (m.kind, m.key) not in suppressed_margins | fixed:
                suppressed_margins.add((m.kind, m.key))
                return (m.kind, m.key)
    if memberships is None:
        memberships = _memberships(margins)
    # A hidden total with every sibling published is the grand total minus the siblings, however
    # many of its cells are hidden; so are the cells under it. Hide a sibling total first.
    # (Hiding cells instead cascaded through a small category, e.g. two trans people, until
    # 30 of 40 cells of a gender table and the grand total were hidden.)
    if target[0] == "cell":
        pinned = [
            (m.kind, m.key)
            for m in memberships.get(target[1], ())
            if m.kind in ("row", "column") and (m.kind, m.key) in suppressed_margins
        ]
    else:
        pinned = [target] if target[0] in ("row", "column") else []
    for kind, key in pinned:
        sibling = _sibling_to_hide(kind, key, margins, suppressed_cells, suppressed_margins, fixed)
        if sibling is not None:
            suppressed_margins.add(sibling)
            return sibling
    if target[0] == "cell":
        containing = memberships.get(target[1], ())
        involved = [m for m in containing if (m.kind, m.key) not in suppressed_margins]
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
        # Across the grand total every cell closes some cycle; the check would cost a scan
        # of the table per candidate.
        grand = margin.kind == "grand"
        smallest = min(
            (
                (0 if grand else _closes(c, margin, memberships, suppressed_cells), cells[c], c)
                for c in margin.cells
                if c not in suppressed_cells and cells[c] > 0 and ("cell", c) not in fixed
            ),
            default=None,
        )
        if smallest is not None:
            suppressed_cells.add(smallest[-1])
            return ("cell", smallest[-1])
    for m in sorted(involved, key=lambda m: (m.value, m.kind, m.key)):
        if (m.kind, m.key) not in suppressed_margins and (m.kind, m.key) not in fixed:
            suppressed_margins.add((m.kind, m.key))
            return (m.kind, m.key)
    return None


def _memberships(margins: list[Margin]) -> dict[Key, list[Margin]]:
    """The totals each cell is in, in the order of ``margins``."""
    out: dict[Key, list[Margin]] = defaultdict(list)
    for m in margins:
        for c in m.cells:
            out[c].append(m)
    return out


def _margin_indexes(margins: list[Margin]) -> dict[Key, list[int]]:
    """The positions in ``margins`` of the totals each cell is in, in order."""
    out: dict[Key, list[int]] = defaultdict(list)
    for i, m in enumerate(margins):
        for c in m.cells:
            out[c].append(i)
    return out


def _area(
    target: tuple[str, Key], margins: list[Margin], memberships: Mapping[Key, list[Margin]]
) -> set[Key]:
    """The cells that share a row or column total with ``target``."""
    if target[0] == "cell":
        return {c for m in memberships.get(target[1], ()) if m.kind != "grand" for c in m.cells} | {
            target[1]
        }
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


def protect(
    table: Table,
    policy: Policy,
    *,
    known: Iterable[Margin] = (),
    guards: Iterable[Margin] = (),
    hidden: Iterable[tuple[str, Key]] = (),
    kept: Iterable[tuple[str, Key]] = (),
) -> Result:
    """Apply threshold, complementary suppression and rounding. Deterministic.

    Linked protection (a researcher's earlier extracts): ``known`` are sums of cells the
    researcher already holds (published equations that can never be withdrawn); ``guards``
    are sums of cells that must keep a range of at least k, as if suppressed; ``hidden``
    figures of the table are suppressed from the start and ``kept`` ones are never chosen as
    complements (the researcher already has them).
    """
    return _result(table, policy, *_suppress(table, policy, known, guards, hidden, kept))


def _suppress(
    table: Table,
    policy: Policy,
    known: Iterable[Margin],
    guards: Iterable[Margin],
    hidden: Iterable[tuple[str, Key]],
    kept: Iterable[tuple[str, Key]],
) -> tuple[set[Key], set[tuple[str, Key]], int, int]:
    """The suppressed cells and totals of ``protect``, and how many of each were primary."""
    k = policy.threshold
    cells = dict(table.cells)
    known, guards = list(known), list(guards)
    margins = table.margins() + known + guards
    fixed = frozenset(kept) | {(m.kind, m.key) for m in known}
    suppressed_cells = {key for key, v in cells.items() if 0 < v < k}
    suppressed_margins = {(m.kind, m.key) for m in margins if 0 < m.value < k}
    suppressed_margins -= fixed
    primary_cells = len(suppressed_cells)
    primary_totals = len(suppressed_margins)
    for kind, key in hidden:
        if kind == "cell":
            suppressed_cells.add(key)
        else:
            suppressed_margins.add((kind, key))
    suppressed_margins |= {(m.kind, m.key) for m in guards}

    _obvious_complements(cells, suppressed_cells, margins, suppressed_margins, k, fixed)
    safe: set[tuple[str, Key]] = set()
    witnesses = _Witnesses(cells)
    memberships = _memberships(margins)
    indexes = _margin_indexes(margins)
    # Totals never change, so neither does the area of a figure: work each out once.
    areas: dict[tuple[str, Key], set[Key]] = {}
    while True:
        # Every check of a round sees the table as it was when the round began.
        checks = _checks(
            cells,
            set(suppressed_cells),
            margins,
            set(suppressed_margins),
            k,
            safe,
            witnesses,
            indexes,
        )
        found = progressed = False
        # Several suppressions per round, but none for a figure that shares a total with a
        # complement chosen this round: that complement may already protect it, and the next
        # round will tell. A figure passed over for that reason needs no check this round.
        # (Blocking every figure that shares a total with a protected one, as before, let a
        # round of a sparse table protect one cell per column: 84 rounds for 9,566 cells.)
        touched: set[Key] = set()
        for target, unsafe in checks:
            if target[0] == "cell":
                if target[1] in touched:
                    continue
            else:
                if target not in areas:
                    areas[target] = _area(target, margins, memberships)
                if not areas[target].isdisjoint(touched):
                    continue
            if not unsafe():
                continue
            found = True
            added = _protect_one(
                target, cells, suppressed_cells, margins, suppressed_margins, fixed, memberships
            )
            if added is not None:
                if added not in areas:
                    areas[added] = _area(added, margins, memberships)
                touched |= areas[added]
                progressed = True
        if not found:
            break
        if not progressed:
            # Everything related is already suppressed; suppress every total as a last resort,
            # and with linked figures every cell the researcher does not hold already.
            suppressed_margins.update(
                (m.kind, m.key) for m in margins if (m.kind, m.key) not in fixed
            )
            if known or guards:
                suppressed_cells.update(
                    c for c, v in cells.items() if v > 0 and ("cell", c) not in fixed
                )
            break
    return suppressed_cells, suppressed_margins, primary_cells, primary_totals


def _result(
    table: Table,
    policy: Policy,
    suppressed_cells: set[Key],
    suppressed_margins: set[tuple[str, Key]],
    primary_cells: int,
    primary_totals: int,
) -> Result:
    cells = table.cells

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


def protect_joint(
    table: Table,
    policy: Policy,
    *,
    cube: Mapping[Key, int],
    figures: Mapping[tuple[str, Key], Margin],
    earlier: Iterable[Margin],
    known: Iterable[Margin] = (),
    guards: Iterable[Margin] = (),
    hidden: Iterable[tuple[str, Key]] = (),
    kept: Iterable[tuple[str, Key]] = (),
) -> Result:
    """``protect``, then the same check over the cube of the union of the table's variables
    and those of figures the researcher already holds (earlier tables of the same release
    over variables this table does not have). Deterministic.

    The unknowns are the non-empty cells of ``cube`` (each at least 1; empty ones are known
    to be empty, as an attacker who knows them would). ``figures`` are the table's cells and
    totals, by (kind, key), as sums of cube cells; ``earlier`` are the researcher's figures
    that are not the table's, as sums of cube cells: kind "earlier" for published ones
    (equations), "earlier_hidden" for hidden ones. ``known``, ``guards``, ``hidden`` and
    ``kept`` are ``protect``'s, over the table itself. While a hidden figure of the table
    or a guarded earlier one has a range narrower than k in that program, one more figure
    of the table is hidden: a neighbour in its row or column, as ``protect`` chooses, or
    for an earlier figure the smallest published cell of the table that shares people with
    it.

    What is covered for multi-valued variables: a figure is the exact sum of its cube cells
    when it fixes every multi-valued variable of the cube, otherwise it is at least each of
    them and at most their sum; the table's own totals keep their links to the grand total
    (``_links``). Relations that only the sets of values each person has would give are not
    in the program.
    """
    k = policy.threshold
    kept = frozenset(kept)
    suppressed_cells, suppressed_margins, primary_cells, primary_totals = _suppress(
        table, policy, known, guards, hidden, kept
    )
    table_margins = table.margins()
    memberships = _memberships(table_margins)
    links = _links(table_margins)
    earlier = list(earlier)
    guarded = {(m.kind, m.key) for m in earlier if m.kind == EARLIER_HIDDEN}
    margins = [*figures.values(), *earlier]
    by_id = {(m.kind, m.key): m for m in margins}
    unknowns = {c for c, v in cube.items() if v > 0}
    safe: set[tuple[str, Key]] = set()

    def hidden_ids() -> set[tuple[str, Key]]:
        return {("cell", c) for c in suppressed_cells} | set(suppressed_margins)

    def hide_overlapping(target: tuple[str, Key]) -> bool:
        people = set(by_id[target].cells)
        shown = [
            (kind != "cell", figure.value, kind, key)
            for (kind, key), figure in figures.items()
            if (kind, key) not in hidden_ids()
            and (kind, key) not in kept
            and figure.value > 0
            and not people.isdisjoint(figure.cells)
        ]
        if not shown:
            return False
        _total, _value, kind, key = min(shown)
        if kind == "cell":
            suppressed_cells.add(key)
        else:
            suppressed_margins.add((kind, key))
        return True

    while True:
        targets = sorted(
            t
            for t in (hidden_ids() & set(by_id)) | guarded
            if t not in safe and any(cube.get(c, 0) > 0 for c in by_id[t].cells)
        )
        if not targets:
            break
        program, index = _program(cube, unknowns, margins, hidden_ids() | guarded, links)
        touched: set[Key] = set()
        found = progressed = False
        for target in targets:
            people = set(by_id[target].cells)
            if not people.isdisjoint(touched):
                continue
            objective = (
                [index[target]]
                if target in index
                else [index[c] for c in by_id[target].cells if c in index]
            )
            if program.highest(objective) - program.lowest(objective) >= k:
                safe.add(target)
                continue
            found = True
            before = hidden_ids()
            if target in figures and target not in guarded:
                done = _protect_one(
                    target,
                    table.cells,
                    suppressed_cells,
                    table_margins,
                    suppressed_margins,
                    kept,
                    memberships,
                )
            else:
                done = False
            if not done:
                done = hide_overlapping(target)
            if done:
                progressed = True
                touched |= people
                for added in hidden_ids() - before:
                    touched |= set(figures[added].cells)
        if not found:
            break
        if not progressed:
            # Nothing left near the narrow figures: withhold what the researcher lacks.
            suppressed_cells.update(
                c for c, v in table.cells.items() if v > 0 and ("cell", c) not in kept
            )
            suppressed_margins.update(
                (m.kind, m.key) for m in table_margins if (m.kind, m.key) not in kept
            )
            break
    return _result(
        table, policy, suppressed_cells, suppressed_margins, primary_cells, primary_totals
    )
