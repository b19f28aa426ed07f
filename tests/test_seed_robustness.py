"""Slow check (issue 15): every shipped spec passes its sampler diagnostics at any seed.

Each spec is fitted to the bundled data at seeds 1..N in one process (the compiled model is
reused) and the seeds whose fits report any diagnostic problem (divergences, R-hat, bulk
or tail ESS, chains disagreeing on a break) are counted. ``benchmarks/bench_seeds.py``
prints the same count with divergences, ESS, R-hat and time per refit, and with
``--study models/policy_sensitivity.toml`` the same for every fit of the policy study (20
seeds each); here a few of its variants are fitted at 5 seeds to keep the slow tier short.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import flopcast
from flopcast.fitting import fit
from flopcast.spec import load_spec
from flopcast.study import load_study

pytestmark = pytest.mark.slow

#: (spec, seeds fitted, most seeds allowed to have problems). three_eras is the slowest
#: spec (two breaks, 4 x 2000 draws), so the test fits fewer seeds of it than the
#: benchmark's 20 to keep the slow tier near 30 minutes on 2 cores, and allows one (the
#: target is 19 of 20).
TARGETS = [
    ("two_eras", 20, 0),
    ("frontier", 20, 0),
    ("seed_2018", 20, 0),
    ("single_trend", 20, 0),
    ("three_eras", 10, 1),
]


@pytest.fixture(scope="module")
def bundled_runs():
    return flopcast.load_runs()


@pytest.mark.parametrize(("spec_name", "n_seeds", "allowed"), TARGETS)
def test_shipped_spec_passes_diagnostics_at_every_seed(bundled_runs, spec_name, n_seeds, allowed):
    spec = load_spec(spec_name)
    failed = {}
    for seed in range(1, n_seeds + 1):
        diag = fit(bundled_runs, spec, seed=seed, progress=False).diagnostics
        if not diag.ok:
            failed[seed] = diag.problems
    assert len(failed) <= allowed, f"{spec_name}: {len(failed)} of {n_seeds} seeds: {failed}"


#: Policy-study variants whose sampler settings were chosen on 20 seeds: four that once
#: needed longer sampling (tune 2000, target acceptance 0.98) and now pass at the base
#: settings, and two that now sample more draws; 5 seeds each (the benchmark fits 20).
#: student_t (2000 draws, about 50 s a refit) is left to the benchmark.
STUDY_VARIANTS = [
    "coverage_50",
    "error_era_2010",
    "no_games",
    "break_prior_2005_2015",
    "since_2000",
    "frontier_top5",
]
STUDY_SEEDS = 5
STUDY_FILE = Path(__file__).resolve().parents[1] / "models" / "policy_sensitivity.toml"


@pytest.mark.parametrize("label", STUDY_VARIANTS)
def test_policy_study_variant_passes_diagnostics_at_every_seed(bundled_runs, label):
    study = load_study(STUDY_FILE)
    spec = next(v.spec for v in study.variants if v.label == label)
    failed = {}
    for seed in range(1, STUDY_SEEDS + 1):
        diag = fit(bundled_runs, spec, seed=seed, progress=False).diagnostics
        if not diag.ok:
            failed[seed] = diag.problems
    assert not failed, f"{label}: {len(failed)} of {STUDY_SEEDS} seeds: {failed}"
