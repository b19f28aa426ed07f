"""Undisclosed runs entered as censored observations (``data.undisclosed = "censored"``).

A run known only to be above a bound is right-censored in log compute: it adds
``log P(y > bound)`` to the likelihood. The slow test checks, on simulated data in which
the largest recent runs are hidden, that the censored fit recovers the true trend within its
90% interval where the plain fit does not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from flopcast.exceptions import SpecError
from flopcast.fitting.inputs import CENSORED_COLUMN, prepare_runs, resolve_runs
from flopcast.model import ModelInputs, build_model, default_hyper, structure_key
from flopcast.simulate import Truth, hide_undisclosed, simulate_runs
from flopcast.spec import T_REF, ModelSpec, ModelStructure, PriorSpec

FAST = {"chains": 2, "draws": 500, "tune": 500, "seed": 7}
#: One trend, 0.6 dex/year, 31.0 log10 FLOP in 2025; runs from 2014.
TRUTH = Truth(breaks=(), slopes=(0.6,), level=22.0, scatter=0.4, start=2014.0, end=2025.0)
FLOOR = 10**29.5


def _spec(mode: str, **model) -> ModelSpec:
    return ModelSpec.from_dict(
        {
            "name": f"censoring-{mode}",
            "sampler": dict(FAST),
            "model": {"breaks": 0, **model},
            "data": {"undisclosed": mode},
        }
    )


@pytest.fixture(scope="module")
def hidden_runs() -> pd.DataFrame:
    runs, _ = simulate_runs(250, TRUTH, seed=11)
    return hide_undisclosed(runs, after=2021.5, floor_flop=FLOOR)


def test_hiding_marks_large_recent_runs(hidden_runs):
    hidden = hidden_runs[hidden_runs["compute_flop"].isna()]
    assert len(hidden) == 62
    assert (hidden[CENSORED_COLUMN] == FLOOR).all()
    assert (hidden["date"] > pd.Timestamp("2021-07-01")).all()


def test_censored_runs_become_model_inputs(hidden_runs):
    runs, _ = resolve_runs(hidden_runs, _spec("censored"))
    prepared = prepare_runs(runs, _spec("censored"))
    assert len(prepared.runs) == 188 and prepared.runs["compute_flop"].notna().all()
    assert len(prepared.inputs.t_censored) == 62
    assert np.allclose(prepared.inputs.lower_censored, 29.5)
    assert prepared.selection_log[-1]["n_runs"] == 62
    ignored = prepare_runs(runs, _spec("ignore"))
    assert ignored.inputs.t_censored is None and len(ignored.runs) == 188
    assert structure_key(ModelStructure(), prepared.inputs) != structure_key(ModelStructure())
    assert structure_key(ModelStructure(), ignored.inputs) == structure_key(ModelStructure())


def test_censoring_needs_normal_scatter_and_no_frontier_rule(hidden_runs):
    with pytest.raises(SpecError, match=r"model\.scatter = 'normal'"):
        prepare_runs(hidden_runs, _spec("censored", scatter="student_t"))
    spec = _spec("censored").with_overrides({"frontier.rule": "top_n"})
    with pytest.raises(SpecError, match=r"frontier\.rule = 'none'"):
        prepare_runs(hidden_runs, spec)


def test_censored_term_is_the_normal_log_survival():
    t = np.array([-5.0, 0.0, 5.0, 8.0])
    base = dict(
        t=t[:3],
        y=np.array([18.0, 20.0, 23.0]),
        sigma=np.full(3, 0.2),
        group=np.zeros(3, int),
        hyper=default_hyper(PriorSpec(), -10.0, 10.0),
    )
    plain = build_model(ModelStructure(breaks=0), ModelInputs(**base))
    censored = build_model(
        ModelStructure(breaks=0),
        ModelInputs(
            **base,
            t_censored=np.array([8.0, 9.0]),
            lower_censored=np.array([24.0, 26.0]),
            sigma_censored=np.array([0.3, 0.1]),
        ),
    )
    point = {"level": 20.0, "slopes": np.array([0.5]), "scatter_log__": np.log(0.4)}
    difference = censored.compile_logp()(point) - plain.compile_logp()(point)
    mu = 20.0 + 0.5 * np.array([8.0, 9.0])
    sd = np.sqrt(0.4**2 + np.array([0.3, 0.1]) ** 2)
    expected = stats.norm.logsf(np.array([24.0, 26.0]), mu, sd).sum()
    assert difference == pytest.approx(expected, rel=1e-6)


@pytest.mark.slow
def test_censored_fit_recovers_the_trend_the_plain_fit_misses(hidden_runs):
    """About 70 s on 2 shared cores (two fits)."""
    from flopcast.fitting import fit

    true_2025 = TRUTH.level + TRUTH.slopes[0] * (2025.0 - T_REF)
    inside = {}
    for mode in ("ignore", "censored"):
        result = fit(hidden_runs, _spec(mode), progress=False)
        trend = result.trend(np.array([2025.0]))[:, 0]
        slope = result.posterior["slopes"].to_numpy().reshape(-1)
        low, high = np.quantile(trend, [0.05, 0.95])
        s_low, s_high = np.quantile(slope, [0.05, 0.95])
        inside[mode] = (low <= true_2025 <= high, s_low <= TRUTH.slopes[0] <= s_high)
    assert inside["censored"] == (True, True)
    assert inside["ignore"] == (False, False)
