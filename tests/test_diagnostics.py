"""Sampler checks on hand-made posteriors: every failure is named, none is hidden."""

from __future__ import annotations

import numpy as np
import xarray as xr

from flopcast.fitting.diagnostics import ESS_MIN, sampler_diagnostics


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
