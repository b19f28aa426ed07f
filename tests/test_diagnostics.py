"""Sampler checks on hand-made posteriors: every failure is named, none is hidden."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from flopcast.fitting.diagnostics import ESS_MIN, chain_agreement, sampler_diagnostics


def _posterior(draws: np.ndarray) -> xr.Dataset:
    return xr.Dataset({"a": (("chain", "draw"), draws)})


def test_independent_chains_pass_every_check():
    rng = np.random.default_rng(0)
    diag = sampler_diagnostics(_posterior(rng.normal(size=(4, 1000))), None, ["a"])
    assert diag.ok, diag.problems
    assert diag.warning_block() == ""


def test_a_single_chain_is_reported_because_rhat_needs_several():
    rng = np.random.default_rng(0)
    diag = sampler_diagnostics(_posterior(rng.normal(size=(1, 4000))), None, ["a"])
    assert diag.problems == ["one chain only: R-hat cannot be computed"]


def test_chains_stuck_in_different_places_fail_rhat_and_ess_loudly():
    rng = np.random.default_rng(0)
    draws = rng.normal(size=(4, 500)) + np.array([[0.0], [0.0], [5.0], [5.0]])
    stats = xr.Dataset({"diverging": (("chain", "draw"), np.zeros((4, 500), dtype=bool))})
    stats["diverging"][0, 3] = True
    diag = sampler_diagnostics(_posterior(draws), stats, ["a"], subject="TEST")
    text = "\n".join(diag.problems)
    assert "max R-hat" in text and f"< {ESS_MIN}" in text
    assert "1 divergent transition(s) after warm-up" in text
    assert "TEST SAMPLING PROBLEMS" in diag.warning_block()


def _ar1_chains(rng, n_chains: int, n_draws: int, ess_per_draw: float) -> np.ndarray:
    """Well-mixed AR(1) chains (unit variance) with the given ESS per draw."""
    phi = (1 - ess_per_draw) / (1 + ess_per_draw)
    x = np.empty((n_chains, n_draws))
    x[:, 0] = rng.normal(size=n_chains)
    noise = rng.normal(size=(n_chains, n_draws)) * np.sqrt(1 - phi**2)
    for i in range(1, n_draws):
        x[:, i] = phi * x[:, i - 1] + noise[:, i]
    return x


def test_well_mixed_chains_at_the_least_passing_ess_rarely_disagree():
    # 4 x 1000 draws with ESS 100 per chain (400 in all, the least that passes ESS_MIN):
    # the calibrated threshold fires on at most 1 in 200 such fits (about 1 in 1000 expected).
    rng = np.random.default_rng(1)
    fired = sum(not chain_agreement(_ar1_chains(rng, 4, 1000, 0.1)).agree for _ in range(400))
    assert fired <= 2


def test_chains_stuck_in_two_modes_one_sd_apart_reliably_disagree():
    rng = np.random.default_rng(2)
    caught = 0
    for i in range(200):
        draws = _ar1_chains(rng, 4, 1000, 0.1)
        draws[: 1 + i % 3] += 1.0  # one, two or three chains in the second mode
        caught += not chain_agreement(draws).agree
    assert caught >= 196


def test_agreement_is_scale_free_so_wide_posteriors_tolerate_wider_median_gaps():
    # The case of issue 15: chain medians 0.36 years apart, 90% interval 6 years wide.
    rng = np.random.default_rng(3)
    noise = rng.normal(size=(4, 1000))
    noise -= np.median(noise, axis=1, keepdims=True)
    draws = 2010.0 + 1.8 * noise + np.array([[0.0], [0.12], [0.24], [0.36]])
    check = chain_agreement(draws)
    assert check.agree, check
    assert max(check.medians) - min(check.medians) == pytest.approx(0.36)
    # The same gap on a posterior 20 times narrower is a real disagreement.
    assert not chain_agreement(2010.0 + (draws - 2010.0) / 20 + [[0.0], [0.0], [0.0], [0.36]]).agree


def test_a_constant_quantity_agrees_and_bad_shapes_are_refused():
    assert chain_agreement(np.full((4, 100), 2012.0)).agree
    with pytest.raises(ValueError, match="chain, draw"):
        chain_agreement(np.zeros(100))
