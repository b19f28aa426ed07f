"""Forecasts from a fit: compute, training cost and threshold-crossing dates.

:func:`forecast` projects the posterior draws of a :class:`~flopcast.fitting.Fit` to a
horizon. Every quantity comes with two intervals, computed from the same draws:

* the **90% credible interval** (``ci90``) is the uncertainty of the *trend* (where the
  median run lies), 5th to 95th percentile of the posterior of the trend at that date;
* the **90% predictive interval** (``pi90``) is for *one individual run* published at that
  date: the trend plus the intrinsic scatter of runs around it (true compute; a published
  estimate adds its measurement error on top, which :mod:`flopcast.backtesting` does).

Quantities (``Forecast.table()["quantity"]``):

``compute_flop``
    The typical run: the trend of a full-population fit (runs scatter around it, so it is
    also the population median). Not available from a frontier fit.
``frontier_compute_flop``
    The frontier. From a fit whose spec has a frontier rule (``models/frontier.toml``:
    runs that were among the 10 largest when published), the frontier *is* the fit's trend.
    From a full-population fit it is a high population quantile: if a share ``s`` of the
    recent runs were top-10 when published, the frontier runs are the top ``s`` of the
    population, whose median lies at the quantile ``q = 1 - s / 2`` (``s`` is measured on the
    fit's runs of the last :data:`FRONTIER_WINDOW_YEARS` years; about 0.075 on the bundled
    data, so ``q`` is about 0.96). An individual frontier run is then a draw from the top
    ``s`` of the population.
``frontier_cost_usd``
    The training cost of a frontier run in constant dollars of the price-performance fit's
    base year: ``compute / (peak FLOP per dollar x utilization)``
    (:func:`flopcast.cost.cost_draws`), with draws of compute, of the hardware
    price-performance trend and of the utilization prior paired by sample, so all three
    uncertainties reach both intervals.

Future regime changes (:class:`RegimeChanges`) let the trend break again after the data
end. Breaks arrive as a Poisson process whose rate per year has the distribution
``Gamma(0.5 + B, Y)``: the Jeffreys posterior of a Poisson rate after ``B`` breaks in ``Y``
years (spec ``forecast.regime_breaks_seen`` / ``forecast.regime_years_seen``; default 3
breaks, near 1995, 2010 and 2018, in the 35 data-rich years 1990-2025: a mean of 0.1 per
year). Each new break multiplies the slope by ``exp(Normal(0, s))``, with ``s`` the
root-mean-square of ``ln(b_k+1 / b_k)`` over the fit's posterior draws and breaks
(historical-sized changes *in proportion*: the doubling time went from about 20 to about 6
months at the 2010 break), at least :data:`SLOPE_LOG_CHANGE_FLOOR`; a positive slope stays
positive, and a break never takes the slope above ``forecast.regime_max_slope`` (1.06
log10 FLOP per year, a doubling every 3.4 months: the fastest era on record). Breaks
arrive from the end of the fit's break prior, ``priors.min_era_years`` (5) years before the
last run, not from the last run: the fit cannot place a break in that window, so a break
there would be undetected; it takes effect from the last run (the fitted trend is pinned
by the data up to it). With ``regime_changes="auto"`` (default) they are on when the
horizon is more than :data:`REGIME_AUTO_YEARS` years after the last run; every output says
whether they were on.

Why not count the fit's own breaks? A fit has the number of breaks its spec gives it
(``K = 1`` for two eras), so ``K`` breaks in the data's 70-year span is not an observation
of the break rate: it gave 0.02 breaks per year, and the 2019 backtest's 90% intervals then
covered 76% of later runs (``README.md``, "Backtests"). The earlier additive slope changes
(``Normal(0, RMS of fitted changes)``, clamped at zero) were too small in the fast modern
era for the same reason: the one fitted change was measured between two slow eras. Without
the cap, the multiplicative changes put the upper 90% bound of 2030 frontier compute above
1e34 FLOP; without the undetectable window the 2019 backtest covered 0.82 (README,
"Backtests", lists every variant that was tried).

Threshold crossings (:func:`crossing_dates`): for each threshold, the posterior distribution
of the first date the frontier *trend* reaches it, searched on a monthly grid (linear
interpolation between grid points, exact for straight segments) from the first run to
:data:`THRESHOLD_SEARCH_YEARS` years past the horizon; draws that never reach it are
"later than the search end". Thresholds that runs in the data already reached are reported
with the first run that did.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import xarray as xr
from scipy import stats

from flopcast.caches import CacheDict
from flopcast.dates import (
    decimal_year,
    decimal_year_to_date,
    decimal_year_to_timestamp,
    to_decimal_year,
)
from flopcast.exceptions import FlopcastError
from flopcast.fitting import Fit, scatter_draws, stack_draws
from flopcast.formatting import jsonable
from flopcast.intervals import CI_LEVEL
from flopcast.runs.selection import top_n_at_publication

__all__ = [
    "FRONTIER_N",
    "FRONTIER_WINDOW_YEARS",
    "REGIME_AUTO_YEARS",
    "SLOPE_LOG_CHANGE_FLOOR",
    "THRESHOLD_SEARCH_YEARS",
    "Forecast",
    "FrontierDefinition",
    "RegimeChanges",
    "RegimePaths",
    "crossing_dates",
    "fitted_slope_log_sd",
    "forecast",
    "frontier_definition",
    "frontier_share",
    "regime_changes_for",
    "to_decimal_year",
    "undetectable_years",
]

#: "auto" turns future regime changes on when the horizon is more than this many years
#: after the last run (over a shorter range a new break would barely move the forecast).
REGIME_AUTO_YEARS: float = 3.0
#: Jeffreys prior on a Poisson rate, Gamma(shape=0.5, rate=0): the break rate's posterior
#: after B breaks in Y years is Gamma(0.5 + B, Y).
RATE_PRIOR_SHAPE: float = 0.5
#: Smallest standard deviation of ``ln(new slope / old slope)`` at a future break: a fit
#: without breaks (or with nearly equal slopes) still allows a change of the doubling time
#: by a factor 1.5 as one standard deviation.
SLOPE_LOG_CHANGE_FLOOR: float = math.log(1.5)
#: Slopes below this (log10 FLOP per year) are raised to it when measuring log slope ratios.
_SLOPE_RATIO_FLOOR: float = 0.01
#: Frontier rule used to derive a frontier from a full-population fit: top N when published.
FRONTIER_N: int = 10
#: The frontier share is measured on the runs of the last this many years of data.
FRONTIER_WINDOW_YEARS: float = 5.0
#: Threshold dates are searched up to this many years past the horizon.
THRESHOLD_SEARCH_YEARS: float = 20.0
#: Step of the threshold search grid, in years (one month).
GRID_STEP_YEARS: float = 1.0 / 12.0
#: Most future breaks simulated per draw (the Poisson mean is far below this).
MAX_FUTURE_BREAKS: int = 200

_Q_LO, _Q_HI = (1.0 - CI_LEVEL) / 2.0, (1.0 + CI_LEVEL) / 2.0


# --------------------------------------------------------------------------------------
# Dates


def default_dates(last_data: float, horizon: float) -> np.ndarray:
    """The middle (``year + 0.5``, July 2) of every calendar year from the last run's year
    to the horizon, and the horizon itself (decimal years).

    Examples
    --------
    >>> default_dates(2025.38, 2027.9973).round(3).tolist()
    [2025.5, 2026.5, 2027.5, 2027.997]
    """
    mids = []
    for year in range(math.floor(last_data), math.floor(horizon) + 1):
        mid = year + 0.5
        if last_data < mid <= horizon:
            mids.append(mid)
    if not mids or horizon - mids[-1] > 1.0 / 365.0:
        mids.append(horizon)
    return np.asarray(mids, dtype=float)


# --------------------------------------------------------------------------------------
# The frontier


@dataclass(frozen=True)
class FrontierDefinition:
    """What "the frontier" means in a forecast.

    Attributes
    ----------
    kind : {"fit", "quantile"}
        ``"fit"``: the fit's own trend (its spec selects frontier runs). ``"quantile"``: the
        population quantile ``quantile`` of a full-population fit.
    quantile : float or None
        The population quantile of the frontier's median run (``1 - share / 2``).
    share : float or None
        Share of the population counted as frontier (the top ``share``).
    description : str
        One line for reports.
    """

    kind: str
    quantile: float | None
    share: float | None
    description: str

    def to_dict(self) -> dict[str, Any]:
        """Plain values for JSON."""
        return {
            "kind": self.kind,
            "quantile": self.quantile,
            "share": self.share,
            "description": self.description,
        }


def frontier_share(
    runs: pd.DataFrame, n: int = FRONTIER_N, window_years: float = FRONTIER_WINDOW_YEARS
) -> float:
    """Share of the runs of the last ``window_years`` that were top ``n`` when published.

    Parameters
    ----------
    runs : pandas.DataFrame
        Runs with ``date`` and ``compute_flop`` (the rank counts every run given).
    n : int, default 10
        Frontier rule: among the ``n`` largest by compute when published.
    window_years : float, default 5
        Window, ending at the last run, in which the share is measured.

    Returns
    -------
    float

    Examples
    --------
    >>> runs = pd.DataFrame({"date": pd.date_range("2020-01-01", periods=40, freq="MS"),
    ...                      "compute_flop": np.arange(40.0, 0.0, -1.0)})
    >>> frontier_share(runs, n=10, window_years=10)
    0.25
    """
    if len(runs) == 0:
        raise FlopcastError("frontier_share: no runs")
    mask = top_n_at_publication(runs, n)
    years = decimal_year(pd.to_datetime(runs["date"]))
    recent = years >= years.max() - window_years
    return float(mask[recent].mean())


def frontier_definition(fit: Fit, frontier: str | float = "auto") -> FrontierDefinition:
    """Decide what the frontier is for a fit.

    Parameters
    ----------
    fit : Fit
    frontier : "auto", "fit" or float
        ``"auto"``: the fit's trend when its spec has a frontier rule, else the population
        quantile matching the top-10-at-publication share (:func:`frontier_share`).
        ``"fit"``: the fit's trend (requires a frontier rule). A float in (0.5, 1): that
        population quantile (full-population fits only).

    Returns
    -------
    FrontierDefinition

    Examples
    --------
    >>> frontier_definition(fit).description    # doctest: +SKIP
    'population quantile 0.962 of the full-population fit (...)'
    """
    rule = fit.spec.frontier.rule
    if rule != "none":
        if not (isinstance(frontier, str) and frontier in ("auto", "fit")):
            raise FlopcastError(
                f"frontier={frontier!r}: this fit's spec already selects frontier runs "
                f"(frontier.rule = {rule!r}); its trend is the frontier. Use frontier='auto'."
            )
        what = (
            f"top {fit.spec.frontier.n} by compute when published"
            if rule == "top_n"
            else f"more than {fit.spec.frontier.threshold_dex} dex above a first fit's trend"
        )
        return FrontierDefinition(
            "fit", None, None, f"trend of the frontier fit (runs {what}), spec {fit.spec.name!r}"
        )
    if isinstance(frontier, str):
        if frontier == "fit":
            raise FlopcastError(
                "frontier='fit' needs a fit whose spec has a frontier rule (e.g. the shipped "
                "spec 'frontier'); this is a full-population fit. Use 'auto' or a quantile."
            )
        if frontier != "auto":
            raise FlopcastError(
                f"frontier={frontier!r}: use 'auto', 'fit' or a quantile between 0.5 and 1"
            )
        share = frontier_share(fit.runs)
        if share <= 0:
            raise FlopcastError("frontier: no run of the last years was top-10 when published")
        q = 1.0 - share / 2.0
        return FrontierDefinition(
            "quantile",
            q,
            share,
            f"population quantile {q:.3f} of the full-population fit: {share:.1%} of the runs "
            f"of the last {FRONTIER_WINDOW_YEARS:g} years were top {FRONTIER_N} when published, "
            f"and {q:.3f} is the median of that top share",
        )
    q = float(frontier)
    if not 0.5 < q < 1.0:
        raise FlopcastError(f"frontier={frontier!r}: a quantile must lie between 0.5 and 1")
    share = 2.0 * (1.0 - q)
    return FrontierDefinition(
        "quantile",
        q,
        share,
        f"population quantile {q:.3f} of the full-population fit (given), the median of the "
        f"top {share:.1%}",
    )


def _scatter_quantile(u: np.ndarray, nu: np.ndarray | None) -> np.ndarray:
    """Standardised scatter quantiles (Normal, or Student-t with ``nu`` per draw)."""
    if nu is None:
        return stats.norm.ppf(u)
    return stats.t.ppf(u, nu)


# --------------------------------------------------------------------------------------
# Future regime changes


@dataclass(frozen=True)
class RegimeChanges:
    """The model of future breaks in the trend, and whether it is on.

    Attributes
    ----------
    enabled : bool
    mode : {"auto", "on", "off"}
        What was asked for.
    start : float
        Decimal year of the last run: new breaks change the trend from here on.
    rate_shape, rate_rate : float
        The break rate per year has the distribution ``Gamma(rate_shape, rate_rate)``
        (``rate_rate`` in years): a draw per forecast sample.
    slope_log_sd : float
        A new break multiplies the slope by ``exp(Normal(0, slope_log_sd))``.
    jump_sd : float
        Standard deviation of a new break's level jump (dex; 0 without fitted jumps).
    reason : str
        Why it is on or off, for reports.
    fixed_rate : float or None
        A break rate per year given by the user instead of the Gamma distribution.
    max_slope : float
        A break never takes the slope above this (log10 FLOP per year); a slope already
        above it is not raised further.
    lookback : float
        Breaks arrive from ``start - lookback`` (the end of the fit's break prior); one that
        falls before ``start`` takes effect at ``start``.
    """

    enabled: bool
    mode: str
    start: float
    rate_shape: float
    rate_rate: float
    slope_log_sd: float
    jump_sd: float
    reason: str
    fixed_rate: float | None = None
    max_slope: float = math.inf
    lookback: float = 0.0

    @property
    def rate_mean(self) -> float:
        """Mean break rate per year."""
        if self.fixed_rate is not None:
            return self.fixed_rate
        return self.rate_shape / self.rate_rate

    def describe(self) -> str:
        """One line for every output."""
        state = "ON" if self.enabled else "OFF"
        rate = (
            "given"
            if self.fixed_rate is not None
            else f"rate ~ Gamma({self.rate_shape:g}, {self.rate_rate:g} years)"
        )
        since = (
            f"after {self.start - self.lookback:.2f} (undetectable in the fit's last "
            f"{self.lookback:g} years; acting from the last run, {self.start:.2f})"
            if self.lookback > 0
            else f"after {self.start:.2f}"
        )
        model = (
            f"new breaks {since} at {self.rate_mean:.3f}/year "
            f"({rate}), each multiplying the slope by exp(Normal(0, {self.slope_log_sd:.2f}))"
        )
        if math.isfinite(self.max_slope):
            doubling = 12.0 * math.log10(2.0) / self.max_slope
            model += f" up to {self.max_slope:g} dex/year (doubling {doubling:.1f} months)"
        if self.jump_sd > 0:
            model += f", level jumps Normal(0, {self.jump_sd:.2f} dex)"
        if not self.enabled:
            return (
                f"future regime changes {state} ({self.reason}): the last fitted era's slope "
                f"continues unchanged (when on: {model})"
            )
        return f"future regime changes {state} ({self.reason}): {model}"

    def to_dict(self) -> dict[str, Any]:
        """Plain values for JSON."""
        return {
            "enabled": self.enabled,
            "mode": self.mode,
            "start": self.start,
            "lookback_years": self.lookback,
            "rate_per_year": {
                "mean": self.rate_mean,
                "gamma": None if self.fixed_rate is not None else [self.rate_shape, self.rate_rate],
                "given": self.fixed_rate is not None,
            },
            "slope_log_sd": self.slope_log_sd,
            "max_slope": self.max_slope if math.isfinite(self.max_slope) else None,
            "jump_sd": self.jump_sd,
            "reason": self.reason,
        }


def regime_changes_for(
    fit: Fit,
    horizon: float,
    mode: str | bool = "auto",
    *,
    rate: float | None = None,
    slope_log_sd: float | None = None,
) -> RegimeChanges:
    """The future-break model for a fit, switched on or off.

    The rate's distribution comes from the fit's spec (``forecast.regime_breaks_seen``,
    ``forecast.regime_years_seen``); the size of slope changes from the spec's
    ``forecast.regime_slope_log_sd`` or, when unset, from the fit's own eras.

    Parameters
    ----------
    fit : Fit
    horizon : float
        Last date of the forecast (decimal year).
    mode : {"auto", "on", "off"} or bool
        ``"auto"`` is on when ``horizon`` is more than :data:`REGIME_AUTO_YEARS` years past
        the last run.
    rate : float, optional
        A fixed break rate per year instead of the spec's Gamma distribution.
    slope_log_sd : float, optional
        Standard deviation of ``ln(new slope / old slope)`` instead of the spec's or the
        fit's.

    Returns
    -------
    RegimeChanges

    Examples
    --------
    >>> regime_changes_for(fit, 2030.99).describe()      # doctest: +SKIP
    'future regime changes ON (...)'
    """
    if isinstance(mode, bool):
        mode = "on" if mode else "off"
    if mode not in ("auto", "on", "off"):
        raise FlopcastError(f"regime_changes={mode!r}: use 'auto', 'on' or 'off' (or a bool)")
    start = float(fit.runs["year"].max())
    settings = fit.spec.forecast
    post = fit.posterior
    jump_sd = float(np.sqrt(np.mean(stack_draws(post, "jumps") ** 2))) if "jumps" in post else 0.0
    if rate is not None and not (math.isfinite(rate) and rate > 0):
        raise FlopcastError(f"regime rate={rate!r}: give a positive number of breaks per year")
    if slope_log_sd is None:
        slope_log_sd = settings.regime_slope_log_sd
    if slope_log_sd is None:
        slope_log_sd = fitted_slope_log_sd(fit)
    elif not (math.isfinite(slope_log_sd) and slope_log_sd >= 0):
        raise FlopcastError(f"slope_log_sd={slope_log_sd!r}: give a non-negative number")
    ahead = horizon - start
    if mode == "auto":
        enabled = ahead > REGIME_AUTO_YEARS
        reason = (
            f"auto: horizon {ahead:.1f} years past the last run, "
            f"{'more' if enabled else 'not more'} than {REGIME_AUTO_YEARS:g}"
        )
    else:
        enabled = mode == "on"
        reason = f"asked: {mode}"
    return RegimeChanges(
        enabled=enabled,
        mode=mode,
        start=start,
        rate_shape=RATE_PRIOR_SHAPE + settings.regime_breaks_seen,
        rate_rate=settings.regime_years_seen,
        slope_log_sd=float(slope_log_sd),
        jump_sd=jump_sd,
        reason=reason,
        fixed_rate=None if rate is None else float(rate),
        max_slope=settings.regime_max_slope,
        lookback=undetectable_years(fit),
    )


def undetectable_years(fit: Fit) -> float:
    """Years before the last run in which the fit's break prior cannot place a break.

    ``priors.min_era_years``, or more when ``priors.break_max`` ends the prior earlier.

    Examples
    --------
    >>> undetectable_years(fit)        # doctest: +SKIP
    5.0
    """
    priors = fit.spec.priors
    last = float(fit.runs["year"].max())
    window = float(priors.min_era_years)
    if priors.break_max is not None and fit.spec.model.fixed_breaks is None:
        window = max(window, last - float(priors.break_max))
    return window


def fitted_slope_log_sd(fit: Fit) -> float:
    """Historical size of a slope change: RMS of the fit's ``ln(b_k+1 / b_k)``.

    Over all posterior draws and breaks (the posterior mean of the squared log change, so
    an uncertain past change counts as a possibly larger one), with slopes below 0.01
    log10 FLOP per year raised to it; at least :data:`SLOPE_LOG_CHANGE_FLOOR` (also the
    value for a fit without breaks).

    Examples
    --------
    >>> fitted_slope_log_sd(fit)        # doctest: +SKIP
    1.18
    """
    if fit.spec.model.breaks == 0:
        return SLOPE_LOG_CHANGE_FLOOR
    slopes = np.maximum(stack_draws(fit.posterior, "slopes"), _SLOPE_RATIO_FLOOR)
    rms = float(np.sqrt(np.mean(np.diff(np.log(slopes), axis=1) ** 2)))
    return max(SLOPE_LOG_CHANGE_FLOOR, rms)


@dataclass(frozen=True)
class RegimePaths:
    """Simulated future breaks, one path per forecast sample.

    ``times`` (samples, J) are break dates (``inf`` where a path has fewer breaks),
    ``slope_changes`` and ``jumps`` (samples, J) what each changes.
    """

    times: np.ndarray
    slope_changes: np.ndarray
    jumps: np.ndarray

    @classmethod
    def none(cls, n_samples: int) -> RegimePaths:
        """No future breaks."""
        empty = np.zeros((n_samples, 0))
        return cls(empty, empty, empty)

    @classmethod
    def simulate(
        cls,
        model: RegimeChanges,
        last_slopes: np.ndarray,
        until: float,
        rng: np.random.Generator,
    ) -> RegimePaths:
        """Draw break dates, slope changes and jumps for each sample up to ``until``.

        Parameters
        ----------
        model : RegimeChanges
        last_slopes : ndarray
            Each sample's slope in the last fitted era, shape (samples,).
        until : float
            Simulate breaks up to this decimal year.
        rng : numpy.random.Generator

        Returns
        -------
        RegimePaths

        Examples
        --------
        >>> m = RegimeChanges(True, "on", 2025.0, 3.5, 35.0, 1.0, 0.0, "test")
        >>> p = RegimePaths.simulate(m, np.full(1000, 0.6), 2050.0, np.random.default_rng(0))
        >>> float(p.offset(np.array([2025.0])).max())
        0.0
        """
        n = len(last_slopes)
        if not model.enabled:
            return cls.none(n)
        if model.fixed_rate is not None:
            rate = np.full(n, model.fixed_rate)
        else:
            rate = rng.gamma(model.rate_shape, 1.0 / model.rate_rate, size=n)
        times, changes, jumps = [], [], []
        current = np.full(n, model.start - model.lookback)
        slope = np.asarray(last_slopes, dtype=float).copy()
        for _ in range(MAX_FUTURE_BREAKS):
            current = current + rng.exponential(1.0, size=n) / rate
            active = current <= until
            if not active.any():
                break
            new_slope = np.minimum(
                slope * np.exp(rng.normal(0.0, model.slope_log_sd, size=n)),
                np.maximum(slope, model.max_slope),
            )
            change = np.where(active, new_slope - slope, 0.0)
            jump = rng.normal(0.0, model.jump_sd, size=n) if model.jump_sd > 0 else np.zeros(n)
            # A break inside the data (the undetectable window) acts from the last run.
            times.append(np.where(active, np.maximum(current, model.start), np.inf))
            changes.append(change)
            jumps.append(np.where(active, jump, 0.0))
            slope = np.where(active, new_slope, slope)
        if not times:
            return cls.none(n)
        return cls(np.stack(times, 1), np.stack(changes, 1), np.stack(jumps, 1))

    @property
    def n_breaks(self) -> np.ndarray:
        """Number of future breaks of each sample."""
        return np.isfinite(self.times).sum(axis=1)

    def offset(self, years: np.ndarray) -> np.ndarray:
        """What the future breaks add to the trend (dex) at decimal ``years``: (samples, n)."""
        years = np.asarray(years, dtype=float)
        out = np.zeros((self.times.shape[0], len(years)))
        for j in range(self.times.shape[1]):
            tau = self.times[:, j : j + 1]
            after = years[None, :] - tau
            out += self.slope_changes[:, j : j + 1] * np.where(after > 0, after, 0.0)
            out += self.jumps[:, j : j + 1] * (after > 0)
        return out


# --------------------------------------------------------------------------------------
# Threshold crossings


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


def _runs_with_costs(fit: Fit) -> pd.DataFrame | None:
    """The fit's runs with their recorded cost (2023 USD), when it is known."""
    runs = fit.runs
    if "cost_usd" in runs.columns:
        return runs
    if fit.spec.data.source != "bundled":
        return None
    from flopcast.runs import load_runs

    bundled = load_runs().runs[["system", "cost_usd"]].drop_duplicates("system")
    return runs.merge(bundled, on="system", how="left")


# --------------------------------------------------------------------------------------
# The forecast object


@dataclass
class Forecast:
    """Forecast draws and their summaries. Build with :func:`forecast`.

    Attributes
    ----------
    draws : xarray.Dataset
        Raw draws, **log10** values, dims ``(sample, date)`` (coordinate ``year`` holds the
        decimal years): ``log10_compute_flop_trend``/``_run`` (full-population fits),
        ``log10_frontier_compute_flop_trend``/``_run``, ``log10_frontier_cost_usd_trend``/
        ``_run`` (when cost is on); ``*_trend`` give the credible intervals, ``*_run`` the
        predictive ones. ``crossing_year`` (sample, threshold) holds each sample's
        threshold-crossing date (``inf``: not reached by the search end).
    thresholds : pandas.DataFrame
        One row per threshold (see :meth:`threshold_table`).
    horizon : float
        Decimal year of the horizon.
    last_data : float
        Decimal year of the fit's last run.
    regime : RegimeChanges
    frontier : FrontierDefinition
    cost : dict or None
        Price-performance and utilization settings when cost is on.
    spec_name : str
    seed : int
    """

    draws: xr.Dataset
    thresholds: pd.DataFrame
    horizon: float
    last_data: float
    regime: RegimeChanges
    frontier: FrontierDefinition
    cost: dict[str, Any] | None
    spec_name: str
    seed: int
    search_end: float = field(default=np.inf)

    _QUANTITIES: ClassVar[tuple[tuple[str, str], ...]] = (
        ("compute_flop", "FLOP"),
        ("frontier_compute_flop", "FLOP"),
        ("frontier_cost_usd", "USD"),
    )

    @property
    def quantities(self) -> list[str]:
        """The quantities present, in table order."""
        return [q for q, _ in self._QUANTITIES if f"log10_{q}_trend" in self.draws]

    def _summaries(self, quantity: str) -> pd.DataFrame:
        trend = self.draws[f"log10_{quantity}_trend"].values
        run = self.draws[f"log10_{quantity}_run"].values
        t_lo, t_med, t_hi = np.quantile(trend, [_Q_LO, 0.5, _Q_HI], axis=0)
        r_lo, r_hi = np.quantile(run, [_Q_LO, _Q_HI], axis=0)
        return pd.DataFrame(
            {
                "date": pd.DatetimeIndex(self.draws["date"].values),
                "year": self.draws["year"].values,
                "quantity": quantity,
                "median": 10.0**t_med,
                "ci90_low": 10.0**t_lo,
                "ci90_high": 10.0**t_hi,
                "pi90_low": 10.0**r_lo,
                "pi90_high": 10.0**r_hi,
            }
        )

    def table(self) -> pd.DataFrame:
        """Medians and 90% intervals per quantity and date, in FLOP and USD.

        Returns
        -------
        pandas.DataFrame
            Columns ``date``, ``quantity``, ``median``, ``ci90_low``, ``ci90_high``,
            ``pi90_low``, ``pi90_high``. ``median`` and ``ci90_*`` are the posterior median
            and 90% credible interval of the trend; ``pi90_*`` the 90% predictive interval
            of one run at that date. ``.attrs`` says what each is and whether future
            regime changes were on.

        Examples
        --------
        >>> fc = forecast(fit, until="2030-12-31", cost=False)    # doctest: +SKIP
        >>> fc.table().query("quantity == 'frontier_compute_flop'")  # doctest: +SKIP
        """
        parts = [self._summaries(q).drop(columns="year") for q in self.quantities]
        out = pd.concat(parts, ignore_index=True)
        out.attrs.update(self._meanings())
        return out

    def threshold_table(self) -> pd.DataFrame:
        """Threshold crossings of the frontier trend.

        Returns
        -------
        pandas.DataFrame
            One row per threshold: ``quantity`` (``compute_flop`` or ``cost_usd``),
            ``value``, ``median_date``, ``ci90_low``, ``ci90_high`` (decimal years; ``inf``
            when later than the search end), ``prob_by_horizon``, ``crossed_in_data``
            (bool, or None when unknown), ``crossed_by``, ``crossed_by_date`` and
            ``crossed_by_value`` (the first run in the data that reached it).

        Examples
        --------
        >>> forecast(fit).threshold_table()      # doctest: +SKIP
        """
        return self.thresholds.copy()

    def _meanings(self) -> dict[str, str]:
        return {
            "median": "posterior median of the trend",
            "ci90": "90% credible interval of the trend (5th-95th percentile)",
            "pi90": "90% predictive interval for one run at that date (trend + scatter)",
            "frontier": self.frontier.description,
            "regime_changes": self.regime.describe(),
            "cost": self._cost_line() or "cost not computed",
        }

    def _cost_line(self) -> str:
        if not self.cost:
            return ""
        c = self.cost
        return (
            f"cost in constant {c['base_year']} USD = compute / (peak FLOP per USD, "
            f"{c['kind']} price-performance trend, doubling every "
            f"{c['doubling_years_median']:.2f} years) / utilization "
            f"(Beta({c['utilization']['alpha']:g}, {c['utilization']['beta']:g}), "
            f"mean {c['utilization']['mean']:.0%})"
        )

    # -- JSON ------------------------------------------------------------------------
    def to_json_dict(self) -> dict[str, Any]:
        """The ``forecast`` block of the summary JSON.

        Keys: ``horizon`` and ``last_data`` (decimal years), ``intervals`` (what ``ci90``
        and ``pi90`` mean), ``frontier`` (its definition), ``regime_changes`` (on/off and
        the model), ``compute`` (the frontier: ``[{date, median, ci90, pi90}]``, FLOP,
        dates in decimal years), ``compute_typical`` (the typical run, same layout; null
        for a frontier fit), ``cost_usd`` (the frontier run's cost, same layout; empty when
        cost is off), ``cost`` (its settings or null) and ``thresholds``
        (``[{quantity, value, median_date, ci90, prob_by_horizon, crossed_by}]``, where
        ``crossed_by`` is null or ``{system, date, date_iso, value}``; dates later than
        the search end are null).

        Examples
        --------
        >>> sorted(forecast(fit, cost=False).to_json_dict())    # doctest: +SKIP
        """

        def entries(quantity: str) -> list[dict[str, Any]]:
            if quantity not in self.quantities:
                return []
            s = self._summaries(quantity)
            return [
                {
                    "date": r.year,
                    "median": r.median,
                    "ci90": [r.ci90_low, r.ci90_high],
                    "pi90": [r.pi90_low, r.pi90_high],
                }
                for r in s.itertuples()
            ]

        thresholds = []
        for r in self.thresholds.itertuples():
            thresholds.append(
                {
                    "quantity": r.quantity,
                    "value": r.value,
                    "median_date": _finite_or_none(r.median_date),
                    "ci90": [_finite_or_none(r.ci90_low), _finite_or_none(r.ci90_high)],
                    "prob_by_horizon": r.prob_by_horizon,
                    "crossed_in_data": r.crossed_in_data,
                    "crossed_by": (
                        {
                            "system": r.crossed_by,
                            "date": r.crossed_by_date,
                            "date_iso": decimal_year_to_timestamp(r.crossed_by_date)
                            .date()
                            .isoformat(),
                            "value": r.crossed_by_value,
                        }
                        if r.crossed_in_data
                        else None
                    ),
                }
            )
        typical = entries("compute_flop") if "compute_flop" in self.quantities else None
        return jsonable(
            {
                "horizon": self.horizon,
                "last_data": self.last_data,
                "threshold_search_end": self.search_end,
                "intervals": {
                    "median": "posterior median of the trend",
                    "ci90": "90% credible interval of the trend",
                    "pi90": "90% predictive interval for one run (trend + scatter)",
                },
                "frontier": self.frontier.to_dict(),
                "regime_changes": self.regime.to_dict(),
                "compute": entries("frontier_compute_flop"),
                "compute_typical": typical,
                "cost_usd": entries("frontier_cost_usd"),
                "cost": self.cost,
                "thresholds": thresholds,
                "seed": self.seed,
            }
        )

    # -- display ---------------------------------------------------------------------
    def format_tables(self) -> str:
        """The forecast and threshold tables as plain text, with what the intervals mean."""
        lines = [
            f"flopcast Forecast: spec {self.spec_name!r}, last run {self.last_data:.2f}, "
            f"horizon {self.horizon:.2f} ({decimal_year_to_timestamp(self.horizon).date()})",
            f"frontier: {self.frontier.description}",
            self.regime.describe(),
        ]
        if self.cost:
            lines.append(self._cost_line())
        lines.append(
            "median = posterior median of the trend; ci90 = 90% credible interval of the "
            "trend; pi90 = 90% predictive interval for one run"
        )
        header = f"  {'date':<10} {'quantity':<22} {'median':>9}  {'ci90':<21}  {'pi90':<21}"
        lines.append(header)
        for row in self.table().itertuples():
            lines.append(
                f"  {row.date.date()!s:<10} {row.quantity:<22} {_num(row.median):>9}  "
                f"{_span(row.ci90_low, row.ci90_high):<21}  {_span(row.pi90_low, row.pi90_high)}"
            )
        lines.append(
            "threshold crossings of the frontier trend (decimal years; median and 90% interval"
            f"; P = probability by the horizon {self.horizon:.2f}):"
        )
        for r in self.thresholds.itertuples():
            label = f"{_num(r.value)} {'FLOP' if r.quantity == 'compute_flop' else 'USD'}"
            when = (
                f"{_year(r.median_date)} [{_year(r.ci90_low)}, {_year(r.ci90_high)}]"
                f"  P={r.prob_by_horizon:.2f}"
            )
            if r.crossed_in_data:
                data = (
                    f"  crossed in the data by {r.crossed_by} "
                    f"({decimal_year_to_date(r.crossed_by_date)}, {_num(r.crossed_by_value)})"
                )
            elif r.crossed_in_data is None:
                data = "  (no recorded costs to check the data)"
            elif r.quantity == "cost_usd":
                data = "  not reached by any run with a recorded cost"
            else:
                data = "  not yet reached by any run in the data"
            lines.append(f"  {label:<14} {when}{data}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.format_tables()

    def _repr_html_(self) -> str:
        table = self.table()
        table["date"] = table["date"].dt.date
        thresholds = self.thresholds.copy()
        return (
            f"<div><b>flopcast Forecast</b>: spec <code>{html.escape(self.spec_name)}</code>, "
            f"horizon {self.horizon:.2f}.<br>Frontier: {html.escape(self.frontier.description)}"
            f"<br>{html.escape(self.regime.describe())}"
            + (f"<br>{html.escape(self._cost_line())}" if self.cost else "")
            + "<br>median and ci90: trend (posterior median, 90% credible interval); pi90: "
            "90% predictive interval for one run."
            + table.to_html(index=False, float_format=_num)
            + "<p>Threshold crossings of the frontier trend (decimal years)</p>"
            + thresholds.to_html(index=False, float_format=lambda v: f"{v:.4g}")
            + "</div>"
        )


def _finite_or_none(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _num(v: float) -> str:
    return f"{v:.2e}" if np.isfinite(v) else "-"


def _span(lo: float, hi: float) -> str:
    return f"[{_num(lo)}, {_num(hi)}]"


def _year(v: float) -> str:
    return f"{v:.1f}" if np.isfinite(v) else "later"


# --------------------------------------------------------------------------------------
# The entry point

_PP_CACHE: dict[tuple, Any] = CacheDict("forecasting.price_performance")

#: Price-performance used for cost by default: amortized purchase prices. Against Epoch's
#: recorded training costs (156 runs) it is within a factor 1.3 at the median, while
#: on-demand cloud prices give costs about 10x the recorded ones (cost.cross_check_costs).
DEFAULT_COST_KIND = "purchase"


def _price_performance(cost: Any, seed: int) -> Any:
    """A price-performance fit from ``cost`` (True, a kind, or a fit-like object)."""
    if cost is True:
        cost = DEFAULT_COST_KIND
    if isinstance(cost, str):
        from flopcast.cost import fit_price_performance

        if cost not in ("cloud", "purchase"):
            raise FlopcastError(f"cost={cost!r}: use True, False, 'cloud' or 'purchase'")
        key = (cost, seed)
        if key not in _PP_CACHE:
            _PP_CACHE[key] = fit_price_performance(cost, seed=seed)
        return _PP_CACHE[key]
    if hasattr(cost, "draws_at"):
        return cost
    raise FlopcastError(
        f"cost={cost!r}: use True, False, 'cloud', 'purchase' or a PricePerformanceFit"
    )


def forecast(
    fit: Fit,
    until: Any = None,
    dates: Any = None,
    *,
    regime_changes: str | bool = "auto",
    regime_rate: float | None = None,
    slope_log_sd: float | None = None,
    cost: Any = True,
    seed: int | None = None,
    frontier: str | float = "auto",
    utilization: Any = None,
    thresholds_flop: list[float] | None = None,
    thresholds_usd: list[float] | None = None,
) -> Forecast:
    """Project a fit's posterior draws to a horizon: compute, cost and threshold dates.

    Parameters
    ----------
    fit : Fit
        A fit (:func:`flopcast.fit` or :func:`flopcast.load_fit`).
    until : date-like, optional
        Horizon: ``"2030-12-31"``, ``2030`` (its last day), a date, or a decimal year.
        Defaults to the spec's ``forecast.horizon`` (2030-12-31).
    dates : sequence of date-likes, optional
        Dates to report; by default the middle of every year from the last run to the
        horizon, and the horizon.
    regime_changes : {"auto", "on", "off"} or bool, default "auto"
        Future breaks in the trend (module docstring); "auto" is on for horizons more than
        three years past the last run.
    regime_rate : float, optional
        A fixed break rate per year instead of the spec's ``Gamma(0.5 + B, Y)``.
    slope_log_sd : float, optional
        Size of future slope changes: sd of ``ln(new slope / old slope)``, instead of the
        spec's ``forecast.regime_slope_log_sd`` or the fit's own (:func:`fitted_slope_log_sd`).
    cost : bool, {"cloud", "purchase"} or PricePerformanceFit, default True
        Training cost of a frontier run: True fits the price-performance trend of
        :data:`DEFAULT_COST_KIND` (amortized purchase prices;
        :func:`flopcast.cost.fit_price_performance`, cached in-process); False skips cost.
    seed : int, optional
        Seed of the forecast's random draws; defaults to the fit's seed.
    frontier : "auto", "fit" or float, default "auto"
        What the frontier is (:func:`frontier_definition`).
    utilization : UtilizationPrior or float, optional
        Utilization prior for cost (default :class:`flopcast.cost.UtilizationPrior`,
        Beta(8, 16), mean 33%) or a fixed value.
    thresholds_flop, thresholds_usd : list of float, optional
        Thresholds; default the spec's ``forecast.thresholds_flop``/``thresholds_usd``.

    Returns
    -------
    Forecast

    Examples
    --------
    >>> import flopcast
    >>> from flopcast.forecasting import forecast
    >>> fit = flopcast.fit(spec="frontier")                      # doctest: +SKIP
    >>> fc = forecast(fit, until="2030-12-31")                   # doctest: +SKIP
    >>> fc.table()                                               # doctest: +SKIP
    >>> fc.threshold_table()                                     # doctest: +SKIP
    >>> fc.draws["log10_frontier_compute_flop_trend"]            # doctest: +SKIP
    """
    if not isinstance(fit, Fit):
        raise FlopcastError(f"forecast needs a Fit, got {type(fit).__name__}")
    spec = fit.spec
    horizon = (
        to_decimal_year(spec.forecast.horizon)
        if until is None
        else to_decimal_year(until, what="until", year_end=True)
    )
    last_data = float(fit.runs["year"].max())
    if horizon <= last_data:
        raise FlopcastError(
            f"until={until!r}: the horizon ({horizon:.2f}) must be after the last run "
            f"({last_data:.2f})"
        )
    if dates is None:
        years = default_dates(last_data, horizon)
    else:
        if isinstance(dates, str | int | float | dt.date):
            dates = [dates]
        years = np.sort(np.asarray([to_decimal_year(d, what="dates") for d in dates], float))
        if len(years) == 0:
            raise FlopcastError("dates: give at least one date")
    seed = fit.seed if seed is None else int(seed)
    rng = np.random.default_rng([seed, 20_240_4])
    front = frontier_definition(fit, frontier)
    regime = regime_changes_for(
        fit, horizon, regime_changes, rate=regime_rate, slope_log_sd=slope_log_sd
    )

    post = fit.posterior
    n_samples = int(post.sizes["chain"] * post.sizes["draw"])
    nu = stack_draws(post, "nu") if "nu" in post else None
    last_slopes = stack_draws(post, "slopes")[:, -1]
    search_end = horizon + THRESHOLD_SEARCH_YEARS
    paths = RegimePaths.simulate(regime, last_slopes, search_end, rng)
    z_front = (
        _scatter_quantile(np.full(n_samples, front.quantile), nu)[:, None]
        if front.kind == "quantile"
        else 0.0
    )

    def frontier_trend(at: np.ndarray) -> np.ndarray:
        trend = fit.trend(at) + paths.offset(at)
        if front.kind == "quantile":
            trend = trend + z_front * scatter_draws(post, at)
        return trend

    # Compute at the report dates.
    mu = fit.trend(years) + paths.offset(years)
    scatter = scatter_draws(post, years)
    u_run = rng.uniform(size=(n_samples, len(years)))
    variables: dict[str, np.ndarray] = {}
    if front.kind == "quantile":
        variables["log10_compute_flop_trend"] = mu
        variables["log10_compute_flop_run"] = mu + scatter * _scatter_quantile(
            u_run, None if nu is None else nu[:, None]
        )
        share = float(front.share)  # type: ignore[arg-type]
        u_top = 1.0 - share + share * rng.uniform(size=u_run.shape)
        variables["log10_frontier_compute_flop_trend"] = mu + z_front * scatter
        variables["log10_frontier_compute_flop_run"] = mu + scatter * _scatter_quantile(
            u_top, None if nu is None else nu[:, None]
        )
    else:
        variables["log10_frontier_compute_flop_trend"] = mu
        variables["log10_frontier_compute_flop_run"] = mu + scatter * _scatter_quantile(
            u_run, None if nu is None else nu[:, None]
        )

    # Cost of a frontier run.
    cost_info: dict[str, Any] | None = None
    pp_index = u_draws = None
    pp_fit = None
    if cost is not False and cost is not None:
        from flopcast.cost import UtilizationPrior, cost_draws

        pp_fit = _price_performance(cost, seed)
        prior = utilization if utilization is not None else UtilizationPrior()
        if isinstance(prior, UtilizationPrior):
            u_draws = prior.draws(n_samples, rng)
            util_info = prior.to_dict()
        else:
            value = float(prior)
            if not 0.0 < value <= 1.0:
                raise FlopcastError(f"utilization={prior!r} must lie in (0, 1]")
            u_draws = np.full(n_samples, value)
            util_info = {"distribution": "fixed", "alpha": value, "beta": 0.0, "mean": value}
        pp_years = np.asarray(pp_fit.draws_at(years), dtype=float)
        pp_index = rng.integers(0, pp_years.shape[0], size=n_samples)
        for part in ("trend", "run"):
            usd = cost_draws(
                variables[f"log10_frontier_compute_flop_{part}"],
                years,
                pp_years[pp_index],
                u_draws,
                rng,
            )
            variables[f"log10_frontier_cost_usd_{part}"] = np.log10(usd)
        slope = np.asarray(
            pp_fit.slope_draws() if hasattr(pp_fit, "slope_draws") else [np.nan], float
        )
        cost_info = {
            "kind": getattr(pp_fit, "kind", "given"),
            "base_year": getattr(pp_fit, "base_year", None),
            "doubling_years_median": float(np.log10(2.0) / np.median(slope)),
            "utilization": util_info,
            "price_performance": "trend of peak FLOP per constant dollar (credible draws)",
        }

    # Threshold crossings of the frontier trend.
    first_year = float(fit.runs["year"].min())
    grid = np.arange(first_year, search_end + GRID_STEP_YEARS / 2, GRID_STEP_YEARS)
    front_grid = frontier_trend(grid)
    flop_values = spec.forecast.thresholds_flop if thresholds_flop is None else thresholds_flop
    usd_values = spec.forecast.thresholds_usd if thresholds_usd is None else thresholds_usd
    rows: list[dict[str, Any]] = []
    crossings: list[np.ndarray] = []
    labels: list[str] = []
    for value in flop_values:
        dates_ = crossing_dates(front_grid, grid, math.log10(value))
        rows.append(
            _threshold_row("compute_flop", value, dates_, horizon, fit.runs, "compute_flop")
        )
        crossings.append(dates_)
        labels.append(f"compute_flop {value:.0e}")
    if pp_fit is not None and usd_values:
        cost_grid = (
            front_grid
            - np.asarray(pp_fit.draws_at(grid), dtype=float)[pp_index]
            - np.log10(u_draws)[:, None]
        )
        del front_grid
        cost_runs = _runs_with_costs(fit)
        for value in usd_values:
            dates_ = crossing_dates(cost_grid, grid, math.log10(value))
            rows.append(_threshold_row("cost_usd", value, dates_, horizon, cost_runs, "cost_usd"))
            crossings.append(dates_)
            labels.append(f"cost_usd {value:.0e}")
    thresholds = pd.DataFrame(rows)

    coords = {
        "sample": np.arange(n_samples),
        "date": pd.DatetimeIndex([decimal_year_to_timestamp(y) for y in years]),
    }
    ds = xr.Dataset(
        {
            name: xr.DataArray(
                values,
                dims=("sample", "date"),
                attrs={"units": "log10 USD" if "cost" in name else "log10 FLOP"},
            )
            for name, values in variables.items()
        },
        coords=coords,
    )
    ds = ds.assign_coords(year=("date", years))
    if crossings:
        ds["crossing_year"] = xr.DataArray(
            np.stack(crossings, axis=1),
            dims=("sample", "threshold"),
            coords={"threshold": labels},
            attrs={"units": "decimal year", "note": "inf: not reached by the search end"},
        )
    ds["future_breaks"] = xr.DataArray(paths.n_breaks, dims=("sample",))
    ds.attrs.update(
        {
            "values": "log10 of FLOP or constant USD",
            "frontier": front.description,
            "regime_changes": regime.describe(),
            "seed": seed,
        }
    )
    return Forecast(
        draws=ds,
        thresholds=thresholds,
        horizon=horizon,
        last_data=last_data,
        regime=regime,
        frontier=front,
        cost=cost_info,
        spec_name=spec.name,
        seed=seed,
        search_end=search_end,
    )


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
    lo, med, hi = (
        float(v) if v < big / 2 else np.inf
        for v in np.quantile(np.where(np.isfinite(dates), dates, big), [_Q_LO, 0.5, _Q_HI])
    )
    first = _first_in_data(runs, column, value) if runs is not None else None
    known = runs is not None and column in runs.columns
    return {
        "quantity": quantity,
        "value": float(value),
        "median_date": float(med),
        "ci90_low": float(lo),
        "ci90_high": float(hi),
        "prob_by_horizon": float(np.mean(dates <= horizon)),
        "crossed_in_data": (first is not None) if known else None,
        "crossed_by": first["system"] if first else None,
        "crossed_by_date": first["date"] if first else np.nan,
        "crossed_by_value": first["value"] if first else np.nan,
    }
