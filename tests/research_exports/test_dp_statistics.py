"""Distributional tests of the differentially private noise (issue 11 §3, tests).

OpenDP's samplers cannot be seeded (they draw from the operating system's secure source), so
these tests check distributions, not values: over many draws, the empirical mean, variance,
mean absolute error and share of errors beyond the published margin must match the exact
values computed from the mechanism's probability mass function.

Each check allows ``Z`` standard errors. Under the normal approximation of an average of
``DRAWS`` independent draws (20,000 draws: the approximation is very close for these light
tailed distributions), one check fails by chance with probability ``2 * (1 - Φ(6))`` =
1.97e-9. The file makes ``CHECKS`` such checks, so by the union bound a correct mechanism
fails this file with probability below 6e-8: about once in 17 million runs. A mechanism whose
scale were off by 10 % fails the variance check every time (see ``test_the_checks_have_power``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import opendp.prelude as opendp
import pytest

from research_exports.privacy import dp

Z = 6.0
DRAWS = 20_000
CHECKS = 30  # an upper bound on the checks made below (counted in the README figure too)
FALSE_FAILURE_PER_CHECK = math.erfc(Z / math.sqrt(2))
FALSE_FAILURE_OF_FILE = CHECKS * FALSE_FAILURE_PER_CHECK

CONFIGS = [
    pytest.param(dp.Mechanism.LAPLACE, 1.0, 0.0, 1, id="laplace-eps1-sens1"),
    pytest.param(dp.Mechanism.LAPLACE, 0.5, 0.0, 3, id="laplace-eps0.5-sens3"),
    pytest.param(dp.Mechanism.GAUSSIAN, 1.0, 1e-6, 1, id="gaussian-eps1-sens1"),
    pytest.param(dp.Mechanism.GAUSSIAN, 0.5, 1e-5, 9, id="gaussian-eps0.5-sens9"),
]


@dataclass(frozen=True)
class Exact:
    """Moments of the noise, and its tail beyond the margin, from the mass function."""

    variance: float
    fourth: float
    mean_abs: float
    abs_second: float
    beyond: float  # P(|noise| > margin)
    above: float  # P(noise > margin): the error of a clamped cell whose true count is 0


def pmf(noise: dp.Noise) -> dict[int, float]:
    """OpenDP's discrete Laplace (∝ exp(-|k|/s)) or discrete Gaussian (∝ exp(-k²/2s²))."""
    reach = math.ceil(60 * noise.scale) + 60
    if noise.mechanism is dp.Mechanism.LAPLACE:
        weights = {k: math.exp(-abs(k) / noise.scale) for k in range(-reach, reach + 1)}
    else:
        weights = {k: math.exp(-(k**2) / (2 * noise.scale**2)) for k in range(-reach, reach + 1)}
    total = math.fsum(weights.values())
    return {k: w / total for k, w in weights.items()}


def exact(noise: dp.Noise) -> Exact:
    mass = pmf(noise)
    margin = noise.cell_margin
    return Exact(
        variance=math.fsum(p * k**2 for k, p in mass.items()),
        fourth=math.fsum(p * k**4 for k, p in mass.items()),
        mean_abs=math.fsum(p * abs(k) for k, p in mass.items()),
        abs_second=math.fsum(p * k**2 for k, p in mass.items()),
        beyond=math.fsum(p for k, p in mass.items() if abs(k) > margin),
        above=math.fsum(p for k, p in mass.items() if k > margin),
    )


def within(observed: float, expected: float, standard_error: float) -> bool:
    return abs(observed - expected) <= Z * standard_error


def proportion_ok(observed: float, expected: float, n: int) -> bool:
    return within(observed, expected, math.sqrt(max(expected * (1 - expected), 1e-12) / n))


def test_the_stated_false_failure_rate():
    assert pytest.approx(1.97e-9, rel=0.01) == FALSE_FAILURE_PER_CHECK
    assert FALSE_FAILURE_OF_FILE < 6e-8


@pytest.mark.parametrize(("mechanism", "epsilon", "delta", "sensitivity"), CONFIGS)
def test_the_declared_scale_and_margin_are_opendp_s(mechanism, epsilon, delta, sensitivity):
    """What the report states is the mechanism's own accuracy, and holds for the exact law."""
    noise = dp.calibrate(epsilon=epsilon, sensitivity=sensitivity, mechanism=mechanism, delta=delta)
    if mechanism is dp.Mechanism.LAPLACE:
        assert noise.scale == pytest.approx(sensitivity / epsilon)
        accuracy = opendp.discrete_laplacian_scale_to_accuracy(noise.scale, dp.ALPHA)
    else:
        accuracy = opendp.discrete_gaussian_scale_to_accuracy(noise.scale, dp.ALPHA)
    assert noise.cell_margin == math.ceil(accuracy)
    law = exact(noise)
    # Deterministic: at most 5 % of the mass lies beyond the published 95 % margin, and the
    # margin is not loose by more than one person (one step less would exceed 5 %).
    assert law.beyond <= dp.ALPHA
    tighter = math.fsum(p for k, p in pmf(noise).items() if abs(k) > noise.cell_margin - 2)
    assert tighter > dp.ALPHA
    # The stated variance (used for the totals' margins) is the exact one for Laplace, and
    # an upper bound for the discrete Gaussian.
    if mechanism is dp.Mechanism.LAPLACE:
        assert noise.variance == pytest.approx(law.variance, rel=1e-9)
    else:
        assert law.variance <= noise.variance * (1 + 1e-9)


@pytest.mark.parametrize(("mechanism", "epsilon", "delta", "sensitivity"), CONFIGS)
def test_empirical_noise_matches_the_mechanism(mechanism, epsilon, delta, sensitivity):
    noise = dp.calibrate(epsilon=epsilon, sensitivity=sensitivity, mechanism=mechanism, delta=delta)
    law = exact(noise)
    draws = dp.sample(counts=[0] * DRAWS, noise=noise)
    n = len(draws)
    assert n == DRAWS
    mean = math.fsum(draws) / n
    second = math.fsum(x * x for x in draws) / n
    mean_abs = math.fsum(abs(x) for x in draws) / n
    beyond = sum(abs(x) > noise.cell_margin for x in draws) / n
    # Unbiased: the mean error is 0 within Z standard errors.
    assert within(mean, 0.0, math.sqrt(law.variance / n))
    # The spread is the declared one: E[X²] has standard error sqrt((E[X⁴] - E[X²]²) / n).
    assert within(second, law.variance, math.sqrt((law.fourth - law.variance**2) / n))
    # The mean absolute error per cell is the mechanism's.
    assert within(mean_abs, law.mean_abs, math.sqrt((law.abs_second - law.mean_abs**2) / n))
    # The share of errors beyond the published margin is the exact tail (≤ 5 %).
    assert proportion_ok(beyond, law.beyond, n)


@pytest.mark.parametrize(("mechanism", "epsilon", "delta", "sensitivity"), CONFIGS[::2])
def test_the_noise_does_not_depend_on_the_count(mechanism, epsilon, delta, sensitivity):
    """The errors on a count of 37 follow the same law as on a count of 0 (additive noise)."""
    noise = dp.calibrate(epsilon=epsilon, sensitivity=sensitivity, mechanism=mechanism, delta=delta)
    law = exact(noise)
    true = 37
    errors = [v - true for v in dp.sample(counts=[true] * DRAWS, noise=noise)]
    mean = math.fsum(errors) / DRAWS
    second = math.fsum(x * x for x in errors) / DRAWS
    assert within(mean, 0.0, math.sqrt(law.variance / DRAWS))
    assert within(second, law.variance, math.sqrt((law.fourth - law.variance**2) / DRAWS))


def test_each_released_table_has_the_mechanism_s_error_bars():
    """Many releases of one table: every cell carries the mechanism's margin, totals the
    margin of a sum of independent cell noises, and the errors fall outside as often as the
    exact law says (cells) or at most as the normal approximation says (totals)."""
    noise = dp.calibrate(epsilon=1.0, sensitivity=1)
    law = exact(noise)
    levels = [["a", "b", "c", "d"], ["x", "y", "z", "w", "v"]]
    # Large counts: no clamping, so the cell errors are the raw noise; one empty row: its
    # clamped cells err beyond the margin only when the noise is above it.
    counts = {(r, c): 40 + 3 * i + j for i, r in enumerate("abc") for j, c in enumerate("xyzwv")}
    rounds = 1_000
    big_outside = big_cells = zero_outside = zero_cells = 0
    row_outside = rows = grand_outside = 0
    for _ in range(rounds):
        table = dp.release(dimensions=["r", "c"], levels=levels, counts=counts, noise=noise)
        for key, value in table.cells.items():
            error = abs(value - counts.get(key, 0))
            if key[0] == "d":
                zero_cells += 1
                zero_outside += error > noise.cell_margin
            else:
                big_cells += 1
                big_outside += error > noise.cell_margin
        for row, total in table.row_totals.items():
            if row == ("d",):
                continue
            assert table.row_margins[row] == dp.sum_margin(noise=noise, cells=5)
            rows += 1
            true_total = sum(v for k, v in counts.items() if k[:1] == row)
            row_outside += abs(total - true_total) > table.row_margins[row]
        assert table.grand_margin == dp.sum_margin(noise=noise, cells=20)
        grand_outside += abs(table.grand_total - sum(counts.values())) > table.grand_margin
    assert proportion_ok(big_outside / big_cells, law.beyond, big_cells)
    assert proportion_ok(zero_outside / zero_cells, law.above, zero_cells)
    # A total's margin is Z₉₅·sqrt(cells·variance), rounded up: a normal approximation of a
    # sum of 5 or 20 cell noises. The share outside is at most 5 %, plus sampling error.
    assert row_outside / rows <= dp.ALPHA + Z * math.sqrt(dp.ALPHA * (1 - dp.ALPHA) / rows)
    assert grand_outside / rounds <= dp.ALPHA + Z * math.sqrt(dp.ALPHA * (1 - dp.ALPHA) / rounds)


def test_the_checks_have_power():
    """A mechanism with a scale 20 % too small (ε = 1.25 stated as 1) fails the variance
    check: its E[X²] lies beyond the Z band by more than 4 of its own standard errors, so it
    passes with probability under 3e-5."""
    noise = dp.calibrate(epsilon=1.0, sensitivity=1)
    narrower = dp.calibrate(epsilon=1.25, sensitivity=1)
    law, wrong = exact(noise), exact(narrower)
    standard_error = math.sqrt((law.fourth - law.variance**2) / DRAWS)
    wrong_error = math.sqrt((wrong.fourth - wrong.variance**2) / DRAWS)
    assert abs(wrong.variance - law.variance) > Z * standard_error + 4 * wrong_error
