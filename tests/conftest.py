"""Shared fixtures: small pinned sampler settings and session-scoped fits on simulated data.

Fits are expensive (a numba compile per model structure), so every fit that several tests
read is made once per session here, with a fixed seed.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from flopcast.simulate import Truth, simulate_runs
from flopcast.spec import ModelSpec

REPO = Path(__file__).resolve().parents[1]
SHARED_EPOCH = REPO.parent / "shared" / "data" / "epoch"

#: Small but converging sampler settings for tests.
FAST_SAMPLER = {"chains": 2, "draws": 500, "tune": 500, "seed": 7}

#: Truth of the standard simulated data set.
STANDARD_TRUTH = Truth(breaks=(2010.0,), slopes=(0.15, 0.6), level=20.0, scatter=0.5)


def fast_spec(**sections) -> ModelSpec:
    """A spec with the fast sampler and the given section overrides (nested dicts)."""
    # Limits off: tests of exact forecast numbers predate them; tests/test_limits.py turns
    # them on.
    values = {"name": "test", "sampler": dict(FAST_SAMPLER), "limits": {"mode": "off"}}
    for key, value in sections.items():
        values[key] = value
    return ModelSpec.from_dict(values)


@pytest.fixture(autouse=True)
def _quiet_known_warnings():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*ArviZ is undergoing a major refactor.*")
        yield


@pytest.fixture(scope="session")
def standard_runs():
    """400 simulated runs with one break in 2010 (0.15 then 0.6 dex/year)."""
    return simulate_runs(400, STANDARD_TRUTH, seed=3)


@pytest.fixture(scope="session")
def standard_fit(standard_runs):
    from flopcast.fitting import fit

    runs, _ = standard_runs
    return fit(runs, fast_spec(), progress=False)
