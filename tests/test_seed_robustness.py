"""Slow check (issue 15): every shipped spec passes its sampler diagnostics at any seed.

Each spec is fitted to the bundled data at seeds 1..N in one process (the compiled model is
reused) and the seeds whose fits report any diagnostic problem (divergences, R-hat, bulk
or tail ESS, chains disagreeing on a break) are counted. ``benchmarks/bench_seeds.py``
prints the same count with divergences, ESS, R-hat and time per refit.
"""

from __future__ import annotations

import pytest

import flopcast
from flopcast.fitting import fit
from flopcast.spec import load_spec

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
