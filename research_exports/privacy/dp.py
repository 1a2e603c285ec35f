"""Differentially private counts. Pure functions: no Django, no database.

A table counts people per combination of 1 to 4 dimension values. The whole cube of cells of
the declared domain is released, zeros included (so a zero is not revealed by its absence),
each cell with noise drawn by OpenDP's maintained mechanisms, never by our own sampler:

- ``laplace``: the discrete Laplace mechanism (``make_laplace`` on integers), pure ε-DP. The
  scale is ``sensitivity / ε`` where the sensitivity is the L1 distance between the count
  vectors of two tables that differ by one person: the number of cells one person can touch.
- ``gaussian``: the discrete Gaussian mechanism (``make_gaussian`` on integers), converted
  from zero-concentrated DP to (ε, δ)-DP by OpenDP; the scale is the smallest one OpenDP
  proves meets (ε, δ) for the L2 sensitivity ``sqrt(cells per person)``.

Sensitivity: a person falls in exactly one cell of a table of single-valued variables. A
multi-valued variable (a person has several exploitation types) is bounded: at most
``MULTI_VALUE_BOUND`` values per person count, chosen consistently (the first ones in code
order; the SQL truncates the same way), so one person touches at most the product of the
bounds of the table's multi-valued dimensions.

Post-processing (costs no privacy, since it only reads the noisy cells): every cell is clamped
at zero, giving non-negative integers; totals are computed from the post-processed cells, so
they add up exactly. Clamping moves a noisy value towards the interval where the true count
lies (true counts are never negative), so it never increases a cell's error, and the declared
95 % margin of error (from the mechanism's scale) still holds for every cell. Totals are sums
of many clamped cells: their margin of error is the one of the sum of the cells' independent
noises (normal approximation), and in sparse tables clamping biases them upwards; the report
says so. Totals over a multi-valued dimension are not sums of their cells; they are not
released in this mode (releasing them would cost more budget).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import opendp.prelude as opendp

# OpenDP gates its mechanisms that are not yet formally vetted behind "contrib"; the discrete
# Laplace and Gaussian on integer vectors and the zCDP to approximate-DP conversion need it.
opendp.enable_features("contrib")

Key = tuple[str, ...]

# How many values of a multi-valued variable count per person.
MULTI_VALUE_BOUND = 3
# Two-sided level of the published margins of error.
CONFIDENCE = 0.95
ALPHA = 1 - CONFIDENCE
Z_95 = 1.959963984540054
EPSILON_MIN = 0.01
EPSILON_MAX = 10.0
DELTA_MAX = 1e-3


class Mechanism(StrEnum):
    LAPLACE = "laplace"
    GAUSSIAN = "gaussian"


@dataclass(frozen=True)
class Noise:
    """A calibrated mechanism for one table: what the report states."""

    mechanism: Mechanism
    epsilon: float
    delta: float
    sensitivity: int  # cells one person can touch (L1); L2 is its square root
    scale: float
    cell_margin: int  # 95 % margin of error of every cell
    variance: float  # of one cell's noise


@dataclass
class DpTable:
    dimensions: tuple[str, ...]
    cells: dict[Key, int]
    row_totals: dict[Key, int]
    column_totals: dict[Key, int]
    grand_total: int
    row_margins: dict[Key, int]
    column_margins: dict[Key, int]
    grand_margin: int
    noise: Noise


def sensitivity(*, multi_valued: Sequence[bool], bound: int = MULTI_VALUE_BOUND) -> int:
    """Cells one person can touch: the product of the values per person of each dimension."""
    if bound < 1:
        raise ValueError("The bound on values per person must be at least 1.")
    return math.prod(bound if multi else 1 for multi in multi_valued)


def truncate_values(values: Sequence[str], *, bound: int = MULTI_VALUE_BOUND) -> list[str]:
    """The values of a multi-valued variable that count: the first ``bound`` in code order."""
    return sorted(set(values))[:bound]


def _check(epsilon: float, delta: float, mechanism: Mechanism) -> None:
    if not (isinstance(epsilon, int | float) and math.isfinite(epsilon)):
        raise ValueError("ε must be a number.")
    if not EPSILON_MIN <= epsilon <= EPSILON_MAX:
        raise ValueError(f"ε must be between {EPSILON_MIN} and {EPSILON_MAX}.")
    if mechanism is Mechanism.LAPLACE and delta != 0:
        raise ValueError("The Laplace mechanism is pure ε-DP: δ must be 0.")
    if mechanism is Mechanism.GAUSSIAN and not 0 < delta <= DELTA_MAX:
        raise ValueError(f"δ must be above 0 and at most {DELTA_MAX}.")


def _laplace_space():
    return opendp.vector_domain(opendp.atom_domain(T=int)), opendp.l1_distance(T=int)


def _gaussian_space():
    return opendp.vector_domain(opendp.atom_domain(T=int)), opendp.l2_distance(T=float)


def _gaussian(scale: float, delta: float):
    base = opendp.m.make_gaussian(*_gaussian_space(), scale=scale)
    return opendp.c.make_fix_delta(opendp.c.make_zCDP_to_approxDP(base), delta)


def calibrate(
    *, epsilon: float, sensitivity: int, mechanism: Mechanism = Mechanism.LAPLACE, delta: float = 0
) -> Noise:
    """The mechanism's scale for ``epsilon`` (and ``delta``) and its margin of error."""
    mechanism = Mechanism(mechanism)
    _check(epsilon, delta, mechanism)
    if sensitivity < 1:
        raise ValueError("The sensitivity must be at least 1.")
    if mechanism is Mechanism.LAPLACE:
        scale = sensitivity / epsilon
        proved = opendp.m.make_laplace(*_laplace_space(), scale=scale).map(sensitivity)
        # OpenDP's own privacy map is the judge: the release must not exceed ε.
        if proved > epsilon * (1 + 1e-9):
            raise ValueError("The calibrated scale does not meet ε.")
        margin = opendp.discrete_laplacian_scale_to_accuracy(scale, ALPHA)
        t = math.exp(-1 / scale)
        variance = 2 * t / (1 - t) ** 2
    else:
        l2 = math.sqrt(sensitivity)
        scale = opendp.binary_search_param(
            lambda s: _gaussian(s, delta), d_in=l2, d_out=(epsilon, delta), T=float
        )
        margin = opendp.discrete_gaussian_scale_to_accuracy(scale, ALPHA)
        variance = scale**2  # the discrete Gaussian's variance is at most σ²
    return Noise(
        mechanism=mechanism,
        epsilon=float(epsilon),
        delta=float(delta),
        sensitivity=sensitivity,
        scale=scale,
        cell_margin=math.ceil(margin),
        variance=variance,
    )


def sample(*, counts: Sequence[int] | np.ndarray, noise: Noise) -> np.ndarray:
    """Noisy counts, drawn by OpenDP (one draw per cell, independent), in one call.

    The counts go to OpenDP as one 32-bit integer array (its ``i32`` atoms): a NumPy array
    crosses into the library in one copy, where a list is checked and converted value by
    value (a fifth of the cost on a 62,500-cell cube).
    """
    if noise.mechanism is Mechanism.LAPLACE:
        measurement = opendp.m.make_laplace(*_laplace_space(), scale=noise.scale)
    else:
        measurement = _gaussian(noise.scale, noise.delta)
    values = np.asarray(counts, dtype=np.int64)
    if values.size and (values.min() < 0 or values.max() > np.iinfo(np.int32).max):
        raise ValueError("A count is outside the range of the noise mechanism.")
    return np.asarray(measurement(values.astype(np.int32)), dtype=np.int64)


def sum_margin(*, noise: Noise, cells: int) -> int:
    """95 % margin of error of a total of ``cells`` independently noised cells."""
    if cells <= 1:
        return noise.cell_margin if cells == 1 else 0
    return math.ceil(Z_95 * math.sqrt(cells * noise.variance))


def cube(levels: Sequence[Sequence[str]]) -> list[Key]:
    """Every cell of the declared domain, in a fixed order."""
    return [tuple(key) for key in itertools.product(*levels)]


def release(
    *,
    dimensions: Sequence[str],
    levels: Sequence[Sequence[str]],
    counts: Mapping[Key, int],
    noise: Noise,
    rows_additive: bool = True,
    columns_additive: bool = True,
) -> DpTable:
    """Noise every cell of the cube, post-process, and derive the totals from the cells.

    ``counts`` holds the true counts (missing keys are zero); a key outside the cube is an
    error, since its existence would otherwise leak. The cube is one array in the order of
    ``cube(levels)`` (row-major over the levels), so the noise is one call over all cells
    and the totals are sums along its axes, not a loop over the cells.
    """
    if len(dimensions) != len(levels) or not dimensions:
        raise ValueError("One list of levels per dimension is needed.")
    shape = tuple(len(level) for level in levels)
    positions = [{value: i for i, value in enumerate(level)} for level in levels]
    if any(len(p) != len(level) for p, level in zip(positions, levels, strict=True)):
        raise ValueError("A level is declared twice.")
    true = np.zeros(shape, dtype=np.int64)
    for key, count in counts.items():
        try:
            index = tuple(p[v] for p, v in zip(positions, key, strict=True))
        except (KeyError, ValueError):
            raise ValueError("A counted cell is outside the declared domain.") from None
        true[index] = count
    noisy = sample(counts=true.ravel(), noise=noise).reshape(shape)
    clamped = np.maximum(noisy, 0)
    keys = cube(levels)
    cells = dict(zip(keys, clamped.ravel().tolist(), strict=True))
    rows: dict[Key, int] = {}
    columns: dict[Key, int] = {}
    row_margins: dict[Key, int] = {}
    column_margins: dict[Key, int] = {}
    if len(dimensions) > 1:
        # Every row (all but the last dimension) and every column (the last) holds the same
        # number of cells, so each kind of total has one margin, computed once.
        if rows_additive:
            rows = dict(zip(cube(levels[:-1]), clamped.sum(axis=-1).ravel().tolist(), strict=True))
            margin = sum_margin(noise=noise, cells=shape[-1])
            row_margins = dict.fromkeys(rows, margin)
        if columns_additive:
            sums = clamped.reshape(-1, shape[-1]).sum(axis=0).tolist()
            columns = dict(zip(cube(levels[-1:]), sums, strict=True))
            margin = sum_margin(noise=noise, cells=math.prod(shape[:-1]))
            column_margins = dict.fromkeys(columns, margin)
    return DpTable(
        dimensions=tuple(dimensions),
        cells=cells,
        row_totals=rows,
        column_totals=columns,
        grand_total=int(clamped.sum()),
        row_margins=row_margins,
        column_margins=column_margins,
        grand_margin=sum_margin(noise=noise, cells=len(cells)),
        noise=noise,
    )


def report(noise: Noise) -> dict[str, object]:
    """What the disclosure report states about the mechanism (no data values)."""
    return {
        "mode": "dp",
        "mechanism": str(noise.mechanism),
        "epsilon": noise.epsilon,
        "delta": noise.delta,
        "sensitivity": noise.sensitivity,
        "multi_value_bound": MULTI_VALUE_BOUND,
        "scale": noise.scale,
        "confidence": CONFIDENCE,
        "cell_margin_of_error": noise.cell_margin,
    }
