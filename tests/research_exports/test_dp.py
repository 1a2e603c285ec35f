"""Differentially private counts: calibration, post-processing and declared margins."""

from __future__ import annotations

import math

import opendp.prelude as opendp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from research_exports.privacy import dp


@given(
    epsilon=st.floats(min_value=dp.EPSILON_MIN, max_value=dp.EPSILON_MAX),
    cells_per_person=st.integers(min_value=1, max_value=27),
)
@settings(max_examples=60, deadline=None)
def test_laplace_scale_matches_epsilon_for_the_sensitivity(epsilon, cells_per_person):
    noise = dp.calibrate(epsilon=epsilon, sensitivity=cells_per_person)
    assert noise.scale == pytest.approx(cells_per_person / epsilon)
    # OpenDP's privacy map of the calibrated mechanism spends exactly ε, no more.
    measurement = opendp.m.make_laplace(*dp._laplace_space(), scale=noise.scale)
    assert measurement.map(cells_per_person) == pytest.approx(epsilon)


@given(
    epsilon=st.floats(min_value=0.1, max_value=dp.EPSILON_MAX),
    cells_per_person=st.integers(min_value=1, max_value=9),
)
@settings(max_examples=15, deadline=None)
def test_gaussian_scale_meets_epsilon_delta(epsilon, cells_per_person):
    delta = 1e-6
    noise = dp.calibrate(
        epsilon=epsilon, sensitivity=cells_per_person, mechanism="gaussian", delta=delta
    )
    spent_epsilon, spent_delta = dp._gaussian(noise.scale, delta).map(math.sqrt(cells_per_person))
    assert spent_epsilon <= epsilon * (1 + 1e-6)
    assert spent_delta == delta


def test_more_cells_per_person_means_more_noise():
    one = dp.calibrate(epsilon=1, sensitivity=1)
    nine = dp.calibrate(epsilon=1, sensitivity=dp.sensitivity(multi_valued=[True, True]))
    assert nine.sensitivity == dp.MULTI_VALUE_BOUND**2
    assert nine.scale == pytest.approx(9 * one.scale)
    assert nine.cell_margin > one.cell_margin


def test_sensitivity_of_single_valued_tables_is_one():
    assert dp.sensitivity(multi_valued=[False, False, False]) == 1
    assert dp.sensitivity(multi_valued=[False, True]) == dp.MULTI_VALUE_BOUND


def test_multi_valued_truncation_is_consistent():
    assert dp.truncate_values(["b", "d", "a", "c", "a"], bound=3) == ["a", "b", "c"]
    assert dp.truncate_values(["c", "a"], bound=3) == ["a", "c"]


@pytest.mark.parametrize(
    ("epsilon", "mechanism", "delta"),
    [
        (0, "laplace", 0),
        (-1, "laplace", 0),
        (math.nan, "laplace", 0),
        (math.inf, "laplace", 0),
        (11, "laplace", 0),
        (1, "laplace", 1e-6),
        (1, "gaussian", 0),
        (1, "gaussian", 0.5),
    ],
)
def test_bad_parameters_are_refused(epsilon, mechanism, delta):
    with pytest.raises(ValueError):
        dp.calibrate(epsilon=epsilon, sensitivity=1, mechanism=mechanism, delta=delta)


def test_unknown_mechanism_is_refused():
    with pytest.raises(ValueError):
        dp.calibrate(epsilon=1, sensitivity=1, mechanism="uniform")


@st.composite
def cubes(draw):
    dims = draw(st.integers(min_value=1, max_value=3))
    levels = [
        [f"v{i}" for i in range(draw(st.integers(min_value=1, max_value=4)))] for _ in range(dims)
    ]
    keys = dp.cube(levels)
    counts = {key: draw(st.integers(min_value=0, max_value=60)) for key in keys}
    counts = {key: value for key, value in counts.items() if value}
    return [f"d{i}" for i in range(dims)], levels, counts


@given(table=cubes(), epsilon=st.sampled_from([0.1, 1.0, 4.0]))
@settings(max_examples=60, deadline=None)
def test_post_processing_gives_consistent_non_negative_integers(table, epsilon):
    dimensions, levels, counts = table
    noise = dp.calibrate(epsilon=epsilon, sensitivity=1)
    out = dp.release(dimensions=dimensions, levels=levels, counts=counts, noise=noise)
    # Every cell of the declared domain is released, zeros included.
    assert set(out.cells) == set(dp.cube(levels))
    assert all(isinstance(v, int) and v >= 0 for v in out.cells.values())
    assert out.grand_total == sum(out.cells.values())
    if len(dimensions) > 1:
        for row, total in out.row_totals.items():
            assert total == sum(v for k, v in out.cells.items() if k[:-1] == row)
        for column, total in out.column_totals.items():
            assert total == sum(v for k, v in out.cells.items() if k[-1:] == column)
        assert sum(out.row_totals.values()) == out.grand_total
        assert sum(out.column_totals.values()) == out.grand_total
        assert set(out.row_margins) == set(out.row_totals)
    assert out.grand_margin >= noise.cell_margin or len(out.cells) == 1


def test_non_additive_totals_are_not_released():
    noise = dp.calibrate(epsilon=1, sensitivity=3)
    out = dp.release(
        dimensions=["year", "exploitation"],
        levels=[["2020", "2021"], ["a", "b"]],
        counts={("2020", "a"): 4},
        noise=noise,
        rows_additive=False,
    )
    assert out.row_totals == {}
    assert set(out.column_totals) == {("a",), ("b",)}


def test_a_count_outside_the_domain_is_refused():
    noise = dp.calibrate(epsilon=1, sensitivity=1)
    with pytest.raises(ValueError):
        dp.release(dimensions=["d"], levels=[["a"]], counts={("z",): 3}, noise=noise)


@pytest.mark.parametrize(
    ("mechanism", "delta", "epsilon", "true"),
    [("laplace", 0, 1.0, 0), ("laplace", 0, 0.5, 50), ("gaussian", 1e-6, 1.0, 30)],
)
def test_empirical_error_matches_the_declared_margin(mechanism, delta, epsilon, true):
    """Many draws: the share of cells off by more than the margin is at most about 5 %."""
    noise = dp.calibrate(epsilon=epsilon, sensitivity=1, mechanism=mechanism, delta=delta)
    draws = 20_000
    noisy = dp.sample(counts=[true] * draws, noise=noise)
    errors = [abs(max(0, v) - true) for v in noisy]
    outside = sum(e > noise.cell_margin for e in errors) / draws
    # The margin is rounded up and clamping only helps: at most 5 %, plus sampling slack
    # (3 standard errors of a proportion of 0.05 over 20,000 draws is 0.005).
    assert outside <= 0.055
    # The margin is not wildly loose either: the 95 % error quantile is near it.
    errors.sort()
    assert errors[int(0.95 * draws)] >= noise.cell_margin - 2
    # The raw noise has the declared variance (within 10 %).
    raw = [v - true for v in noisy]
    mean = sum(raw) / draws
    variance = sum((v - mean) ** 2 for v in raw) / draws
    assert variance == pytest.approx(noise.variance, rel=0.1)
    assert abs(mean) < 0.1 * math.sqrt(noise.variance) + 0.05


def test_total_margin_matches_the_sum_of_cell_noises():
    noise = dp.calibrate(epsilon=1.0, sensitivity=1)
    cells = 16
    rounds = 2_000
    noisy = dp.sample(counts=[100] * (cells * rounds), noise=noise)
    totals = [sum(noisy[i * cells : (i + 1) * cells]) - 100 * cells for i in range(rounds)]
    margin = dp.sum_margin(noise=noise, cells=cells)
    outside = sum(abs(t) > margin for t in totals) / rounds
    assert outside <= 0.07


def test_report_states_the_mechanism():
    noise = dp.calibrate(epsilon=2.0, sensitivity=3)
    stated = dp.report(noise)
    assert stated["mode"] == "dp"
    assert stated["mechanism"] == "laplace"
    assert stated["epsilon"] == 2.0
    assert stated["delta"] == 0.0
    assert stated["sensitivity"] == 3
    assert stated["cell_margin_of_error"] == noise.cell_margin
