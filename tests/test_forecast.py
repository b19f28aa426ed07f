"""Forecasts: exact cases on hand-made posteriors, and a known future on simulated data.

Hand-made fits (one era, every draw on the same line) give threshold dates, cost arithmetic
and frontier quantiles that can be computed by hand, so those checks are exact (tolerance
1e-9 years, or 1e-9 relative). Checks against simulated truth are Monte Carlo and say so.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy import stats

from conftest import (
    LEVEL,
    SLOPE,
    STANDARD_TRUTH,
    FixedPricePerformance,
    hand_fit,
    line_runs,
)
from flopcast.exceptions import FlopcastError, SpecError
from flopcast.fitting import Fit
from flopcast.forecasting import (
    SLOPE_LOG_CHANGE_FLOOR,
    RegimeChanges,
    RegimePaths,
    crossing_dates,
    default_dates,
    forecast,
    frontier_definition,
    frontier_share,
    regime_changes_for,
    to_decimal_year,
)
from flopcast.simulate import Truth, simulate_runs
from flopcast.spec import T_REF
from flopcast.trend import piecewise_trend

#: Exact checks: interpolation on a monthly grid is exact for straight lines.
EXACT_YEARS = 1e-9


@pytest.fixture(scope="module")
def line_fit() -> Fit:
    # Runs 2000-2021 on the line; one run 1.5 dex above it in 2017.4 (1.5e25 FLOP).
    years = np.linspace(2000.0, 2021.0, 30)
    offsets = np.where(np.isclose(years, years[24]), 1.5, 0.0)
    return hand_fit(line_runs(years, offsets))


# --------------------------------------------------------------------------------------
# Dates


def test_horizon_given_as_a_year_means_its_last_day():
    assert to_decimal_year(2030, year_end=True) == to_decimal_year("2030-12-31")
    assert to_decimal_year("2030", year_end=True) == to_decimal_year("2030-12-31")
    assert to_decimal_year(2026.5) == 2026.5


@pytest.mark.parametrize("bad", ["soon", "2030-13-45", None, True, float("nan")])
def test_unreadable_dates_are_clear_errors(bad):
    with pytest.raises(FlopcastError, match="until"):
        to_decimal_year(bad, what="until")


def test_default_dates_are_mid_years_then_the_horizon():
    years = default_dates(2021.2, to_decimal_year("2023-12-31"))
    assert np.round(years, 3).tolist() == [2021.5, 2022.5, 2023.5, 2023.997]


# --------------------------------------------------------------------------------------
# Threshold crossings: exact cases


def test_crossing_dates_interpolate_a_straight_line_exactly():
    grid = np.arange(2000.0, 2040.0, 1.0 / 12.0)
    paths = LEVEL + np.array([[0.5], [0.25]]) * (grid[None, :] - T_REF)
    got = crossing_dates(paths, grid, 27.0)
    assert got == pytest.approx([2024.0, 2038.0], abs=EXACT_YEARS)
    assert crossing_dates(paths, grid, 40.0).tolist() == [np.inf, np.inf]
    assert crossing_dates(paths, grid, 10.0).tolist() == [2000.0, 2000.0]


def test_threshold_dates_of_a_known_line_are_exact(line_fit):
    fc = forecast(
        line_fit,
        until="2030-12-31",
        regime_changes="off",
        cost=False,
        thresholds_flop=[1e27, 1e28, 1e31, 1e45],
    )
    t = fc.threshold_table().set_index("value")
    for value in (1e27, 1e28, 1e31):
        expected = T_REF + (math.log10(value) - LEVEL) / SLOPE
        row = t.loc[value]
        assert row["median_date"] == pytest.approx(expected, abs=EXACT_YEARS)
        # Every draw is on the same line, so the interval collapses to the date.
        assert row["ci90_low"] == pytest.approx(expected, abs=EXACT_YEARS)
        assert row["ci90_high"] == pytest.approx(expected, abs=EXACT_YEARS)
    assert t.loc[1e27, "prob_by_horizon"] == 1.0  # 2024
    assert t.loc[1e28, "prob_by_horizon"] == 1.0  # 2026
    assert t.loc[1e31, "prob_by_horizon"] == 0.0  # 2032, after the horizon 2030-12-31
    # 1e45 would be reached in 2060, after the search end (horizon + 20 years).
    assert np.isinf(t.loc[1e45, "median_date"]) and t.loc[1e45, "prob_by_horizon"] == 0.0
    entry = fc.to_json_dict()["thresholds"][3]
    assert entry["median_date"] is None and entry["ci90"] == [None, None]


def test_thresholds_already_crossed_name_the_first_run_that_crossed_them(line_fit):
    fc = forecast(line_fit, regime_changes="off", cost=False, thresholds_flop=[1e25, 1e26])
    t = fc.threshold_table().set_index("value")
    runs = line_fit.runs
    first = runs.loc[runs["compute_flop"] >= 1e25].sort_values("date").iloc[0]
    assert t.loc[1e25, "crossed_in_data"]
    assert t.loc[1e25, "crossed_by"] == first["system"]
    assert t.loc[1e25, "crossed_by_value"] == pytest.approx(first["compute_flop"])
    # The 2017 run 1.5 dex above the line reached 1e25 two years before the line did.
    assert t.loc[1e25, "crossed_by_date"] < t.loc[1e25, "median_date"] == pytest.approx(2020.0)
    assert not t.loc[1e26, "crossed_in_data"] and pd.isna(t.loc[1e26, "crossed_by"])
    entry = next(e for e in fc.to_json_dict()["thresholds"] if e["value"] == 1e25)
    assert entry["crossed_by"]["system"] == first["system"]
    assert set(entry["crossed_by"]) == {"system", "date", "date_iso", "value"}


def test_quantile_frontier_of_a_full_population_fit_is_exact():
    scatter = np.random.default_rng(3).uniform(0.5, 1.5, size=(2, 500))
    full = hand_fit(
        line_runs(np.linspace(2000.0, 2021.0, 30)), frontier_rule="none", scatter=scatter
    )
    q = 0.9
    fc = forecast(full, regime_changes="off", cost=False, frontier=q, thresholds_flop=[1e28])
    z = stats.norm.ppf(q)
    dates = T_REF + (28.0 - LEVEL - z * scatter.ravel()) / SLOPE
    row = fc.threshold_table().iloc[0]
    assert row["median_date"] == pytest.approx(np.median(dates), abs=EXACT_YEARS)
    assert row["ci90_low"] == pytest.approx(np.quantile(dates, 0.05), abs=EXACT_YEARS)
    table = fc.table()
    assert set(table["quantity"]) == {"compute_flop", "frontier_compute_flop"}
    horizon = table.query("quantity == 'frontier_compute_flop'").iloc[-1]
    year = fc.draws["year"].values[-1]
    expected = 10.0 ** (LEVEL + SLOPE * (year - T_REF) + z * np.median(scatter))
    assert horizon["median"] == pytest.approx(expected, rel=1e-9)
    assert fc.frontier.kind == "quantile" and fc.frontier.share == pytest.approx(0.2)


# --------------------------------------------------------------------------------------
# Frontier definitions


def test_frontier_fit_trend_is_the_frontier_and_has_no_typical_run(line_fit):
    fc = forecast(line_fit, regime_changes="off", cost=False)
    assert fc.frontier.kind == "fit"
    assert fc.quantities == ["frontier_compute_flop"]
    assert fc.to_json_dict()["compute_typical"] is None
    with pytest.raises(FlopcastError, match="already selects frontier runs"):
        forecast(line_fit, cost=False, frontier=0.95)


def test_auto_frontier_quantile_is_the_median_of_the_top_10_share():
    runs = pd.DataFrame(
        {
            "date": pd.date_range("2015-01-01", periods=100, freq="MS"),
            "compute_flop": np.arange(100.0, 0.0, -1.0),
        }
    )
    # Compute falls over time: only the first ten runs were ever top 10.
    assert frontier_share(runs, n=10, window_years=100) == pytest.approx(0.1)
    offsets = np.random.default_rng(5).normal(0.0, 1.0, 300)
    full = hand_fit(line_runs(np.linspace(2000.0, 2021.0, 300), offsets), frontier_rule="none")
    definition = frontier_definition(full)
    share = frontier_share(full.runs)
    assert 0 < share < 1
    assert definition.quantile == pytest.approx(1 - share / 2)
    assert "top 10" in definition.description


# --------------------------------------------------------------------------------------
# Cost


def test_cost_is_compute_over_flop_per_dollar_times_utilization(line_fit):
    fc = forecast(
        line_fit,
        dates=["2026-07-02"],
        regime_changes="off",
        cost=FixedPricePerformance(),
        utilization=0.4,
        thresholds_usd=[1e9],
    )
    row = fc.table().query("quantity == 'frontier_cost_usd'").iloc[0]
    year = fc.draws["year"].values[0]
    compute = LEVEL + SLOPE * (year - T_REF)
    flop_per_usd = 17.0 + 0.1 * (year - 2015.0)
    assert row["median"] == pytest.approx(10.0 ** (compute - flop_per_usd) / 0.4, rel=1e-9)
    # Worked example: log10 cost = 20 + 0.5 (t - 2010) - 17 - 0.1 (t - 2015) - log10(0.4)
    # reaches 9 ($1B) at t = 2022.75 (solved for t below).
    t_cross = (9.0 - LEVEL + SLOPE * T_REF + 17.0 - 0.1 * 2015.0 + math.log10(0.4)) / (SLOPE - 0.1)
    cost_row = fc.threshold_table().query("quantity == 'cost_usd'").iloc[0]
    assert cost_row["median_date"] == pytest.approx(t_cross, abs=EXACT_YEARS)
    assert fc.to_json_dict()["cost_usd"][0]["median"] == pytest.approx(row["median"])


def test_cost_intervals_carry_the_utilization_prior(line_fit):
    from flopcast.cost import UtilizationPrior

    fc = forecast(line_fit, dates=[2026.0], regime_changes="off", cost=FixedPricePerformance())
    row = fc.table().query("quantity == 'frontier_cost_usd'").iloc[0]
    lo, hi = UtilizationPrior().interval(0.9)
    # The compute trend is exact, so the credible interval is the utilization interval
    # (Monte Carlo: sample quantiles of 1000 utilization draws, about 3% sd on the ratio).
    assert row["ci90_high"] / row["ci90_low"] == pytest.approx(hi / lo, rel=0.1)


# --------------------------------------------------------------------------------------
# Future regime changes


def test_regime_change_rate_comes_from_the_spec_and_size_from_the_fit(standard_fit):
    model = regime_changes_for(standard_fit, 2035.0, "on")
    # Default prior record: 3 breaks in 35 data-rich years, Jeffreys prior on the rate.
    assert (model.rate_shape, model.rate_rate) == (3.5, 35.0)
    assert model.rate_mean == pytest.approx(0.1)
    # Size: RMS of ln(slope ratio) over the draws, by hand; the simulated truth is
    # 0.15 -> 0.6 dex/year, ln 4 = 1.39.
    slopes = np.maximum(standard_fit.posterior["slopes"].values.reshape(-1, 2), 0.01)
    rms = np.sqrt(np.mean(np.log(slopes[:, 1] / slopes[:, 0]) ** 2))
    assert model.slope_log_sd == pytest.approx(max(rms, SLOPE_LOG_CHANGE_FLOOR))
    assert model.slope_log_sd == pytest.approx(np.log(4.0), abs=0.2)
    assert model.max_slope == 1.06
    assert model.start == pytest.approx(standard_fit.runs["year"].max())
    assert "Gamma(3.5, 35 years)" in model.describe()


def test_regime_change_settings_follow_the_spec_and_the_arguments(standard_fit):
    spec = standard_fit.spec.with_overrides(
        {
            "forecast.regime_breaks_seen": 2,
            "forecast.regime_years_seen": 29,
            "forecast.regime_slope_log_sd": 0.7,
        }
    )
    refit = Fit(spec, standard_fit.runs, standard_fit.idata, standard_fit.provenance)
    model = regime_changes_for(refit, 2035.0, "on")
    assert (model.rate_shape, model.rate_rate, model.slope_log_sd) == (2.5, 29.0, 0.7)
    given = regime_changes_for(refit, 2035.0, "on", rate=0.2, slope_log_sd=0.3)
    assert (given.rate_mean, given.slope_log_sd) == (0.2, 0.3)
    with pytest.raises(FlopcastError, match="slope_log_sd"):
        regime_changes_for(refit, 2035.0, "on", slope_log_sd=-1.0)
    with pytest.raises(SpecError, match="regime_years_seen"):
        standard_fit.spec.with_overrides({"forecast.regime_years_seen": 0})


def test_auto_regime_changes_are_on_only_beyond_three_years(line_fit):
    last = line_fit.runs["year"].max()
    assert not regime_changes_for(line_fit, last + 2.0, "auto").enabled
    assert regime_changes_for(line_fit, last + 4.0, "auto").enabled
    with pytest.raises(FlopcastError, match="regime_changes"):
        regime_changes_for(line_fit, last + 4.0, "sometimes")


def test_simulated_breaks_start_after_the_data_and_scale_the_slope():
    model = RegimeChanges(True, "on", 2025.0, 3.0, 10.0, 0.8, 0.0, "test")
    paths = RegimePaths.simulate(model, np.full(3000, 0.5), 2060.0, np.random.default_rng(1))
    assert np.all(paths.times[np.isfinite(paths.times)] > 2025.0)
    assert np.all(paths.offset(np.array([2025.0])) == 0.0)
    # Mean number of breaks over 35 years: rate Gamma(3, 10) has mean 0.3 -> 10.5 breaks.
    assert paths.n_breaks.mean() == pytest.approx(10.5, rel=0.1)
    # Each break multiplies the slope by exp(Normal(0, 0.8)): after the first break the
    # log slope ratio has sd 0.8 and mean 0, and every slope stays positive.
    first = paths.n_breaks >= 1
    ratio = np.log((0.5 + paths.slope_changes[first, 0]) / 0.5)
    assert ratio.std() == pytest.approx(0.8, rel=0.06)
    assert abs(ratio.mean()) < 0.05
    final_slope = 0.5 + paths.slope_changes.sum(axis=1)
    assert final_slope.min() > 0


def test_future_break_offsets_match_hand_computed_values_in_any_year_order():
    # Sample 0: one break in 2026 (+0.2 dex/year, jump +0.5); sample 1: breaks in 2027
    # (-0.1/year) and 2030 (+0.3/year, jump -1); sample 2: none.
    paths = RegimePaths(
        times=np.array([[2026.0, np.inf], [2027.0, 2030.0], [np.inf, np.inf]]),
        slope_changes=np.array([[0.2, 0.0], [-0.1, 0.3], [0.0, 0.0]]),
        jumps=np.array([[0.5, 0.0], [0.0, -1.0], [0.0, 0.0]]),
    )
    years = np.array([2032.0, 1960.0, 2026.0, 2028.5])
    expected = np.array(
        [
            [0.2 * 6 + 0.5, 0.0, 0.0, 0.2 * 2.5 + 0.5],
            [-0.1 * 5 + 0.3 * 2 - 1.0, 0.0, 0.0, -0.1 * 1.5],
            [0.0, 0.0, 0.0, 0.0],
        ]
    )
    np.testing.assert_allclose(paths.offset(years), expected, atol=1e-12)
    assert RegimePaths.none(2).offset(years).shape == (2, 4)
    assert not RegimePaths.none(2).offset(years).any()


def test_breaks_in_the_undetectable_window_act_from_the_last_run():
    # Rate 0.2/year: over a 5-year window before the last run, P(at least one break) =
    # 1 - exp(-1) = 0.632; those breaks are moved to the last run, later ones stay later.
    model = RegimeChanges(
        True, "on", 2025.0, 1.0, 1.0, 0.5, 0.0, "test", fixed_rate=0.2, lookback=5.0
    )
    paths = RegimePaths.simulate(model, np.full(20000, 0.5), 2040.0, np.random.default_rng(3))
    at_start = (paths.times == 2025.0).any(axis=1)
    assert at_start.mean() == pytest.approx(1 - np.exp(-1.0), abs=0.015)
    assert np.all(paths.times[np.isfinite(paths.times)] >= 2025.0)
    assert np.all(paths.offset(np.array([2025.0])) == 0.0)  # the level at the last run holds
    assert "undetectable in the fit's last 5 years" in model.describe()


def test_the_undetectable_window_is_the_end_of_the_break_prior(standard_fit):
    assert regime_changes_for(standard_fit, 2035.0, "on").lookback == 5.0
    last = standard_fit.runs["year"].max()
    spec = standard_fit.spec.with_overrides({"priors.break_max": 2015.0})
    early = Fit(spec, standard_fit.runs, standard_fit.idata, standard_fit.provenance)
    assert regime_changes_for(early, 2035.0, "on").lookback == pytest.approx(last - 2015.0)


def test_future_breaks_never_raise_the_slope_above_the_cap():
    capped = RegimeChanges(True, "on", 2025.0, 3.0, 10.0, 1.5, 0.0, "test", max_slope=1.0)
    slopes = np.r_[np.full(2000, 0.5), np.full(2000, 1.4)]
    paths = RegimePaths.simulate(capped, slopes, 2060.0, np.random.default_rng(2))
    running = slopes[:, None] + np.cumsum(paths.slope_changes, axis=1)
    low, high = running[:2000], running[2000:]
    assert low.max() == pytest.approx(1.0)  # reached, never passed
    assert (low == 1.0).any()
    # A slope already above the cap is not raised, but can fall.
    assert high.max() == pytest.approx(1.4) and high.min() < 1.0
    assert "up to 1 dex/year (doubling 3.6 months)" in capped.describe()


def test_regime_changes_widen_long_range_intervals_and_are_stated(line_fit):
    on = forecast(line_fit, until=2040, regime_changes="on", cost=False)
    off = forecast(line_fit, until=2040, regime_changes="off", cost=False)
    last_on, last_off = on.table().iloc[-1], off.table().iloc[-1]
    assert (
        last_on["ci90_high"] / last_on["ci90_low"]
        > 10 * last_off["ci90_high"] / last_off["ci90_low"]
    )
    assert "regime changes ON" in repr(on) and "regime changes OFF" in repr(off)
    assert "slope continues unchanged" in repr(off)
    assert on.to_json_dict()["regime_changes"]["enabled"] is True
    assert "regime_changes" in on.table().attrs


# --------------------------------------------------------------------------------------
# Simulated data with a known future


@pytest.mark.parametrize("regime", ["off", "on"])
def test_the_true_future_trend_lies_inside_the_credible_interval(standard_fit, regime):
    fc = forecast(standard_fit, until=2030, regime_changes=regime, cost=False, frontier=0.95)
    table = fc.table().query("quantity == 'compute_flop'")
    years = fc.draws["year"].values
    truth = piecewise_trend(
        years - T_REF,
        np.asarray(STANDARD_TRUTH.level),
        np.asarray(STANDARD_TRUTH.slopes),
        np.asarray(STANDARD_TRUTH.breaks) - T_REF,
    )
    low, high = np.log10(table["ci90_low"]), np.log10(table["ci90_high"])
    inside = (low.to_numpy() <= truth) & (truth <= high.to_numpy())
    assert inside.all(), f"truth {truth} vs 90% CI {list(zip(low, high, strict=True))}"


def test_future_simulated_runs_fall_in_the_predictive_interval_at_the_nominal_rate(
    standard_fit,
):
    future = Truth(**{**STANDARD_TRUTH.__dict__, "start": 2025.5, "end": 2030.0})
    runs, true_x = simulate_runs(300, future, seed=21, era_weight_recent=1.0)
    years = to_decimal_year_array(runs["date"])
    fc = forecast(standard_fit, dates=list(years), regime_changes="off", cost=False)
    draws = fc.draws["log10_compute_flop_run"].values
    lo, hi = np.quantile(draws, [0.05, 0.95], axis=0)
    inside = (lo <= true_x) & (true_x <= hi)  # runs and dates are both in date order
    # 300 runs sharing one trend error: Monte Carlo tolerance 0.80-0.98 around nominal 0.90.
    assert 0.80 <= inside.mean() <= 0.98, f"predictive 90% coverage {inside.mean():.3f}"


def to_decimal_year_array(dates) -> np.ndarray:
    from flopcast.dates import decimal_year

    return decimal_year(pd.to_datetime(dates))


# --------------------------------------------------------------------------------------
# Outputs


def test_table_has_the_documented_columns_and_ordered_intervals(line_fit):
    # Regime changes off: with them the trend is a mixture (paths with and without a new
    # break), and adding independent scatter to a mixture can lower its 95th percentile, so
    # ci90_high <= pi90_high is not guaranteed in the far tail.
    fc = forecast(line_fit, cost=FixedPricePerformance(), regime_changes="off")
    table = fc.table()
    assert list(table.columns) == [
        "date",
        "quantity",
        "median",
        "ci90_low",
        "ci90_high",
        "pi90_low",
        "pi90_high",
    ]
    assert set(table["quantity"]) == {"frontier_compute_flop", "frontier_cost_usd"}
    assert (table["ci90_low"] <= table["median"]).all()
    assert (table["median"] <= table["ci90_high"]).all()
    assert (table["pi90_low"] <= table["ci90_low"]).all()
    assert (table["ci90_high"] <= table["pi90_high"]).all()
    assert isinstance(fc.draws, xr.Dataset)
    assert fc.draws["log10_frontier_compute_flop_trend"].dims == ("sample", "date")


def test_json_has_the_documented_keys_and_decimal_year_dates(line_fit):
    fc = forecast(line_fit, cost=FixedPricePerformance(), utilization=0.33)
    out = json.loads(json.dumps(fc.to_json_dict()))
    assert {"horizon", "compute", "cost_usd", "thresholds"} <= set(out)
    assert {"regime_changes", "frontier", "intervals", "compute_typical"} <= set(out)
    assert set(out["compute"][0]) == {"date", "median", "ci90", "pi90"}
    assert set(out["cost_usd"][0]) == {"date", "median", "ci90", "pi90"}
    assert set(out["thresholds"][0]) >= {
        "quantity",
        "value",
        "median_date",
        "ci90",
        "prob_by_horizon",
        "crossed_by",
    }
    assert {t["quantity"] for t in out["thresholds"]} == {"compute_flop", "cost_usd"}
    assert isinstance(out["compute"][0]["date"], float) and out["compute"][0]["date"] > 2021
    assert out["horizon"] == pytest.approx(to_decimal_year("2030-12-31"))


def test_printed_forecast_says_what_the_intervals_mean(line_fit):
    fc = forecast(line_fit, cost=False)
    text = repr(fc)
    assert "90% credible interval of the trend" in text
    assert "90% predictive interval for one run" in text
    assert "frontier" in text and "threshold" in text
    assert "<table" in fc._repr_html_()


def test_forecast_refuses_a_horizon_before_the_data(line_fit):
    with pytest.raises(FlopcastError, match="after the last run"):
        forecast(line_fit, until="2010-01-01", cost=False)
    with pytest.raises(FlopcastError, match="cost"):
        forecast(line_fit, cost="rented")


def test_same_seed_gives_identical_forecasts(line_fit):
    a = forecast(line_fit, cost=False, regime_changes="on", seed=5)
    b = forecast(line_fit, cost=False, regime_changes="on", seed=5)
    xr.testing.assert_identical(a.draws, b.draws)


def test_the_package_exports_forecast_and_backtest_as_functions(line_fit):
    import flopcast
    import flopcast.backtesting
    import flopcast.forecasting  # importing the modules must not shadow the functions

    assert flopcast.forecast is forecast
    assert flopcast.backtest is flopcast.backtesting.backtest
    assert isinstance(flopcast.forecast(line_fit, cost=False), flopcast.Forecast)
