"""Simulated run tables with known truth, for recovery tests, calibration and teaching.

The simulation follows the model exactly: true log10 compute scatters around a piecewise
trend; the published value adds measurement error whose size comes from each run's error
group (method, confidence, era), as :func:`flopcast.runs.error_groups.assign_error_groups` sets it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from flopcast.runs.error_groups import ErrorModel, assign_error_groups
from flopcast.spec import T_REF
from flopcast.trend import piecewise_trend


@dataclass(frozen=True)
class Truth:
    """Parameters used to simulate (break dates in decimal years)."""

    breaks: tuple[float, ...] = (2010.0,)
    slopes: tuple[float, ...] = (0.15, 0.6)
    level: float = 20.0
    scatter: float = 0.5
    jumps: tuple[float, ...] | None = None
    start: float = 1960.0
    end: float = 2025.0
    methods: dict[str, float] = field(
        default_factory=lambda: {"counted": 0.45, "hardware": 0.35, "reported": 0.1, "other": 0.1}
    )
    confidences: dict[str, float] = field(
        default_factory=lambda: {"confident": 0.65, "likely": 0.25, "speculative": 0.1}
    )


def simulate_runs(
    n: int,
    truth: Truth | None = None,
    *,
    seed: int = 0,
    error_model: ErrorModel | None = None,
    era_weight_recent: float = 3.0,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Simulate a canonical run table and return it with the true log10 compute of each run.

    Parameters
    ----------
    n
        Number of runs.
    truth
        Parameters to simulate from (defaults: a 2010 break, 0.15 then 0.6 dex/year).
    seed
        Seed of the random generator.
    error_model
        Measurement-error model used to size each run's error.
    era_weight_recent
        Dates are drawn with density rising linearly to this many times the density at
        ``truth.start``, since recent years have more runs.

    Returns
    -------
    runs : pandas.DataFrame
        Canonical columns ``system``, ``date``, ``compute_flop``, ``method``, ``confidence``,
        ``domain``, ``organization``.
    true_log10 : numpy.ndarray
        The true log10 compute of each run.

    Examples
    --------
    >>> runs, x = simulate_runs(50, seed=1)
    >>> len(runs), bool(runs["date"].is_monotonic_increasing)
    (50, True)
    """
    truth = truth or Truth()
    rng = np.random.default_rng(seed)
    u = rng.uniform(size=n)
    # Inverse CDF of a density linear from 1 (start) to era_weight_recent (end).
    w = era_weight_recent
    frac = (np.sqrt(1 + (w**2 - 1) * u) - 1) / (w - 1) if w != 1 else u
    years = np.sort(truth.start + frac * (truth.end - truth.start))
    dates = pd.to_datetime("1970-01-01") + pd.to_timedelta(
        np.round((years - 1970.0) * 365.2425), unit="D"
    )
    t = years - T_REF
    breaks = np.asarray(truth.breaks, dtype=float) - T_REF if truth.breaks else None
    jumps = np.asarray(truth.jumps, dtype=float) if truth.jumps else None
    mu = piecewise_trend(t, np.asarray(truth.level), np.asarray(truth.slopes), breaks, jumps)
    x = mu + truth.scatter * rng.standard_normal(n)
    methods = rng.choice(list(truth.methods), size=n, p=_normalise(truth.methods))
    confidences = rng.choice(list(truth.confidences), size=n, p=_normalise(truth.confidences))
    runs = pd.DataFrame(
        {
            "system": [f"sim-{i:05d}" for i in range(n)],
            "date": pd.DatetimeIndex(dates),
            "method": methods,
            "confidence": confidences,
            "domain": "Simulated",
            "organization": "flopcast",
        }
    )
    sigma = assign_error_groups(runs, error_model)["sigma_log10"].to_numpy()
    y = x + sigma * rng.standard_normal(n)
    runs.insert(2, "compute_flop", 10.0**y)
    return runs, x


def hide_undisclosed(
    runs: pd.DataFrame,
    *,
    after: float,
    floor_flop: float,
    fraction: float = 1.0,
    seed: int = 0,
) -> pd.DataFrame:
    """Hide the largest recent runs, as developers that stop disclosing compute do.

    Runs published after ``after`` (decimal year) whose published compute is at least
    ``floor_flop`` lose their estimate with probability ``fraction``: their ``compute_flop``
    becomes NaN and the column ``censored_lower_flop`` holds ``floor_flop`` (what a dataset
    with a compute floor, such as Epoch's large-scale list, tells about them). Other runs
    get NaN there. A fit with ``data.undisclosed = "censored"`` uses the hidden runs as
    lower bounds; with ``"ignore"`` it leaves them out.

    Examples
    --------
    >>> runs, _ = simulate_runs(200, seed=1)
    >>> hidden = hide_undisclosed(runs, after=2020.0, floor_flop=1e24)
    >>> int(hidden["compute_flop"].isna().sum()) == int(hidden["censored_lower_flop"].notna().sum())
    True
    """
    from flopcast.dates import decimal_year
    from flopcast.fitting.inputs import CENSORED_COLUMN

    rng = np.random.default_rng(seed)
    out = runs.copy()
    recent = decimal_year(out["date"]) > after
    large = out["compute_flop"].to_numpy() >= floor_flop
    hide = recent & large & (rng.uniform(size=len(out)) < fraction)
    out[CENSORED_COLUMN] = np.where(hide, float(floor_flop), np.nan)
    out.loc[hide, "compute_flop"] = np.nan
    return out


def _normalise(weights: dict[str, float]) -> np.ndarray:
    p = np.asarray(list(weights.values()), dtype=float)
    return p / p.sum()
