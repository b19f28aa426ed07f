"""Future regime changes: new breaks in the trend after the data end.

The model (:class:`RegimeChanges`, :func:`regime_changes_for`) lets the trend break again
after the data end. Breaks arrive as a Poisson process whose rate per year has the
distribution ``Gamma(0.5 + B, Y)``: the Jeffreys posterior of a Poisson rate after ``B``
breaks in ``Y`` years (spec ``forecast.regime_breaks_seen`` /
``forecast.regime_years_seen``; default 3 breaks, near 1995, 2010 and 2018, in the 35
data-rich years 1990-2025: a mean of 0.1 per year). Each new break multiplies the slope by
``exp(Normal(0, s))``, with ``s`` the root-mean-square of ``ln(b_k+1 / b_k)`` over the fit's
posterior draws and breaks (historical-sized changes *in proportion*: the doubling time went
from about 20 to about 6 months at the 2010 break), at least :data:`SLOPE_LOG_CHANGE_FLOOR`;
a positive slope stays positive, and a break never takes the slope above
``forecast.regime_max_slope`` (1.06 log10 FLOP per year, a doubling every 3.4 months: the
fastest era on record). Breaks arrive from the end of the fit's break prior,
``priors.min_era_years`` (5) years before the last run, not from the last run: the fit
cannot place a break in that window, so a break there would be undetected; it takes effect
from the last run (the fitted trend is pinned by the data up to it). With
``regime_changes="auto"`` (default) they are on when the horizon is more than
:data:`REGIME_AUTO_YEARS` years after the last run; every output says whether they were on.

Why not count the fit's own breaks? A fit has the number of breaks its spec gives it
(``K = 1`` for two eras), so ``K`` breaks in the data's 70-year span is not an observation
of the break rate: it gave 0.02 breaks per year, and the 2019 backtest's 90% intervals then
covered 76% of later runs (docs, explanation/backtests). The earlier additive slope changes
(``Normal(0, RMS of fitted changes)``, clamped at zero) were too small in the fast modern
era for the same reason: the one fitted change was measured between two slow eras. Without
the cap, the multiplicative changes put the upper 90% bound of 2030 frontier compute above
1e34 FLOP; without the undetectable window the 2019 backtest covered 0.82 (the docs page
explanation/backtests lists every variant that was tried).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from flopcast.exceptions import FlopcastError
from flopcast.fitting import Fit, stack_draws

__all__ = [
    "MAX_FUTURE_BREAKS",
    "RATE_PRIOR_SHAPE",
    "REGIME_AUTO_YEARS",
    "SLOPE_LOG_CHANGE_FLOOR",
    "RegimeChanges",
    "RegimePaths",
    "fitted_slope_log_sd",
    "regime_changes_for",
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
#: Most future breaks simulated per draw (the Poisson mean is far below this).
MAX_FUTURE_BREAKS: int = 200


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
        drawn = np.isfinite(self.times)
        if not drawn.any():
            return out
        # Only years after the earliest break can move: on a search grid from the first
        # run, most years are before it (the same sums, on the later columns only).
        cols = np.flatnonzero(years > self.times[drawn].min())
        later = years[cols][None, :]
        part = np.zeros((self.times.shape[0], len(cols)))
        for j in np.flatnonzero(drawn.any(axis=0)):
            after = later - self.times[:, j : j + 1]
            part += self.slope_changes[:, j : j + 1] * np.where(after > 0, after, 0.0)
            part += self.jumps[:, j : j + 1] * (after > 0)
        out[:, cols] = part
        return out
