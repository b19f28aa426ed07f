"""The cost model: price-performance table and trend, utilization prior, cost draws, cross-check."""

from __future__ import annotations

import csv
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from flopcast.cost import (
    SECONDS_PER_YEAR,
    PricePerformanceFit,
    PricePerformanceSamplingWarning,
    UtilizationPrior,
    constant_dollars,
    cost_draws,
    cross_check_costs,
    fit_price_performance,
    price_performance_table,
    utilization_evidence,
)
from flopcast.exceptions import FlopcastError
from flopcast.units import LOG10_2

DATA = Path(__file__).resolve().parents[1] / "data"

#: Small sampler settings: the machine is shared, and the model has four parameters.
FAST = {"chains": 2, "draws": 300, "tune": 300}


def _index_by_hand() -> dict[str, float]:
    """price_index.csv read with the csv module, month 'YYYY-MM' -> index value."""
    with open(DATA / "price_index.csv", encoding="utf-8", newline="") as handle:
        return {row["date"][:7]: float(row["index"]) for row in csv.DictReader(handle)}


def _n_price_rows() -> int:
    with open(DATA / "hardware_prices.csv", encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def _quiet_fit(**kwargs) -> PricePerformanceFit:
    with warnings.catch_warnings():
        # 600 draws may miss the ESS >= 400 target; the tests check the numbers themselves.
        warnings.simplefilter("ignore", PricePerformanceSamplingWarning)
        return fit_price_performance(**kwargs)


# --- the price-performance table ----------------------------------------------------------


@pytest.mark.parametrize("kind", ["cloud", "purchase"])
def test_every_price_quote_is_either_used_or_excluded_with_a_reason(kind: str) -> None:
    used, excluded = price_performance_table(kind)
    n_rows = _n_price_rows()
    used_rows, excluded_rows = set(used["price_row"]), set(excluded["price_row"])
    assert not used_rows & excluded_rows, "a quote is both used and excluded"
    assert len(used) + len(excluded) == n_rows, (
        f"{kind}: {len(used)} used + {len(excluded)} excluded != {n_rows} quotes in the file"
    )
    assert used_rows | excluded_rows == set(range(n_rows))
    assert excluded["reason"].str.strip().str.len().gt(0).all()
    assert len(used) > 50
    assert np.isfinite(used["log10_flop_per_usd"]).all()
    assert set(used["precision"]) <= {"tensor_fp16_bf16", "fp32"}


def test_exclusion_reasons_name_the_rule_that_removed_each_quote() -> None:
    _, cloud_excluded = price_performance_table("cloud")
    committed = cloud_excluded["detail"].str.contains("committed")
    assert (cloud_excluded.loc[committed, "reason"] == "not a cloud_on_demand price").all()

    _, excluded = price_performance_table("purchase")
    by_chip = excluded[excluded["source_kind"] == "purchase"].set_index("hardware")
    assert by_chip.loc["Intel Xeon Phi 31S1P", "reason"] == "not an ML accelerator"
    assert by_chip.loc["Intel Xeon Phi 31S1P", "detail"] == "type CPU"
    assert by_chip.loc["Google TPU v3", "reason"] == "estimated price (is_estimate)"
    assert by_chip.loc["GroqChip LPU v1", "reason"].startswith("no peak FLOP/s")
    assert by_chip.loc["NVIDIA Tesla K40s", "reason"].startswith("dated more than 365 days")

    used_with_estimates, _ = price_performance_table("purchase", include_estimates=True)
    assert "Google TPU v3" in set(used_with_estimates["hardware"])


def test_unknown_kind_is_refused_with_the_choices() -> None:
    with pytest.raises(FlopcastError, match="'cloud' or 'purchase'"):
        price_performance_table("rental")


# --- constant dollars ---------------------------------------------------------------------


def test_constant_dollars_match_the_price_index_worked_by_hand() -> None:
    index = _index_by_hand()
    base_2023 = sum(index[f"2023-{m:02d}"] for m in range(1, 13)) / 12
    expected = 100.0 * base_2023 / index["2018-03"]
    assert constant_dollars(100.0, "2018-03-15")[0] == pytest.approx(expected, rel=1e-12)
    # The index is 100 in December 2000 and 100.6 in January 2001 (data/price_index.csv).
    assert constant_dollars(100.6, "2001-01-31", base_year=2000)[0] == pytest.approx(100.0)
    assert np.isnan(constant_dollars(1.0, "1999-06-01")[0])  # before the index starts


def test_cloud_and_purchase_flop_per_dollar_are_worked_from_the_index_by_hand() -> None:
    index = _index_by_hand()
    base_2023 = sum(index[f"2023-{m:02d}"] for m in range(1, 13)) / 12

    cloud, _ = price_performance_table("cloud")
    row = cloud[(cloud["hardware"] == "NVIDIA H100 SXM5 80GB") & (cloud["usd_nominal"] == 1.99)]
    assert len(row) == 1
    row = row.iloc[0]
    usd_2023 = 1.99 * base_2023 / index["2023-06"]  # quoted 2023-06-20
    assert row["usd_constant"] == pytest.approx(usd_2023, rel=1e-12)
    assert row["precision"] == "tensor_fp16_bf16"
    assert row["flop_per_usd"] == pytest.approx(9.894e14 * 3600 / usd_2023, rel=1e-12)

    purchase, _ = price_performance_table("purchase", base_year=2020, useful_life_years=4.0)
    row = purchase[purchase["hardware"] == "NVIDIA GeForce GTX 580"].iloc[0]
    base_2020 = sum(index[f"2020-{m:02d}"] for m in range(1, 13)) / 12
    usd_2020 = 499.0 * base_2020 / index["2010-11"]  # quoted 2010-11-09, before tensor cores
    assert row["precision"] == "fp32"
    expected = row["peak_flops"] * 4.0 * 365.25 * 86400 / usd_2020
    assert row["flop_per_usd"] == pytest.approx(expected, rel=1e-12)
    assert SECONDS_PER_YEAR == 365.25 * 86400


# --- cost arithmetic ----------------------------------------------------------------------


class _PointMass:
    """A price-performance 'fit' whose every draw is the same value."""

    def __init__(self, log10_flop_per_usd: float, n_draws: int) -> None:
        self.value = log10_flop_per_usd
        self.n_draws = n_draws

    def draws_at(self, years: np.ndarray) -> np.ndarray:
        return np.full((self.n_draws, len(np.atleast_1d(years))), self.value)


def test_cost_of_1e24_flop_at_1e17_flop_per_dollar_and_40_percent_utilization_is_25m() -> None:
    # 1e24 FLOP / (1e17 FLOP/USD * 0.4) = 1e7 / 0.4 = 2.5e7 USD.
    compute = np.full((50, 2), 24.0)
    cost = cost_draws(compute, np.array([2020.0, 2030.0]), _PointMass(17.0, 80), 0.4, rng=1)
    assert cost.shape == (50, 2)
    np.testing.assert_allclose(cost, 2.5e7, rtol=1e-12)
    assert cost_draws(24.0, 2023.0, pp_fit=17.0, utilization=0.4)[0, 0] == pytest.approx(2.5e7)


def test_cost_draws_pair_compute_and_price_performance_draws_by_index() -> None:
    # Compute and price-performance rise together draw by draw: only pairing by index
    # gives 2.5e7 for every draw.
    shift = np.linspace(0.0, 3.0, 400)[:, None]
    cost = cost_draws(24.0 + shift, [2023.0], 17.0 + shift, np.full(400, 0.4), rng=0)
    np.testing.assert_allclose(cost, 2.5e7, rtol=1e-9)


def test_cost_draws_carry_both_compute_and_price_uncertainty() -> None:
    rng = np.random.default_rng(3)
    compute = 24.0 + 0.2 * rng.standard_normal((4000, 1))
    pp = 17.0 + 0.1 * rng.standard_normal((1000, 1))  # fewer draws: resampled
    cost = cost_draws(compute, [2023.0], pp, UtilizationPrior(), rng=rng)
    assert cost.shape == (4000, 1)
    log_cost = np.log10(cost[:, 0])
    u = UtilizationPrior().draws(200_000, np.random.default_rng(0))
    sd_expected = np.sqrt(0.2**2 + 0.1**2 + np.log10(u).var())
    assert log_cost.std() == pytest.approx(sd_expected, rel=0.1)
    # A point-valued compute takes its sample count from the price-performance draws.
    assert cost_draws(24.0, [2023.0, 2024.0], pp, 0.33, rng=0).shape == (1000, 2)


def test_cost_draws_refuse_utilization_outside_zero_to_one() -> None:
    with pytest.raises(FlopcastError, match="utilization"):
        cost_draws(24.0, 2023.0, 17.0, 1.5)


# --- utilization prior --------------------------------------------------------------------


def test_utilization_prior_median_and_interval_are_as_documented() -> None:
    prior = UtilizationPrior()
    assert (prior.alpha, prior.beta) == (8.0, 16.0)
    assert prior.mean == pytest.approx(1 / 3)
    assert prior.median == pytest.approx(0.329, abs=5e-4)
    lo, hi = prior.interval(0.9)
    assert (round(lo, 3), round(hi, 3)) == (0.186, 0.496)
    draws = prior.draws(100_000, np.random.default_rng(0))
    assert np.quantile(draws, [0.05, 0.5, 0.95]) == pytest.approx([lo, prior.median, hi], abs=3e-3)
    assert draws.min() > 0 and draws.max() < 1


def test_utilization_evidence_summarises_the_runs_next_to_the_prior() -> None:
    table = utilization_evidence()
    assert table.loc["all runs", "n"] > 30
    lo, hi = UtilizationPrior().interval(0.9)
    for row in ("all runs", "runs >= 1e+24 FLOP"):
        assert lo < table.loc[row, "median"] < hi


# --- cross-check --------------------------------------------------------------------------


def test_cross_check_ratio_is_one_when_model_and_record_agree() -> None:
    runs = pd.DataFrame(
        {
            "system": ["exact", "no cost", "no compute"],
            "date": ["2023-01-01", "2023-01-01", "2023-01-01"],
            "compute_flop": [1e24, 1e24, np.nan],
            "cost_usd": [2.5e7, np.nan, 1e6],
        }
    )
    check = cross_check_costs(runs, pp_fit=17.0, utilization=0.4)
    assert list(check.runs["system"]) == ["exact"]
    assert check.runs.loc[0, "ratio_median"] == pytest.approx(1.0)
    assert check.summary["median_ratio"] == pytest.approx(1.0)
    assert check.summary["n_skipped"] == 1
    assert check.runs.loc[0, "model_cost_ci90_low"] == pytest.approx(2.5e7)
    assert check.runs.loc[0, "ratio_ci90_high"] == pytest.approx(1.0)
    assert json.loads(json.dumps(check.to_dict()))["json_version"] == 2


# --- the Bayesian trend -------------------------------------------------------------------


@pytest.fixture(scope="module")
def simulated_fit() -> tuple[PricePerformanceFit, float]:
    """150 simulated quotes doubling every 2.5 years, 0.3 dex Normal noise."""
    truth_doubling = 2.5
    rng = np.random.default_rng(11)
    years = rng.uniform(2010.0, 2025.0, 150)
    y = 17.0 + LOG10_2 / truth_doubling * (years - 2015.0) + 0.3 * rng.standard_normal(150)
    observations = pd.DataFrame({"year": years, "log10_flop_per_usd": y})
    return _quiet_fit(observations=observations, seed=5, **FAST), truth_doubling


def test_trend_recovers_a_known_doubling_time(simulated_fit) -> None:
    fit, truth = simulated_fit
    row = fit.summary().loc["doubling_years"]
    assert row["ci90_low"] <= truth <= row["ci90_high"], (
        f"true doubling time {truth} years outside the 90% interval "
        f"[{row['ci90_low']:.3f}, {row['ci90_high']:.3f}] (median {row['median']:.3f})"
    )
    months = fit.summary().loc["doubling_months"]
    assert months["median"] == pytest.approx(12 * row["median"])
    level = fit.summary().loc["level_2023"]
    expected_level = 17.0 + LOG10_2 / truth * 8.0
    assert level["ci90_low"] <= expected_level <= level["ci90_high"], level.to_dict()
    assert fit.diagnostics.divergences == 0


def test_trend_draws_have_one_column_per_year_and_follow_the_slope(simulated_fit) -> None:
    fit, _ = simulated_fit
    draws = fit.draws_at(np.array([2015.0, 2025.0]))
    assert draws.shape == (fit.n_draws, 2)
    np.testing.assert_allclose(draws[:, 1] - draws[:, 0], 10 * fit.slope_draws())
    noisy = fit.draws_at(np.array([2015.0]), predictive=True, rng=0)
    assert noisy.std() > draws[:, 0].std()


def test_fit_to_dict_is_json_and_same_seed_gives_same_draws(simulated_fit) -> None:
    fit, _ = simulated_fit
    payload = json.loads(json.dumps(fit.to_dict()))
    assert payload["json_version"] == 2
    assert list(fit.summary().columns) == ["median", "ci90_low", "ci90_high", "unit"]
    assert (
        payload["summary"]["doubling_years"]["ci90"][0]
        < payload["summary"]["doubling_years"]["median"]
    )
    assert set(payload["diagnostics"]) >= {"max_rhat", "min_ess_bulk", "divergences", "ok"}
    again = _quiet_fit(observations=fit.table, seed=5, **FAST)  # compiled model reused
    np.testing.assert_array_equal(again.slope_draws(), fit.slope_draws())
    assert again.settings["timings_s"]["compiled_model_reused"] == 1.0


def test_bundled_cloud_prices_give_a_rising_trend_and_a_full_account() -> None:
    fit = _quiet_fit(kind="cloud", seed=2, **FAST)
    summary = fit.summary()
    assert summary.loc["slope", "ci90_low"] > 0, summary
    payload = fit.to_dict()
    assert payload["data"]["n_used"] + payload["data"]["n_excluded"] == _n_price_rows()
    assert "PricePerformanceFit" in repr(fit)


def test_failed_diagnostics_warn_loudly() -> None:
    observations = pd.DataFrame({"year": [2015.0, 2016.0, 2017.0], "log10_flop_per_usd": 17.0})
    with pytest.warns(PricePerformanceSamplingWarning, match="SAMPLING PROBLEMS"):
        fit_price_performance(observations=observations, seed=0, chains=1, draws=50, tune=50)


@pytest.mark.slow
def test_doubling_time_intervals_cover_the_truth_about_90_percent_of_the_time() -> None:
    truth, n_sets, hits = 2.5, 20, 0
    for k in range(n_sets):
        rng = np.random.default_rng(100 + k)
        years = rng.uniform(2010.0, 2025.0, 150)
        y = 17.0 + LOG10_2 / truth * (years - 2015.0) + 0.3 * rng.standard_normal(150)
        fit = _quiet_fit(
            observations=pd.DataFrame({"year": years, "log10_flop_per_usd": y}), seed=k, **FAST
        )
        row = fit.summary().loc["doubling_years"]
        hits += row["ci90_low"] <= truth <= row["ci90_high"]
    # Binomial(20, 0.9): fewer than 15 hits has probability about 1%.
    assert hits >= 15, f"90% intervals covered the true doubling time {hits}/{n_sets} times"
