"""A forecast whose frontier comes from a separate frontier fit (``frontier_fit=``).

Hand-built fits (every draw on one line, :func:`conftest.hand_fit`): the population on
20 + 0.5 (t - 2010), the frontier fit on 21 + 0.6 (t - 2010), so every median is exact by
hand. No sampler runs here.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import xarray as xr

from conftest import LEVEL, SLOPE, FixedPricePerformance, hand_fit, line_runs
from flopcast.exceptions import FlopcastError
from flopcast.fitting import Fit
from flopcast.forecasting import forecast
from flopcast.forecasting.frontier_source import align_draws, n_draws
from flopcast.spec import T_REF, ModelSpec

EXACT_YEARS = 1e-9
F_LEVEL, F_SLOPE = 21.0, 0.6  # the frontier fit's line
YEARS = np.linspace(2000.0, 2021.0, 30)


def frontier_hand_fit(chains: int = 2, draws: int = 500, name: str = "frontier_test") -> Fit:
    """A frontier fit (top-10 rule) of the same runs, every draw on the frontier's line."""
    base = hand_fit(line_runs(YEARS), chains=chains, draws=draws)
    post = base.posterior
    post = post.assign(
        level=xr.full_like(post["level"], F_LEVEL), slopes=xr.full_like(post["slopes"], F_SLOPE)
    )
    spec = ModelSpec.from_dict({**base.spec.to_dict(), "name": name})
    return Fit(spec, base.runs, {"posterior": post}, dict(base.provenance))


@pytest.fixture(scope="module")
def population() -> Fit:
    return hand_fit(line_runs(YEARS), frontier_rule="none")


def test_frontier_numbers_come_from_the_frontier_fit_the_rest_from_the_population(population):
    front = frontier_hand_fit()
    fc = forecast(
        population,
        regime_changes="off",
        cost=FixedPricePerformance(),
        utilization=0.4,
        thresholds_flop=[1e31],
        thresholds_usd=[1e12],
        frontier_fit=front,
    )
    table = fc.table()
    years = fc.draws["year"].values
    frontier = table.query("quantity == 'frontier_compute_flop'")
    typical = table.query("quantity == 'compute_flop'")
    cost = table.query("quantity == 'frontier_cost_usd'")
    log_front = F_LEVEL + F_SLOPE * (years - T_REF)
    np.testing.assert_allclose(frontier["median"], 10.0**log_front, rtol=1e-9)
    np.testing.assert_allclose(frontier["ci90_high"], 10.0**log_front, rtol=1e-9)
    np.testing.assert_allclose(typical["median"], 10.0 ** (LEVEL + SLOPE * (years - T_REF)))
    flop_per_usd = 17.0 + 0.1 * (years - 2015.0)
    np.testing.assert_allclose(cost["median"], 10.0 ** (log_front - flop_per_usd) / 0.4, rtol=1e-9)
    # One frontier run: the frontier fit's scatter (0.3 dex) around its trend.
    half_width = np.log10(frontier["pi90_high"].to_numpy()) - log_front
    np.testing.assert_allclose(half_width, 1.645 * 0.3, atol=0.05)
    # Crossings of the frontier fit's line: 21 + 0.6 (t - 2010) = 31 at t = 2026.67; the
    # population quantile would cross years later.
    rows = fc.threshold_table().set_index("quantity")
    assert rows.loc["compute_flop", "median_date"] == pytest.approx(
        T_REF + (31.0 - F_LEVEL) / F_SLOPE, abs=EXACT_YEARS
    )
    t_usd = (12.0 - F_LEVEL + F_SLOPE * T_REF + 17.0 - 0.1 * 2015.0 + math.log10(0.4)) / (
        F_SLOPE - 0.1
    )
    assert rows.loc["cost_usd", "median_date"] == pytest.approx(t_usd, abs=EXACT_YEARS)


def test_the_forecast_says_which_model_the_frontier_comes_from(population):
    fc = forecast(population, regime_changes="off", cost=False, frontier_fit=frontier_hand_fit())
    assert fc.frontier.kind == "fit" and fc.frontier.separate
    assert fc.frontier.spec_name == "frontier_test"
    assert fc.frontier.data_sha256 == "hand-made"
    assert fc.frontier_model == "frontier model 'frontier_test' (data sha256 hand-made)"
    block = json.loads(json.dumps(fc.to_json_dict()))["frontier"]
    assert block["spec"] == "frontier_test" and block["separate_fit"] is True
    assert block["data_sha256"] == "hand-made"
    assert block["regime_changes"]["enabled"] is False
    assert "frontier_test" in fc.table().attrs["frontier"]
    assert "frontier_test" in fc.format_tables()
    assert fc.draws.attrs["frontier_regime_changes"].startswith("future regime changes OFF")
    # Without a frontier fit the population quantile is named with its own spec.
    alone = forecast(population, regime_changes="off", cost=False)
    assert alone.frontier.spec_name == "test" and not alone.frontier.separate
    assert json.loads(json.dumps(alone.to_json_dict()))["frontier"]["regime_changes"] is None
    assert alone.frontier_model.startswith("population quantile")


def test_frontier_fit_draws_are_paired_with_the_population_when_their_numbers_differ(
    population,
):
    small = frontier_hand_fit(chains=1, draws=300)
    aligned = align_draws(small, n_draws(population))
    assert n_draws(aligned) == 1000
    scatter = small.posterior["scatter"].values.ravel()
    np.testing.assert_array_equal(
        aligned.posterior["scatter"].values.ravel(), scatter[np.arange(1000) % 300]
    )
    assert align_draws(population, 1000) is population
    fc = forecast(population, regime_changes="off", cost=False, frontier_fit=small)
    assert fc.draws.sizes["sample"] == 1000
    row = fc.table().query("quantity == 'frontier_compute_flop'").iloc[-1]
    year = fc.draws["year"].values[-1]
    assert row["median"] == pytest.approx(10.0 ** (F_LEVEL + F_SLOPE * (year - T_REF)))


def test_same_seed_gives_the_same_forecast_with_a_frontier_fit(population):
    front = frontier_hand_fit()
    a = forecast(population, cost=False, until=2035, frontier_fit=front, seed=3)
    b = forecast(population, cost=False, until=2035, frontier_fit=front, seed=3)
    assert a.frontier_regime is not None and a.frontier_regime.enabled
    xr.testing.assert_identical(a.draws, b.draws)


def test_a_frontier_fit_that_cannot_give_the_frontier_is_refused_by_name(population):
    front = frontier_hand_fit()
    with pytest.raises(FlopcastError, match=r"frontier=0\.95 with frontier_fit"):
        forecast(population, cost=False, frontier=0.95, frontier_fit=front)
    with pytest.raises(FlopcastError, match="spec 'test' has no frontier rule"):
        forecast(population, cost=False, frontier_fit=population)
    with pytest.raises(FlopcastError, match="already selects frontier runs"):
        forecast(front, cost=False, frontier_fit=front)
    with pytest.raises(FlopcastError, match="must be a Fit"):
        forecast(population, cost=False, frontier_fit="frontier_2008")  # type: ignore[arg-type]
    other = Fit(front.spec, front.runs, {"posterior": front.posterior}, {"data_sha256": "other"})
    with pytest.raises(FlopcastError, match="fitted to other data"):
        forecast(population, cost=False, frontier_fit=other)


def test_adding_a_frontier_fit_leaves_the_typical_run_and_counts_draw_for_draw(population):
    alone = forecast(population, cost=False, until=2035, seed=3)
    both = forecast(population, cost=False, until=2035, seed=3, frontier_fit=frontier_hand_fit())
    for name in ("log10_compute_flop_trend", "log10_compute_flop_run", "future_breaks"):
        np.testing.assert_array_equal(alone.draws[name].values, both.draws[name].values)
    assert alone.count_table().equals(both.count_table())
    assert not np.array_equal(
        alone.draws["log10_frontier_compute_flop_trend"].values,
        both.draws["log10_frontier_compute_flop_trend"].values,
    )
