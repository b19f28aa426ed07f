"""Counts of runs above compute thresholds: the runs-per-year model, the counts, the checks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from flopcast.forecasting import forecast
from flopcast.forecasting.count_checks import count_check, summarise_check
from flopcast.forecasting.counts import count_draws, exceedance, fit_rate, threshold_counts
from flopcast.simulate import Truth, simulate_runs

#: Known rate of the simulated runs: 40 runs in 2020, growing 1.3x per year.
RATE_2020, GROWTH = 40.0, 1.3
#: Known compute of the simulated runs: level 22 (log10 FLOP) in 2020, +0.5 dex per year,
#: Normal scatter 0.8 dex.
LEVEL_2020, SLOPE, SCATTER = 22.0, 0.5, 0.8


@dataclass(frozen=True)
class KnownPopulation:
    """The true compute distribution as the counts take it (every sample the same)."""

    n_samples: int = 2000
    nu: None = None

    def population(self, years):
        mu = LEVEL_2020 + SLOPE * (np.asarray(years, float) - 2020.0)
        return np.broadcast_to(mu[None, :], (self.n_samples, len(mu)))

    def scatter(self, years):
        return np.full((self.n_samples, len(years)), SCATTER)


def simulated_runs(years, seed: int) -> pd.DataFrame:
    """Runs of each calendar year: Poisson(RATE_2020 x GROWTH^(year - 2020)) of them, sizes
    from the package's run simulator with the known trend and scatter."""
    rng = np.random.default_rng(seed)
    parts = []
    for y in years:
        n = int(rng.poisson(RATE_2020 * GROWTH ** (y - 2020)))
        if n == 0:
            continue
        truth = Truth(
            breaks=(),
            slopes=(SLOPE,),
            level=LEVEL_2020 + SLOPE * (2010.0 - 2020.0),
            scatter=SCATTER,
            start=float(y),
            end=float(y) + 0.999,
        )
        runs, x = simulate_runs(n, truth, seed=int(rng.integers(1 << 31)), era_weight_recent=1.0)
        runs["compute_flop"] = 10.0**x  # true compute: no measurement error
        runs["year"] = y + (runs["date"].dt.day_of_year - 0.5) / 365.25
        parts.append(runs)
    return pd.concat(parts, ignore_index=True)


def test_runs_per_year_model_recovers_a_known_growth():
    runs = simulated_runs(range(2014, 2025), seed=1)
    post = fit_rate(runs["year"].to_numpy(), 2014, 2024, 2000, np.random.default_rng(0))
    growth = np.exp(post.slope)
    assert np.quantile(growth, 0.05) < GROWTH < np.quantile(growth, 0.95)
    expected_2024 = RATE_2020 * GROWTH**4
    lo, hi = np.quantile(post.expected(np.array([2024]))[:, 0], [0.05, 0.95])
    assert lo < expected_2024 < hi
    assert post.ess > 500


def test_counts_above_thresholds_recovered_on_simulated_runs_with_a_known_rate():
    """Fitted to 2014-2024, the counts of 2025-2027 cover the simulated ones and their
    medians match the known expectation (rate x probability above the threshold)."""
    thresholds = np.log10([1e24, 1e25, 1e26])
    years = np.arange(2025, 2028)
    rng = np.random.default_rng(3)
    inside = []
    for rep in range(6):
        runs = simulated_runs(range(2014, 2028), seed=100 + rep)
        train = runs[runs["year"] < 2025]
        post = fit_rate(train["year"].to_numpy(), 2014, 2024, 2000, rng)
        draws = count_draws(post, KnownPopulation(), years, thresholds, rng)
        year_of = np.floor(runs["year"].to_numpy())
        for i, y in enumerate(years):
            for j, t in enumerate(thresholds):
                actual = np.sum((year_of == y) & (np.log10(runs["compute_flop"]) > t))
                lo, hi = np.quantile(draws[:, i, j], [0.05, 0.95])
                inside.append(lo <= actual <= hi)
    assert np.mean(inside) >= 0.8
    # The median count is the known rate times the known probability above the threshold.
    p = exceedance(KnownPopulation(), np.array([2026.5]), np.array([25.0]))[0, 0, 0]
    known = RATE_2020 * GROWTH**6.5 * p
    assert np.median(draws[:, 1, 1]) == pytest.approx(known, rel=0.35)


def test_counts_never_decrease_with_a_lower_threshold_and_cumulate():
    runs = simulated_runs(range(2014, 2026), seed=5)
    runs = runs[runs["year"] < 2025.4]
    counts = threshold_counts(runs, KnownPopulation(), [1e26, 1e24, 1e25], 2025.4, 2028.99, 2014, 7)
    draws = counts.draws
    assert np.all(np.diff(draws, axis=2) <= 0)  # ascending thresholds: fewer runs above
    table = counts.table
    assert list(table.columns) == [
        "threshold_flop",
        "year",
        "median",
        "ci90_low",
        "ci90_high",
        "cumulative_median",
        "cumulative_ci90_low",
        "cumulative_ci90_high",
        "observed",
    ]
    assert sorted(table["year"].unique()) == [2025, 2026, 2027, 2028]
    assert (table["cumulative_median"] >= table["median"]).all()
    assert table.loc[table["year"] == 2025, "observed"].notna().all()
    assert table.loc[table["year"] > 2025, "observed"].isna().all()
    assert "population" in table.attrs


def test_too_few_years_for_the_runs_per_year_model_give_no_counts():
    runs = simulated_runs(range(2023, 2026), seed=2)
    assert threshold_counts(runs, KnownPopulation(), [1e25], 2025.9, 2029.0, 2016, 1) is None


def test_forecast_count_table_and_json(standard_fit):
    fc = forecast(standard_fit, until="2028-12-31", cost=False, seed=3)
    table = fc.count_table()
    assert set(table["threshold_flop"]) == {1e24, 1e25, 1e26, 1e27}
    assert table["year"].max() == 2028
    rows = fc.to_json_dict()["counts"]
    assert len(rows) == len(table)
    assert set(rows[0]) == {"threshold_flop", "year", "median", "ci90", "cumulative", "observed"}
    assert set(rows[0]["cumulative"]) == {"median", "ci90"}
    block = fc.to_json_dict()
    assert block["counts_tail"] == fc.counts.tail and "residuals" in block["counts_tail"]
    assert "runs above each threshold" in fc.format_tables()
    again = forecast(standard_fit, until="2028-12-31", cost=False, seed=3).count_table()
    pd.testing.assert_frame_equal(table, again)


def test_posterior_predictive_check_passes_on_data_simulated_from_the_model(standard_fit):
    """The standard data follow the model, so their counts should be reproduced."""
    check = count_check(standard_fit, (1e26, 1e27, 1e28), since=2016, totals="observed")
    assert set(check["year"]) == set(range(2016, 2025))
    assert check["inside_ci90"].mean() >= 0.8
    summary = summarise_check(check)
    assert list(summary["threshold_flop"]) == [1e26, 1e27, 1e28]
