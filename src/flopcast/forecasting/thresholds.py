"""Threshold crossings: when the frontier trend first reaches each threshold.

For each threshold (:func:`threshold_crossings`, :func:`crossing_dates`), the posterior
distribution of the first date the frontier *trend* reaches it, searched on a monthly grid
(linear interpolation between grid points, exact for straight segments) from the first run
to :data:`THRESHOLD_SEARCH_YEARS` years past the horizon; draws that never reach it are
"later than the search end". Thresholds that runs in the data already reached are reported
with the first run that did.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from flopcast.dates import decimal_year
from flopcast.fitting import Fit
from flopcast.intervals import CI_LEVEL, central_interval, interval_columns

__all__ = [
    "GRID_STEP_YEARS",
    "THRESHOLD_SEARCH_YEARS",
    "Crossings",
    "crossing_dates",
    "runs_with_costs",
    "search_grid",
    "threshold_crossings",
]

#: Threshold dates are searched up to this many years past the horizon.
THRESHOLD_SEARCH_YEARS: float = 20.0
#: Step of the threshold search grid, in years (one month).
GRID_STEP_YEARS: float = 1.0 / 12.0


def crossing_dates(values: np.ndarray, grid: np.ndarray, level: float) -> np.ndarray:
    """First date each sample path reaches ``level``, by linear interpolation on ``grid``.

    Parameters
    ----------
    values : ndarray
        Paths, shape (samples, G), evaluated at ``grid``.
    grid : ndarray
        Increasing decimal years, shape (G,).
    level : float
        The level to reach (same units as ``values``).

    Returns
    -------
    ndarray
        Shape (samples,): the crossing date; ``grid[0]`` when a path starts at or above the
        level, ``inf`` when it never reaches it on the grid.

    Examples
    --------
    A straight line 20 + 0.5 (t - 2010) reaches 25 in 2020:

    >>> grid = np.arange(2000.0, 2031.0, 1.0 / 12.0)
    >>> float(crossing_dates(20 + 0.5 * (grid[None, :] - 2010), grid, 25.0)[0])
    2020.0
    """
    values = np.asarray(values, dtype=float)
    above = values >= level
    reached = above.any(axis=1)
    first = np.argmax(above, axis=1)
    out = np.full(values.shape[0], np.inf)
    rows = np.nonzero(reached)[0]
    g = first[rows]
    at_start = g == 0
    out[rows[at_start]] = grid[0]
    rows, g = rows[~at_start], g[~at_start]
    v0, v1 = values[rows, g - 1], values[rows, g]
    frac = (level - v0) / (v1 - v0)
    out[rows] = grid[g - 1] + frac * (grid[g] - grid[g - 1])
    return out


def _first_in_data(runs: pd.DataFrame, column: str, value: float) -> dict[str, Any] | None:
    """The first run (by date; the largest on ties) whose ``column`` reaches ``value``."""
    if column not in runs.columns:
        return None
    amount = pd.to_numeric(runs[column], errors="coerce")
    hit = runs.loc[amount >= value].assign(_amount=amount[amount >= value])
    if hit.empty:
        return None
    first = hit.sort_values(["date", "_amount"], ascending=[True, False]).iloc[0]
    date = pd.Timestamp(first["date"])
    return {
        "system": str(first["system"]),
        "date": float(decimal_year(pd.DatetimeIndex([date]))[0]),
        "date_iso": date.date().isoformat(),
        "value": float(first["_amount"]),
    }


def runs_with_costs(fit: Fit) -> pd.DataFrame | None:
    """The fit's runs with their recorded cost (2023 USD), when it is known."""
    runs = fit.runs
    if "cost_usd" in runs.columns:
        return runs
    if fit.spec.data.source != "bundled":
        return None
    from flopcast.runs import load_runs

    bundled = load_runs().runs[["system", "cost_usd"]].drop_duplicates("system")
    return runs.merge(bundled, on="system", how="left")


def search_grid(first_year: float, search_end: float) -> np.ndarray:
    """The monthly grid of decimal years the crossings are searched on, ends included.

    Examples
    --------
    >>> grid = search_grid(2020.0, 2021.0)
    >>> len(grid), round(float(grid[-1]), 6)
    (13, 2021.0)
    """
    return np.arange(first_year, search_end + GRID_STEP_YEARS / 2, GRID_STEP_YEARS)


class Crossings(NamedTuple):
    """Threshold crossings of one quantity: table rows, each sample's dates, and labels.

    Attributes
    ----------
    rows : list of dict
        One row of :meth:`flopcast.forecasting.Forecast.threshold_table` per threshold.
    dates : list of ndarray
        Each sample's crossing date per threshold, shape (samples,) (``inf``: not reached).
    labels : list of str
        ``"<quantity> <value>"`` per threshold, e.g. ``"compute_flop 1e+27"``.
    """

    rows: list[dict[str, Any]]
    dates: list[np.ndarray]
    labels: list[str]


def threshold_crossings(
    quantity: str,
    paths: np.ndarray,
    grid: np.ndarray,
    values: list[float],
    horizon: float,
    runs: pd.DataFrame | None,
) -> Crossings:
    """When each sample path of log10 ``quantity`` first reaches each of ``values``.

    Parameters
    ----------
    quantity : {"compute_flop", "cost_usd"}
        What the paths are; also the column of ``runs`` checked for crossings in the data.
    paths : ndarray
        log10 values on ``grid``, shape (samples, G).
    grid : ndarray
        Increasing decimal years (:func:`search_grid`).
    values : list of float
        Thresholds, in FLOP or USD (not log10).
    horizon : float
        Decimal year of the horizon (for ``prob_by_horizon``).
    runs : pandas.DataFrame or None
        Runs to look for the first one that reached each threshold; None when unknown.

    Returns
    -------
    Crossings

    Examples
    --------
    >>> grid = search_grid(2000.0, 2040.0)
    >>> line = 20 + 0.5 * (grid[None, :] - 2010)
    >>> found = threshold_crossings("compute_flop", line, grid, [1e25], 2030.0, None)
    >>> found.rows[0]["median_date"], found.labels
    (2020.0, ['compute_flop 1e+25'])
    """
    found = Crossings([], [], [])
    for value in values:
        dates = crossing_dates(paths, grid, math.log10(value))
        found.rows.append(_threshold_row(quantity, value, dates, horizon, runs, quantity))
        found.dates.append(dates)
        found.labels.append(f"{quantity} {value:.0e}")
    return found


def _threshold_row(
    quantity: str,
    value: float,
    dates: np.ndarray,
    horizon: float,
    runs: pd.DataFrame | None,
    column: str,
) -> dict[str, Any]:
    # Draws that never reach the threshold are later than any date: quantiles of the
    # finite stand-in are exact, and any quantile beyond the search end is reported as inf.
    big = 1e9
    med, lo, hi = (
        float(v) if v < big / 2 else np.inf
        for v in central_interval(np.where(np.isfinite(dates), dates, big), CI_LEVEL)
    )
    first = _first_in_data(runs, column, value) if runs is not None else None
    known = runs is not None and column in runs.columns
    low_name, high_name = interval_columns(CI_LEVEL)
    return {
        "quantity": quantity,
        "value": float(value),
        "median_date": float(med),
        low_name: float(lo),
        high_name: float(hi),
        "prob_by_horizon": float(np.mean(dates <= horizon)),
        "crossed_in_data": (first is not None) if known else None,
        "crossed_by": first["system"] if first else None,
        "crossed_by_date": first["date"] if first else np.nan,
        "crossed_by_value": first["value"] if first else np.nan,
    }
