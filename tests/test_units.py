"""Unit conversions: exact where the arithmetic is exact, vectorised, float in -> float out."""

from __future__ import annotations

import math

import numpy as np
import pytest

from flopcast.units import (
    FLOP_PER_MAC,
    LOG10_2,
    PFS_DAY_FLOP,
    SECONDS_PER_DAY,
    doubling_months,
    flop_to_pfs_days,
    growth_per_year,
    pfs_days_to_flop,
    slope_from_doubling_months,
    slope_from_growth_per_year,
)

#: Round trips go through one multiplication and one division: allow 2 ulp-ish.
ROUND_TRIP_RTOL = 1e-15


def test_one_pfs_day_is_1e15_flop_per_second_for_86400_seconds() -> None:
    assert PFS_DAY_FLOP == 8.64e19
    assert PFS_DAY_FLOP == 1e15 * SECONDS_PER_DAY
    assert FLOP_PER_MAC == 2.0


def test_flop_to_pfs_days_is_exact_for_whole_pfs_days() -> None:
    assert flop_to_pfs_days(8.64e19) == 1.0
    assert flop_to_pfs_days(4.32e20) == 5.0
    assert flop_to_pfs_days(0.0) == 0.0


def test_pfs_days_to_flop_is_exact() -> None:
    assert pfs_days_to_flop(1.0) == 8.64e19
    assert pfs_days_to_flop(0.5) == 4.32e19
    assert pfs_days_to_flop(2) == 1.728e20


def test_scalar_input_gives_a_python_float_and_array_input_an_array_of_the_same_shape() -> None:
    assert type(flop_to_pfs_days(1e20)) is float
    assert type(doubling_months(1)) is float
    grid = np.array([[8.64e19, 1.728e20], [0.0, 4.32e20]])
    out = flop_to_pfs_days(grid)
    assert isinstance(out, np.ndarray)
    assert out.shape == (2, 2)
    np.testing.assert_array_equal(out, [[1.0, 2.0], [0.0, 5.0]])
    np.testing.assert_array_equal(pfs_days_to_flop(out), grid)


def test_doubling_once_a_year_is_a_slope_of_log10_2() -> None:
    assert doubling_months(LOG10_2) == 12.0
    assert slope_from_doubling_months(12.0) == LOG10_2
    assert math.log10(2.0) == LOG10_2


def test_tenfold_growth_per_year_doubles_every_12_log10_2_months() -> None:
    assert doubling_months(1.0) == 12.0 * math.log10(2.0)
    assert round(doubling_months(1.0), 3) == 3.612


def test_doubling_time_and_slope_are_inverse_over_an_array() -> None:
    slopes = np.array([0.05, 0.15, 0.3, 1.0, 2.5])
    np.testing.assert_allclose(
        slope_from_doubling_months(doubling_months(slopes)), slopes, rtol=ROUND_TRIP_RTOL
    )
    months = np.array([3.4, 6.0, 24.0])
    np.testing.assert_allclose(
        doubling_months(slope_from_doubling_months(months)), months, rtol=ROUND_TRIP_RTOL
    )


def test_growth_per_year_is_ten_to_the_slope() -> None:
    assert growth_per_year(0.0) == 1.0
    assert growth_per_year(1.0) == 10.0
    np.testing.assert_array_equal(growth_per_year(np.array([2.0, -1.0])), [100.0, 0.1])
    assert slope_from_growth_per_year(1000.0) == 3.0


def test_source_analysis_doubling_of_3_4_months_is_about_11_5x_per_year() -> None:
    growth = growth_per_year(slope_from_doubling_months(3.4))
    assert growth == pytest.approx(2.0 ** (12.0 / 3.4), rel=1e-12)
    assert 11.5 < growth < 11.6


def test_zero_slope_never_doubles_and_negative_slope_gives_a_halving_time() -> None:
    assert doubling_months(0.0) == math.inf
    assert doubling_months(-LOG10_2) == -12.0
