"""The counts' empirical upper tail (flopcast.forecasting.count_tail): hand-computed shares,
the window and bootstrap, and counts that cover a known world with a skewed population."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from flopcast.exceptions import FlopcastError
from flopcast.forecasting.count_tail import ResidualTail, tail_for, tail_window
from flopcast.forecasting.counts import count_draws, exceedance, fit_rate
from flopcast.spec import CountsSpec

#: The known world: 60 runs in 2020, growing 1.25x per year; trend 21 log10 FLOP in 2020,
#: +0.5 dex per year; residuals skewed to the left (a long tail of small runs).
RATE_2020, GROWTH, LEVEL_2020, SLOPE = 60.0, 1.25, 21.0, 0.5


def skewed_residuals(rng: np.random.Generator, n: int) -> np.ndarray:
    """1 - Gamma(2, 0.8): mean -0.6, upper end at 1 dex, lower tail long."""
    return 1.0 - rng.gamma(2.0, 0.8, size=n)


@dataclass(frozen=True)
class KnownTrend:
    """Every sample on the known trend."""

    n_samples: int = 1000
    nu: None = None

    def population(self, years):
        mu = LEVEL_2020 + SLOPE * (np.asarray(years, float) - 2020.0)
        return np.broadcast_to(mu[None, :], (self.n_samples, len(mu)))

    def scatter(self, years):
        return np.full((self.n_samples, len(years)), 1.0)


def known_world(seed: int, years=range(2014, 2028)) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    parts = []
    for y in years:
        n = rng.poisson(RATE_2020 * GROWTH ** (y - 2020))
        dates = y + rng.uniform(size=n)
        x = LEVEL_2020 + SLOPE * (dates - 2020.0) + skewed_residuals(rng, n)
        parts.append(pd.DataFrame({"year": dates, "compute_flop": 10.0**x}))
    return pd.concat(parts, ignore_index=True)


# --------------------------------------------------------------------------------------
# Hand-computed shares


def test_empirical_share_is_the_fraction_of_residuals_above_the_level():
    residuals = np.array([[-2.0, -0.5, 0.0, 0.3, 1.0], [0.0, 0.0, 1.0, 2.0, 3.0]])
    tail = ResidualTail(residuals, tail_share=0.0)
    levels = np.array([[-3.0, 0.0, 0.3, 0.99, 5.0], [-1.0, 0.0, 0.5, 2.5, 3.0]])
    expected = np.array([[5, 2, 1, 1, 0], [5, 3, 3, 1, 0]]) / 5.0
    np.testing.assert_allclose(tail.sf(levels), expected)
    # Infinite levels (a ceiling below the threshold) give nothing; -inf everything.
    np.testing.assert_allclose(tail.sf(np.array([[np.inf], [-np.inf]])), [[0.0], [1.0]])
    # Residuals are sorted internally: their order does not matter.
    shuffled = ResidualTail(residuals[:, ::-1], tail_share=0.0)
    np.testing.assert_allclose(shuffled.sf(levels), expected)


def test_exponential_tail_above_the_top_share_by_hand():
    """Ten residuals 0..9, tail_share 0.5: the top five (5..9) are the tail, u = 4, mean
    excess (5+6+7+8+9)/5 - 4 = 3; above u the share is 0.5 exp(-(level - 4)/3)."""
    tail = ResidualTail(np.arange(10.0)[None, :], tail_share=0.5)
    assert tail.n_excess == 5
    levels = np.array([[1.5, 3.9, 4.0, 7.0, 20.0]])
    expected = [8 / 10, 6 / 10, 0.5, 0.5 * math.exp(-1.0), 0.5 * math.exp(-16.0 / 3.0)]
    np.testing.assert_allclose(tail.sf(levels)[0], expected)
    # Beyond the largest residual the share stays positive (the empirical one is zero).
    assert ResidualTail(np.arange(10.0)[None, :], tail_share=0.0).sf(np.array([[9.5]])) == 0
    assert 0 < tail.sf(np.array([[9.5]]))[0, 0] < 0.1


def test_exceedance_with_a_tail_is_the_share_above_threshold_minus_trend():
    tail = ResidualTail(np.tile(np.array([-1.0, 0.0, 0.5, 2.0]), (1000, 1)), tail_share=0.0)
    p = exceedance(KnownTrend(), np.array([2020.0, 2022.0]), np.array([21.25, 23.0]), tail=tail)
    # 2020: trend 21; above 21.25 -> residual > 0.25 (2 of 4); above 23 -> > 2 (none).
    # 2022: trend 22; above 21.25 -> > -0.75 (3 of 4); above 23 -> > 1 (1 of 4).
    np.testing.assert_allclose(p[0], [[0.5, 0.0], [0.75, 0.25]])


def test_window_bootstrap_and_errors():
    assert tail_window(2025.38, 3) == (2022.0, 2025.0)
    runs = known_world(1, years=range(2018, 2026))
    trend = KnownTrend(n_samples=50)
    settings = CountsSpec(tail_years=2, tail_share=0.0)
    whole = tail_for(settings, trend, runs, 2025.4, None)
    in_window = runs[(runs["year"] >= 2023) & (runs["year"] < 2025)]
    assert whole.n_runs == len(in_window)
    expected = np.sort(
        np.log10(in_window["compute_flop"].to_numpy())
        - (LEVEL_2020 + SLOPE * (in_window["year"].to_numpy() - 2020.0))
    )
    np.testing.assert_allclose(whole.residuals[0], expected)
    boot = tail_for(settings, trend, runs, 2025.4, np.random.default_rng(0))
    assert boot.residuals.shape == (50, len(in_window))
    assert not np.allclose(boot.residuals[0], boot.residuals[1])  # one resample per sample
    assert np.isin(boot.residuals, expected).all()
    assert tail_for(CountsSpec(tail="scatter"), trend, runs, 2025.4, None) is None
    # Too few runs in the window: it widens until it holds enough; too few in all: None.
    early = runs[runs["year"] < 2021]
    widened = tail_for(settings, trend, early, 2025.4, None)
    low, high = widened.window
    assert high == 2025.0 and low < 2023.0
    assert widened.n_runs == np.sum(early["year"] >= low) >= 20
    assert np.sum(early["year"] >= low + 1) < 20  # widened no more than needed
    assert tail_for(settings, trend, runs.iloc[:5], 2025.4, None) is None
    with pytest.raises(FlopcastError, match="fewer than"):
        ResidualTail.from_runs(trend, runs["year"], np.log10(runs["compute_flop"]), 2018.5, 1, None)
    with pytest.raises(FlopcastError, match="tail_share"):
        ResidualTail(np.zeros((1, 10)), tail_share=1.0)


# --------------------------------------------------------------------------------------
# A known world


def test_counts_from_the_empirical_tail_cover_a_known_skewed_world():
    """Runs of a known world with a skewed population: fitted on 2014-2024 (rate) and the
    residuals of 2022-2024 (tail), the 90% intervals of 2025-2027 cover the simulated
    counts, while a Normal scatter with the residuals' mean and sd puts several times too
    many runs near the top of the population (above 25.3 in 2027: 0.8 dex above the trend,
    P = 2.7% for the skewed residuals, 10.7% for the Normal)."""
    thresholds = np.array([22.5, 23.5, 24.5, 25.3])
    years = np.arange(2025, 2028)
    rng = np.random.default_rng(11)
    inside, ratios = [], []
    for rep in range(8):
        runs = known_world(200 + rep)
        train = runs[runs["year"] < 2025]
        rate = fit_rate(train["year"].to_numpy(), 2014, 2024, 1000, rng)
        tail = tail_for(CountsSpec(tail_years=3), KnownTrend(), train, 2025.0, rng)
        draws = count_draws(rate, KnownTrend(), years, thresholds, rng, tail=tail)
        year_of = np.floor(runs["year"].to_numpy())
        x = np.log10(runs["compute_flop"].to_numpy())
        for i, y in enumerate(years):
            for j, t in enumerate(thresholds):
                actual = np.sum((year_of == y) & (x > t))
                lo, hi = np.quantile(draws[:, i, j], [0.05, 0.95])
                inside.append(lo <= actual <= hi)
        normal_trend = _NormalTrend(sd=float(np.std(tail.residuals)))
        normal = count_draws(rate, normal_trend, years, thresholds, rng)
        ratios.append(np.median(normal[:, -1, -1]) / max(np.median(draws[:, -1, -1]), 1.0))
    assert np.mean(inside) >= 0.8
    assert np.median(ratios) > 1.5


@dataclass(frozen=True)
class _NormalTrend(KnownTrend):
    """The known trend shifted to the residuals' mean, with a Normal scatter ``sd``."""

    sd: float = 1.0

    def population(self, years):
        return super().population(years) - 0.6

    def scatter(self, years):
        return np.full((self.n_samples, len(years)), self.sd)


def test_report_check_verdict_names_the_thresholds_predicted_too_high_or_too_low():
    from flopcast.report.sections.policy import _check_verdict

    def check(p_at_least, inside):
        return pd.DataFrame(
            {
                "threshold_flop": [1e23] * 4 + [1e25] * 4,
                "observed": [5.0] * 8,
                "median": [5.0] * 8,
                "p_at_least": [0.5] * 4 + [p_at_least] * 4,
                "inside_ci90": [True] * 4 + inside,
            }
        )

    assert "consistent" in _check_verdict(check(0.5, [True] * 4))
    too_many = _check_verdict(check(0.97, [True, False, False, True]))
    assert too_many.startswith("Above 1.0e25 FLOP the model predicts too many runs")
    assert "1.0e23" not in too_many
    assert "too few" in _check_verdict(check(0.02, [True] * 4))
