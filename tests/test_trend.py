"""Exact checks of the pure pieces: the piecewise trend, era weights and the closed form."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from scipy import stats

from flopcast.dates import decimal_year_to_date
from flopcast.fitting import latent_posterior
from flopcast.trend import (
    JUMP_WIDTH_YEARS,
    KINK_WIDTH_YEARS,
    era_index,
    era_weights,
    piecewise_trend,
)

#: A kink width so small that the rounded trend equals the exact piecewise line.
SHARP = 1e-9

EXACT = 1e-12


def test_single_trend_is_a_straight_line_through_the_level_at_zero():
    mu = piecewise_trend(np.array([-1.0, 0.0, 3.0]), np.array(18.0), np.array([0.5]))
    np.testing.assert_allclose(mu, [17.5, 18.0, 19.5], atol=EXACT)


def test_two_eras_are_continuous_at_the_break_with_their_own_slopes():
    t = np.array([-20.0, -1.0, 0.0, 1.0, 4.0])
    mu = piecewise_trend(
        t, np.array(20.0), np.array([0.15, 0.6]), np.array([0.0]), kink_width=SHARP
    )
    np.testing.assert_allclose(mu, [17.0, 19.85, 20.0, 20.6, 22.4], atol=EXACT)


def test_three_eras_by_hand():
    # Breaks at -10 and 5; slopes 0.1, 0.5, 0.2; level 20 just before the first break.
    t = np.array([-15.0, -10.0, 0.0, 5.0, 10.0])
    mu = piecewise_trend(
        t, np.array(20.0), np.array([0.1, 0.5, 0.2]), np.array([-10.0, 5.0]), kink_width=SHARP
    )
    np.testing.assert_allclose(mu, [19.5, 20.0, 25.0, 27.5, 28.5], atol=EXACT)


def test_a_level_jump_is_a_smoothed_step_of_the_given_size():
    # Half the jump at the break; the full jump 14 widths away (logistic tails below 1e-6).
    far = 14 * JUMP_WIDTH_YEARS
    t = np.array([-far, 0.0, far])
    mu = piecewise_trend(t, np.array(20.0), np.array([0.0, 0.0]), np.array([0.0]), np.array([1.0]))
    np.testing.assert_allclose(mu, [20.0, 20.5, 21.0], atol=1e-6)


def test_trend_broadcasts_over_draws():
    level = np.array([20.0, 21.0])
    slopes = np.array([[0.1, 0.5], [0.2, 0.4]])
    breaks = np.array([[0.0], [1.0]])
    mu = piecewise_trend(np.array([0.0, 2.0]), level, slopes, breaks, kink_width=SHARP)
    assert mu.shape == (2, 2)
    np.testing.assert_allclose(mu, [[20.0, 21.0], [20.8, 21.4]], atol=EXACT)


def test_rounded_kink_moves_the_trend_by_at_most_log2_width_slope_change():
    t = np.linspace(-1, 1, 2001)
    args = (np.array(20.0), np.array([0.1, 0.6]), np.array([0.0]))
    gap = piecewise_trend(t, *args) - piecewise_trend(t, *args, kink_width=SHARP)
    assert gap.max() == pytest.approx(np.log(2) * KINK_WIDTH_YEARS * 0.5, rel=1e-3)
    assert gap.min() >= 0.0


def test_pytensor_trend_matches_numpy():
    t = np.linspace(-30, 15, 50)
    args = (
        np.array(19.0),
        np.array([0.12, 0.55, 0.3]),
        np.array([-2.0, 8.0]),
        np.array([0.4, -0.2]),
    )
    sym = [pt.as_tensor_variable(a) for a in args]
    f = pytensor.function([], piecewise_trend(t, *sym, xp=pt))
    np.testing.assert_allclose(f(), piecewise_trend(t, *args), atol=1e-10)


def test_era_weights_sum_to_one_and_pick_the_right_era():
    t = np.array([-5.0, 2.0, 9.0])
    w = np.array(era_weights(t, np.array([0.0, 5.0])))
    np.testing.assert_allclose(w.sum(axis=0), 1.0, atol=EXACT)
    assert w.argmax(axis=0).tolist() == [0, 1, 2]
    assert era_index(t, np.array([0.0, 5.0])).tolist() == [0, 1, 2]


def test_closed_form_latent_posterior_matches_brute_force_on_a_grid():
    y, mu, scatter, sigma = 23.0, 21.0, 0.8, 0.5
    grid = np.linspace(15, 30, 200_001)
    density = stats.norm.pdf(grid, mu, scatter) * stats.norm.pdf(y, grid, sigma)
    density /= np.trapezoid(density, grid)
    mean = np.trapezoid(grid * density, grid)
    sd = np.sqrt(np.trapezoid((grid - mean) ** 2 * density, grid))
    draws = latent_posterior(
        np.array([y]),
        np.full((400_000, 1), mu),
        np.array([[scatter]]),
        np.array([[sigma]]),
        np.random.default_rng(0),
    )
    assert draws.mean() == pytest.approx(mean, abs=0.005)
    assert draws.std() == pytest.approx(sd, abs=0.005)


def test_decimal_years_convert_to_calendar_dates():
    assert str(decimal_year_to_date(2012.0)) == "2012-01-01"
    assert str(decimal_year_to_date(2012.5)) == "2012-07-02"


def _old_parameterization(inputs):
    """The two-era marginal model with the level sampled directly (before issue 15)."""
    import pymc as pm

    h = inputs.hyper
    with pm.Model() as model:
        gaps = pm.Dirichlet("break_gaps", a=np.ones(2))
        breaks = pm.Deterministic(
            "breaks", h["break_lo"] + gaps[:1] * (h["break_hi"] - h["break_lo"])
        )
        level = pm.Normal("level", h["level_mu"], h["level_sd"])
        slopes = pm.Normal("slopes", h["slope_mu"], h["slope_sd"], shape=(2,))
        scatter = pm.HalfNormal("scatter", h["scatter_sd"])
        mu = piecewise_trend(inputs.t, level, slopes, breaks, xp=pt)
        pm.Normal("y_obs", mu, pt.sqrt(scatter**2 + inputs.sigma**2), observed=inputs.y)
    return model


def test_level_sampled_through_its_anchor_is_the_same_posterior_density():
    # The model samples the trend's value at the runs' mean time and derives the level; the
    # Jacobian of that shift is 1 and the level keeps its Normal prior, so the log density
    # equals the directly parameterized model's at every corresponding point.
    from flopcast.model import ModelInputs, build_model, default_hyper
    from flopcast.spec import ModelStructure, PriorSpec

    rng = np.random.default_rng(0)
    t = np.sort(rng.uniform(-30, 14, 60))
    inputs = ModelInputs(
        t=t,
        y=19 + 0.3 * t + rng.normal(0, 0.5, t.size),
        sigma=np.full(t.size, 0.3),
        group=np.zeros(t.size, int),
        hyper=default_hyper(PriorSpec(), -25.0, 9.0),
    )
    new = build_model(ModelStructure(breaks=1), inputs)
    old = _old_parameterization(inputs)
    new_logp, old_logp = new.compile_logp(), old.compile_logp()
    graphs = new.replace_rvs_by_values([new["level"], new["breaks"]])
    derived = new.compile_fn(graphs, inputs=new.value_vars, on_unused_input="ignore")
    for _ in range(5):
        point = {
            "break_gaps_simplex__": rng.normal(size=1),
            "level_anchor": 22 + rng.normal(),
            "slopes": rng.normal(0.3, 0.2, 2),
            "scatter_log__": rng.normal(-0.5, 0.3),
        }
        level, breaks = derived(point)
        # The anchor is the trend's value at the mean time.
        anchor = piecewise_trend(np.array([t.mean()]), level, point["slopes"], breaks)
        assert anchor[0] == pytest.approx(point["level_anchor"], abs=1e-9)
        old_point = {k: v for k, v in point.items() if k != "level_anchor"}
        old_point["level"] = float(level)
        assert float(new_logp(point)) == pytest.approx(float(old_logp(old_point)), rel=1e-10)
