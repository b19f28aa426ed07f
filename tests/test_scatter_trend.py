"""A scatter that varies smoothly in time (``[model] scatter_trend = true``).

``scatter(t) = scatter * exp(gamma * (clip(t, first, last) - last))``: ``scatter`` is its
value at the last run, ``gamma`` the change of ln(scatter) per year, and it is held at its
end values outside the data's years. Checks: the factor by hand, the model's log density
against the closed-form marginal likelihood, the draws held after the last run, and a fit
that recovers a known ``gamma`` from simulated runs.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from scipy import stats

from conftest import fast_spec
from flopcast.dates import decimal_year
from flopcast.fitting import scatter_draws
from flopcast.simulate import Truth, simulate_runs
from flopcast.spec import T_REF, ModelStructure, PriorSpec
from flopcast.trend import scatter_time_factor


def test_factor_is_log_linear_inside_the_data_and_held_outside():
    years = np.array([1990.0, 2000.0, 2005.0, 2010.0, 2040.0])
    f = scatter_time_factor(years, np.array([-0.1, 0.2]), np.array([[2000.0, 2010.0]] * 2))
    expected = np.exp(np.array([[-0.1], [0.2]]) * (np.array([2000, 2000, 2005, 2010, 2010]) - 2010))
    assert f == pytest.approx(expected, rel=1e-12)


def test_scatter_draws_use_the_trend_and_stop_at_the_last_run():
    post = xr.Dataset(
        {
            "scatter": (("chain", "draw"), np.array([[0.5, 0.8]])),
            "scatter_trend": (("chain", "draw"), np.array([[-0.05, 0.0]])),
            "scatter_years": (("chain", "draw", "scatter_span"), np.array([[[2008, 2017.5]] * 2])),
        }
    )
    got = scatter_draws(post, np.array([2008.0, 2017.5, 2030.0]))
    assert got[0] == pytest.approx([0.5 * np.exp(0.05 * 9.5), 0.5, 0.5], rel=1e-12)
    assert got[1] == pytest.approx([0.8, 0.8, 0.8], rel=1e-12)


def test_marginal_log_density_matches_the_closed_form():
    from flopcast.model import ModelInputs, build_model, default_hyper

    rng = np.random.default_rng(4)
    t = np.sort(rng.uniform(-2, 8, 40))
    sigma = np.full(t.size, 0.3)
    inputs = ModelInputs(
        t=t,
        y=20 + 0.5 * t + rng.normal(0, 0.6, t.size),
        sigma=sigma,
        group=np.zeros(t.size, int),
        hyper=default_hyper(PriorSpec(), -10.0, 10.0),
    )
    model = build_model(ModelStructure(breaks=0, scatter_trend=True), inputs)
    assert {v.name for v in model.free_RVs} == {"level", "slopes", "scatter", "scatter_trend"}
    logp = model.compile_logp()
    for level, slope, scatter, gamma in [(20.0, 0.5, 0.6, 0.0), (19.5, 0.4, 0.3, -0.12)]:
        point = {
            "level": level,
            "slopes": np.array([slope]),
            "scatter_log__": np.log(scatter),
            "scatter_trend": gamma,
        }
        sd_t = scatter * np.exp(gamma * (t - t.max()))
        expected = (
            stats.norm.logpdf(inputs.y, level + slope * t, np.sqrt(sd_t**2 + sigma**2)).sum()
            + stats.norm.logpdf(level, 20.0, 5.0)
            + stats.norm.logpdf(slope, 0.3, 1.0)
            + stats.halfnorm.logpdf(scatter, scale=2.0)
            + np.log(scatter)  # Jacobian of the log transform
            + stats.norm.logpdf(gamma, 0.0, 0.05)
        )
        assert float(logp(point)) == pytest.approx(expected, rel=1e-9)


def test_scatter_trend_and_per_era_scatter_are_alternatives():
    with pytest.raises(ValueError, match="alternatives"):
        ModelStructure(breaks=1, scatter_per_era=True, scatter_trend=True)


def test_a_fit_recovers_a_known_scatter_trend(tmp_path):
    # One trend 2000-2025; the scatter falls from 1.5 dex (2000) to 0.45 (2025):
    # gamma = ln(0.3) / 25 = -0.048 per year. Simulated with a constant scatter of 1, then
    # each run's deviation from the trend is rescaled by the known scatter at its date
    # (the measurement error is kept), so the runs follow the model exactly.
    gamma, last_scatter = np.log(0.3) / 25.0, 0.45
    truth = Truth(breaks=(), slopes=(0.5,), level=20.0, scatter=1.0, start=2000.0, end=2025.0)
    runs, x = simulate_runs(300, truth, seed=6, era_weight_recent=1.0)
    years = np.asarray(decimal_year(runs["date"]), dtype=float)
    mu = 20.0 + 0.5 * (years - T_REF)
    scale = last_scatter * np.exp(gamma * (years - years.max()))
    y = np.log10(runs["compute_flop"].to_numpy())
    runs["compute_flop"] = 10.0 ** (y - x + mu + (x - mu) * scale)

    from flopcast.fitting import fit

    # 1500 tuning steps: with 1000 the slope's R-hat was 1.02 on another simulated data set.
    sampler = {"chains": 2, "draws": 500, "tune": 1500, "seed": 7}
    spec = fast_spec(model={"breaks": 0, "scatter_trend": True}, sampler=sampler)
    fitted = fit(runs, spec, progress=False)
    assert fitted.diagnostics.ok, fitted.diagnostics
    post = fitted.posterior
    g = post["scatter_trend"].values.ravel()
    lo, hi = np.quantile(g, [0.05, 0.95])
    assert lo < gamma < hi and hi < 0, f"gamma 90% interval [{lo:.3f}, {hi:.3f}]"
    s_lo, s_hi = np.quantile(post["scatter"].values.ravel(), [0.05, 0.95])
    assert s_lo < last_scatter < s_hi, f"scatter at the last run [{s_lo:.3f}, {s_hi:.3f}]"
    first, last = post["scatter_years"].values[0, 0]
    assert first == pytest.approx(years.min()) and last == pytest.approx(years.max())
    # The saved fit reloads with the same scatter at every date.
    from flopcast.fitting import load_fit

    fitted.save(tmp_path / "fit.nc")
    grid = np.array([1990.0, 2010.0, 2030.0])
    reloaded = scatter_draws(load_fit(tmp_path / "fit.nc").posterior, grid)
    assert reloaded == pytest.approx(scatter_draws(post, grid), rel=1e-12)
