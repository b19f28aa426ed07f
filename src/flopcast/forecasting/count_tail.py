"""The share of a year's runs above a threshold, from the empirical residuals of recent runs.

The counts (:mod:`flopcast.forecasting.counts`) need, for each sample and date, the chance
that a run published then is above a threshold ``T``. The compute model's own answer, its
Normal (or Student-t) scatter around the trend, has too heavy an upper tail for the high
thresholds: the runs' residuals around the trend are skewed to the left (a long tail of
small runs, a short one of large runs), so one symmetric scatter of 1.9 dex puts about
twice as many runs above 1e25 FLOP as the data hold (docs: explanation/counts_and_limits).

:class:`ResidualTail` takes the shape of the distribution from the data instead::

    r_i = log10 C_i - mu_s(t_i)                 each run i of the window, sample s
    P(run at t above T) = (1/m) #{i : mu_s(t) + r_i > log10 T}

``mu_s`` is sample ``s``'s trend, the window is the complete calendar years
``[Y_end - K, Y_end)`` before the data's last (partial) year ``Y_end`` (``counts.tail_years``
= K; the partial year is left out because its large runs are listed sooner than its small
ones). Above the top ``counts.tail_share`` (10%) of the residuals the share is an
exponential tail, ``q exp(-(r - u) / beta)`` with ``u`` the largest residual below the top
``q`` and ``beta`` the mean excess of the top ones over it (a peaks-over-threshold tail),
so thresholds beyond the largest run on record get a share that falls off smoothly rather
than none. The runs of the window are resampled with replacement for every sample (a
bootstrap), so the uncertainty of a tail estimated from a few hundred runs reaches the
counts along with the trend's.

The residuals are of the compute *as published* (measurement error included), so the
counts describe runs as the database estimates their compute, like the published anchors.

Examples
--------
>>> import numpy as np
>>> tail = ResidualTail(np.array([[-1.0, 0.0, 0.5, 2.0]]), tail_share=0.0)
>>> tail.sf(np.array([[0.25, 1.0, -2.0]])).tolist()
[[0.5, 0.25, 1.0]]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from flopcast.exceptions import FlopcastError

__all__ = [
    "MIN_TAIL_RUNS",
    "TAIL_KINDS",
    "ResidualTail",
    "describe_tail",
    "tail_for",
    "tail_window",
]

#: What the counts take the upper tail from: the data's residuals or the model's scatter.
TAIL_KINDS: tuple[str, ...] = ("empirical", "scatter")
#: Residuals lie far inside this (dex); row offsets of the vectorised search use it.
_SPAN = 1000.0
#: Fewest runs in the window.
MIN_TAIL_RUNS: int = 20
#: Fewest residuals in the exponential tail (when ``tail_share`` > 0).
MIN_EXCESS: int = 5


def tail_window(end: float, years: float) -> tuple[float, float]:
    """The window of runs whose residuals make the tail: the ``years`` complete calendar
    years before the year of ``end`` (a decimal year).

    Examples
    --------
    >>> tail_window(2025.38, 2)
    (2023.0, 2025.0)
    >>> tail_window(2021.0, 3)
    (2018.0, 2021.0)
    """
    last = float(math.floor(end))
    return last - float(years), last


@dataclass(frozen=True)
class ResidualTail:
    """Empirical residuals of recent runs around the trend, one resample per sample.

    Attributes
    ----------
    residuals : ndarray
        (samples, m) log10 residuals, sorted within each sample.
    window : tuple of float
        The decimal years whose runs were used.
    tail_share : float
        Share of the top residuals replaced by an exponential tail (0: the plain
        empirical share; at least :data:`MIN_EXCESS` residuals when above 0).
    """

    residuals: np.ndarray
    window: tuple[float, float] = (math.nan, math.nan)
    tail_share: float = 0.1

    def __post_init__(self) -> None:
        r = np.sort(np.atleast_2d(np.asarray(self.residuals, dtype=float)), axis=1)
        if not np.all(np.isfinite(r)) or np.any(np.abs(r) >= _SPAN / 4):
            raise FlopcastError("count tail: residuals must be finite and within +-250 dex")
        if not 0.0 <= self.tail_share < 1.0:
            raise FlopcastError(f"count tail: tail_share {self.tail_share} must be in [0, 1)")
        object.__setattr__(self, "residuals", r)

    @property
    def n_excess(self) -> int:
        """Residuals of each sample in the exponential tail (0: none)."""
        m = self.residuals.shape[1]
        if self.tail_share == 0 or m < 2:
            return 0
        return int(min(max(round(self.tail_share * m), MIN_EXCESS), m - 1))

    def _exponential_tail(self) -> tuple[np.ndarray, np.ndarray]:
        """Per sample: the tail's start ``u`` (the largest residual below the tail) and the
        mean excess ``beta`` of the residuals above it (the exponential's mean)."""
        k = self.n_excess
        start = self.residuals[:, -k - 1]
        beta = np.maximum(self.residuals[:, -k:].mean(axis=1) - start, 1e-6)
        return start, beta

    @classmethod
    def from_runs(
        cls,
        population: Any,
        years: np.ndarray,
        log10_compute: np.ndarray,
        end: float,
        tail_years: float,
        rng: np.random.Generator | None,
        *,
        tail_share: float = 0.1,
    ) -> ResidualTail:
        """The tail from the runs of the window before ``end`` (:func:`tail_window`).

        Parameters
        ----------
        population : Population
            ``population.population(dates) -> (samples, n)``: each sample's trend.
        years, log10_compute : ndarray
            The runs' decimal dates and log10 compute (as published).
        end : float
            The data's end (last run) or the backtest's origin.
        tail_years : float
            K: complete calendar years in the window.
        rng : numpy.random.Generator or None
            Draws the bootstrap (None: every sample uses every run once).
        tail_share : float
            Share of the top residuals replaced by an exponential tail (0: none).

        Returns
        -------
        ResidualTail
        """
        low, high = tail_window(end, tail_years)
        years = np.asarray(years, dtype=float)
        log10_compute = np.asarray(log10_compute, dtype=float)
        inside = (years >= low) & (years < high) & np.isfinite(log10_compute)
        m = int(inside.sum())
        if m < MIN_TAIL_RUNS:
            raise FlopcastError(
                f"count tail: {m} runs in {low:.0f}-{high - 1:.0f}, fewer than "
                f"{MIN_TAIL_RUNS}; widen counts.tail_years or use counts.tail = 'scatter'"
            )
        trend = population.population(years[inside])
        residuals = log10_compute[inside][None, :] - trend
        if rng is not None:
            pick = rng.integers(0, m, size=residuals.shape)
            residuals = np.take_along_axis(residuals, pick, axis=1)
        return cls(residuals, (low, high), float(tail_share))

    @property
    def n_runs(self) -> int:
        """Runs per sample (the window's)."""
        return int(self.residuals.shape[1])

    def _empirical_sf(self, level: np.ndarray) -> np.ndarray:
        """Share of each sample's residuals strictly above ``level`` (samples, ...)."""
        s, m = self.residuals.shape
        offset = np.arange(s, dtype=float) * _SPAN
        flat = (self.residuals + offset[:, None]).ravel()
        shape = level.shape
        lv = np.clip(level.reshape(s, -1), -_SPAN / 2, _SPAN / 2) + offset[:, None]
        rank = np.searchsorted(flat, lv.ravel(), side="right").reshape(lv.shape)
        above = (np.arange(1, s + 1)[:, None] * m - rank) / m
        return above.reshape(shape)

    def sf(self, level: np.ndarray) -> np.ndarray:
        """P(residual > level) per sample: ``level`` is (samples, ...) or broadcasts to it.

        The empirical share below the tail's start, the exponential tail above it;
        ``+inf`` gives 0 and ``-inf`` gives 1.

        Examples
        --------
        >>> # five of six above u = 0, mean excess 3: (5/6) exp(-level / 3)
        >>> tail = ResidualTail(np.array([[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]]), tail_share=0.5)
        >>> tail.n_excess, tail.sf(np.array([[0.5, 2.0, 3.0]])).round(4).tolist()
        (5, [[0.7054, 0.4278, 0.3066]])
        """
        s = self.residuals.shape[0]
        level = np.asarray(level, dtype=float)
        level = np.broadcast_to(level, (s, *level.shape[1:]) if level.ndim else (s,))
        finite = np.isfinite(level)
        safe = np.where(finite, level, 0.0)
        out = self._empirical_sf(safe)
        k = self.n_excess
        if k > 0:
            start, beta = self._exponential_tail()
            shape = (-1,) + (1,) * (safe.ndim - 1)
            start, beta = start.reshape(shape), beta.reshape(shape)
            above = np.exp(-np.maximum(safe - start, 0.0) / beta) * (k / self.residuals.shape[1])
            out = np.where(safe >= start, above, out)
        return np.where(finite, out, np.where(level > 0, 0.0, 1.0))

    def describe(self) -> str:
        """One line: where the tail comes from."""
        low, high = self.window
        span = f"{low:.0f}-{high - 1:.0f}" if np.isfinite(low) else "given residuals"
        return (
            f"share above a threshold: empirical residuals around the trend of the "
            f"{self.n_runs} runs of {span} (bootstrapped per sample), the top "
            f"{self.tail_share:.0%} an exponential tail"
        )


def tail_for(
    settings: Any,
    population: Any,
    runs: Any,
    end: float,
    rng: np.random.Generator | None,
) -> ResidualTail | None:
    """The tail the counts use under a spec's ``[counts]`` settings: None for ``"scatter"``.

    A window with fewer than :data:`MIN_TAIL_RUNS` runs is widened a year at a time; with
    fewer runs than that before ``end`` in all, the counts use the scatter (None).

    Parameters
    ----------
    settings : CountsSpec
        ``tail``, ``tail_years`` and ``tail_share``.
    population : Population
    runs : pandas.DataFrame
        ``year`` and ``compute_flop`` (as published).
    end : float
        The data's end or the origin (decimal year).
    rng : numpy.random.Generator or None
        The bootstrap's generator.
    """
    if settings.tail not in TAIL_KINDS:
        raise FlopcastError(f"counts.tail {settings.tail!r}: use one of {list(TAIL_KINDS)}")
    if settings.tail == "scatter":
        return None
    years = runs["year"].to_numpy(float)
    # Too few runs in the window: widen it a year at a time; too few in all: the scatter.
    window = int(settings.tail_years)
    while True:
        low, high = tail_window(end, window)
        if np.sum((years >= low) & (years < high)) >= MIN_TAIL_RUNS:
            break
        if not np.any(years < low):
            return None
        window += 1
    return ResidualTail.from_runs(
        population,
        years,
        np.log10(runs["compute_flop"].to_numpy(float)),
        end,
        window,
        rng,
        tail_share=settings.tail_share,
    )


def describe_tail(tail: ResidualTail | None) -> str:
    """One line: where the share above a threshold comes from (None: the scatter)."""
    if tail is None:
        return "share above a threshold: the compute model's scatter (Normal or Student-t)"
    return tail.describe()
