"""Baselines: the simple forecasts people would otherwise use, each in closed form.

Each baseline sees only the runs published before the origin and returns a
:class:`~flopcast.backtesting.scoring.Predictive` (one Student-t per target run), so it is
scored exactly like a flopcast model.

* ``ols_top10_2010``, ``ols_top10_2018`` (:func:`ols_line`): least squares of log10
  compute on decimal date through the top-10 runs (when published) since 2010 or 2018 (Epoch
  2024's method; 2018 is its frontier break). The predictive at date ``t0`` is Student-t with
  ``n - 2`` degrees of freedom, centre ``a + b t0`` and scale
  ``s sqrt(1 + 1/n + (t0 - tbar)^2 / Sxx)`` (parameter and residual uncertainty; ``s^2`` is
  the residual variance). For the ``all`` target the line goes through all runs since then.
* ``rw_drift_frontier`` (:func:`rw_drift`): a random walk with drift on the running frontier
  (the largest compute published so far) sampled every 1 July from 2010 to the origin (Farmer
  & Lafond 2016): with ``m`` yearly increments of mean ``d`` and sd ``K``, the frontier
  ``tau`` years after the origin is ``y_T + d tau`` with variance ``K^2 (tau + tau^2 / m)``,
  Student-t with ``m - 1`` degrees of freedom. A top-10 run is not the running maximum, so
  the mean and variance of the training top-10 runs' offsets from the running frontier
  when they were published are added (without them a run published just after the origin
  has a predictive of nearly zero width). Frontier target only.

``flopcast_no_regime`` (the spec's own fit with future regime changes off) is made by
:mod:`flopcast.backtesting.harness` from the same fit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from flopcast.backtesting.scoring import Predictive
from flopcast.dates import decimal_year

__all__ = [
    "BASELINES",
    "LINE_STARTS",
    "RW_START",
    "LineFit",
    "RandomWalkFit",
    "ols_line",
    "rw_drift",
]

#: Baseline names, in table order.
BASELINES: tuple[str, ...] = (
    "flopcast_no_regime",
    "ols_top10_2010",
    "ols_top10_2018",
    "rw_drift_frontier",
)
#: First year of the least-squares lines, by baseline name.
LINE_STARTS: dict[str, float] = {"ols_top10_2010": 2010.0, "ols_top10_2018": 2018.0}
#: The random walk's yearly running-frontier series starts on 1 July of this year.
RW_START: int = 2010
#: Fewest points a line is fitted to (fewer: the baseline does not score that origin).
MIN_LINE_POINTS: int = 3


@dataclass(frozen=True)
class LineFit:
    """A least-squares line of log10 compute on decimal year, with its t predictive."""

    n: int
    intercept: float
    slope: float
    mean_year: float
    sxx: float
    residual_sd: float

    def predictive(self, years: np.ndarray) -> Predictive:
        """Student-t predictive at decimal ``years`` (module docstring)."""
        years = np.asarray(years, dtype=float)
        loc = self.intercept + self.slope * (years - self.mean_year)
        scale = self.residual_sd * np.sqrt(
            1.0 + 1.0 / self.n + (years - self.mean_year) ** 2 / self.sxx
        )
        return Predictive.student_t(loc, scale, df=self.n - 2)


def ols_line(years: np.ndarray, log10_compute: np.ndarray) -> LineFit | None:
    """Least squares of ``log10_compute`` on ``years``; None with fewer than 3 points.

    Examples
    --------
    >>> line = ols_line(np.array([0.0, 1.0, 2.0, 3.0]), np.array([0.0, 1.0, 1.0, 3.0]))
    >>> round(line.slope, 3), round(line.residual_sd, 4)
    (0.9, 0.5916)
    """
    t = np.asarray(years, dtype=float)
    y = np.asarray(log10_compute, dtype=float)
    if len(t) < MIN_LINE_POINTS or np.ptp(t) == 0:
        return None
    mean_t, mean_y = t.mean(), y.mean()
    sxx = float(((t - mean_t) ** 2).sum())
    slope = float(((t - mean_t) * (y - mean_y)).sum() / sxx)
    residuals = y - mean_y - slope * (t - mean_t)
    sd = math.sqrt(float((residuals**2).sum()) / (len(t) - 2))
    return LineFit(len(t), float(mean_y), slope, float(mean_t), sxx, sd)


@dataclass(frozen=True)
class RandomWalkFit:
    """A random walk with drift on the yearly running frontier, plus top-10 run offsets."""

    last: float
    drift: float
    step_sd: float
    steps: int
    offset_mean: float
    offset_sd: float

    def predictive(self, leads: np.ndarray) -> Predictive:
        """Student-t predictive ``leads`` years after the origin (module docstring)."""
        tau = np.maximum(np.asarray(leads, dtype=float), 0.0)
        loc = self.last + self.drift * tau + self.offset_mean
        var = self.step_sd**2 * (tau + tau**2 / self.steps) + self.offset_sd**2
        return Predictive.student_t(loc, np.sqrt(var), df=self.steps - 1)


def running_frontier(
    dates: pd.Series, log10_compute: np.ndarray, at: pd.DatetimeIndex
) -> np.ndarray:
    """Largest ``log10_compute`` published strictly before each date of ``at`` (-inf: none)."""
    order = np.argsort(pd.to_datetime(dates).to_numpy(), kind="stable")
    sorted_dates = pd.to_datetime(dates).to_numpy()[order]
    cummax = np.maximum.accumulate(np.asarray(log10_compute, dtype=float)[order])
    idx = np.searchsorted(sorted_dates, at.to_numpy(), side="left") - 1
    return np.where(idx >= 0, cummax[np.maximum(idx, 0)], -np.inf)


def rw_drift(
    train: pd.DataFrame, origin: pd.Timestamp, start_year: int = RW_START
) -> RandomWalkFit | None:
    """Fit the random walk to the runs published before ``origin``.

    Parameters
    ----------
    train : pandas.DataFrame
        Runs published before the origin: ``date``, ``log10_compute`` and ``frontier``
        (top-10 when published).
    origin : pandas.Timestamp
    start_year : int
        The yearly series runs on 1 July from this year to the origin.

    Returns
    -------
    RandomWalkFit or None
        None with fewer than two yearly increments.

    Examples
    --------
    >>> dates = pd.to_datetime(["2009-01-01", "2010-09-01", "2011-09-01", "2012-09-01"])
    >>> runs = pd.DataFrame({"date": dates, "log10_compute": [20.0, 21.0, 23.0, 22.0],
    ...                      "frontier": True})
    >>> fit = rw_drift(runs, pd.Timestamp("2013-07-01"), start_year=2010)
    >>> fit.last, fit.drift, fit.steps
    (23.0, 1.0, 3)
    """
    stamps = pd.DatetimeIndex(
        [
            pd.Timestamp(year=y, month=origin.month, day=origin.day)
            for y in range(start_year, origin.year + 1)
        ]
    )
    stamps = stamps[stamps <= origin]
    y = train["log10_compute"].to_numpy(dtype=float)
    series = running_frontier(train["date"], y, stamps)
    series = series[np.isfinite(series)]
    steps = np.diff(series)
    if len(steps) < 2:
        return None
    front = train.loc[train["frontier"].to_numpy(dtype=bool)]
    front = front.loc[decimal_year(pd.to_datetime(front["date"])) >= start_year]
    offsets = front["log10_compute"].to_numpy(dtype=float) - running_frontier(
        train["date"], y, pd.DatetimeIndex(pd.to_datetime(front["date"]))
    )
    offsets = offsets[np.isfinite(offsets)]
    off_mean = float(offsets.mean()) if len(offsets) else 0.0
    off_sd = float(offsets.std(ddof=1)) if len(offsets) > 1 else 0.0
    return RandomWalkFit(
        last=float(series[-1]),
        drift=float(steps.mean()),
        step_sd=float(steps.std(ddof=1)),
        steps=len(steps),
        offset_mean=off_mean,
        offset_sd=off_sd,
    )
