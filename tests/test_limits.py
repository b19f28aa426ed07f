"""Ceilings on a frontier run: the soft minimum, never exceeded, on/off, outputs."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import FixedPricePerformance
from flopcast.cli import main
from flopcast.exceptions import SpecError
from flopcast.forecasting import forecast
from flopcast.forecasting.limits import LimitDraws, limits_enabled, soft_minimum
from flopcast.spec import LimitsSpec, ModelSpec

LIMITS_ON = LimitsSpec(mode="on")


def test_soft_minimum_is_below_both_and_follows_the_lower():
    y = np.linspace(10.0, 40.0, 301)[None, :]
    c = np.full_like(y, 25.0)
    s = soft_minimum(y, c, 0.3)
    assert np.all(s <= np.minimum(y, c))
    assert s[0, 0] == pytest.approx(10.0, abs=1e-9)
    assert s[0, -1] == pytest.approx(25.0, abs=1e-9)
    assert np.all(np.diff(s) >= 0)  # increasing, saturating at the ceiling


def test_default_ceilings_are_the_published_2030_ranges():
    spec = LimitsSpec()
    by_name = {c.name: c for c in spec.ceilings}
    assert (by_name["power"].low_2030, by_name["power"].high_2030) == (2e28, 2e30)
    assert (by_name["chip production"].low_2030, by_name["chip production"].high_2030) == (
        1e29,
        5e30,
    )
    assert (by_name["data"].low_2030, by_name["data"].high_2030) == (6e28, 2e32)
    assert (by_name["latency"].low_2030, by_name["latency"].high_2030) == (3e30, 1e32)
    assert (by_name["bandwidth"].low_2030, by_name["bandwidth"].high_2030) == (3e29, 2e31)
    assert {c.name for c in spec.ceilings if c.applies_to == "cost_usd"} == {
        "world output",
        "developer capex",
    }
    assert all(c.source for c in spec.ceilings)
    draws = LimitDraws.draw(spec, 20000, 2025.0, None, seed=1)
    power = np.quantile(
        draws.ceiling_flop(draws.names.index("power"), np.array([2030.5])), [0.05, 0.95]
    )
    assert power == pytest.approx([28.3, 30.3], abs=0.05)
    assert draws.skipped == ("world output", "developer capex")


def test_limits_spec_is_validated():
    with pytest.raises(SpecError, match="low_2030"):
        ModelSpec.from_dict(
            {
                "limits": {
                    "ceilings": [
                        {"name": "x", "low_2030": 2.0, "high_2030": 1.0, "growth_per_year": 1.1}
                    ]
                }
            }
        )
    assert ModelSpec().with_overrides({"limits.looser": 10.0}).limits.looser == 10.0


def test_auto_is_on_only_more_than_three_years_past_the_data():
    assert limits_enabled("auto", LimitsSpec(), 2030.99, 2025.4)[0]
    assert not limits_enabled("auto", LimitsSpec(), 2027.0, 2025.4)[0]
    assert not limits_enabled("off", LimitsSpec(), 2040.0, 2025.4)[0]
    assert limits_enabled(True, LimitsSpec(), 2026.0, 2025.4)[0]
    assert not limits_enabled(None, LimitsSpec(mode="off"), 2040.0, 2025.4)[0]


def test_no_draw_ever_exceeds_its_ceiling(standard_fit):
    fc = forecast(
        standard_fit,
        until="2032-12-31",
        cost=FixedPricePerformance(),
        limits=LIMITS_ON,
        seed=5,
        thresholds_flop=[1e31],
    )
    d = fc.draws
    ceiling = d["log10_ceiling_compute_flop"].values
    for name in (
        "log10_compute_flop_trend",
        "log10_compute_flop_run",
        "log10_frontier_compute_flop_trend",
        "log10_frontier_compute_flop_run",
    ):
        assert np.all(d[name].values <= ceiling), name
    cost_ceiling = d["log10_ceiling_cost_usd"].values
    for part in ("trend", "run"):
        assert np.all(d[f"log10_frontier_cost_usd_{part}"].values < cost_ceiling + 1e-9)
    # The standard data's trend (0.6 dex/yr) runs far past every ceiling: they bind.
    binding = fc.limits.binding
    assert np.allclose(binding.groupby("year")["probability"].sum(), 1.0)
    last = binding[binding["year"] == binding["year"].max()].set_index("name")["probability"]
    assert last["none"] < 0.05
    # The trend (1e29 FLOP in 2025, unlimited 1e33 by 2032) crosses 1e31 FLOP by the
    # horizon only in the samples whose ceiling is above it.
    crossed = d["crossing_year"].sel(threshold="compute_flop 1e+31").values <= fc.horizon
    assert np.all(ceiling[crossed, -1] > 31.0)
    assert np.mean(crossed) < 0.5


def test_limits_off_gives_the_forecast_without_limits_draw_for_draw(standard_fit):
    off = forecast(
        standard_fit, until="2028-12-31", cost=FixedPricePerformance(), seed=9, limits="off"
    )
    # Ceilings 1e12 times looser change nothing in float64, but the limits step runs:
    # its draws come from their own generator, so every other draw is the same.
    loose = forecast(
        standard_fit,
        until="2028-12-31",
        cost=FixedPricePerformance(),
        seed=9,
        limits=LimitsSpec(mode="on", looser=1e12),
    )
    on = forecast(
        standard_fit, until="2028-12-31", cost=FixedPricePerformance(), seed=9, limits=LIMITS_ON
    )
    for name in off.draws.data_vars:
        np.testing.assert_array_equal(
            off.draws[name].values, loose.draws[name].values, err_msg=str(name)
        )
    assert not off.limits.enabled and "log10_ceiling_compute_flop" not in off.draws
    assert on.limits.enabled
    late = on.draws["log10_frontier_compute_flop_trend"].values[:, -1]
    assert np.all(late < off.draws["log10_frontier_compute_flop_trend"].values[:, -1])
    # Counts and the draws before the limits are the same generator's, so off equals loose.
    np.testing.assert_array_equal(off.counts.draws, loose.counts.draws)


def test_limits_in_tables_json_and_text(standard_fit):
    fc = forecast(standard_fit, until="2031-12-31", cost=False, limits=LIMITS_ON, seed=2)
    table = fc.limits_table()
    assert {"name", "median", "ci90_low", "ci90_high", "source", "p_binding_last"} <= set(table)
    assert not table.set_index("name").loc["developer capex", "used"]  # no cost: no cost ceiling
    block = fc.to_json_dict()["limits"]
    assert block["enabled"] is True
    assert {"name", "at_2030", "source"} <= set(block["ceilings"][0])
    assert set(block["ceilings"][0]["at_2030"]) == {"median", "ci90"}
    assert {"year", "name", "probability"} == set(block["binding"][0])
    text = fc.format_tables()
    assert "limits on (asked)" in text and "probability that each ceiling binds" in text


def test_cli_forecast_takes_limits(standard_fit, tmp_path):
    path = standard_fit.save(tmp_path / "fit.nc")
    runner = CliRunner()
    out = tmp_path / "s.json"
    args = ["forecast", "--fit", str(path), "--cost", "none", "--json", str(out)]
    result = runner.invoke(main, [*args, "--limits", "off"])
    assert result.exit_code == 0, result.output
    assert "limits off (asked)" in result.output
    assert "runs above each threshold" in result.output
    assert json.loads(out.read_text())["forecast"]["limits"]["enabled"] is False
    result = runner.invoke(main, [*args, "--limits", "on"])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["forecast"]["limits"]["enabled"] is True
