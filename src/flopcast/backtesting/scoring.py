"""Scores of a predictive distribution: from draws, and the log density in closed form.

A predictive here is a mixture over ``S`` components (posterior draws, or one component for a
closed-form baseline), :class:`Predictive`: run ``i`` of component ``s`` is
``mu[s, i] + scatter[s, i] * z + sigma[s, i] * e`` with ``e ~ Normal(0, 1)`` and ``z``
standard Normal or Student-t with ``nu[s]`` degrees of freedom, drawn from its top ``share``
when ``share`` is given (one frontier run of a full-population fit).

* the log score is the log of the mixture's density at the published value, exact (closed
  form per component, averaged over components) except for Student-t scatter with
  measurement error, where the error density is averaged over scatter draws;
* CRPS (:func:`scoringrules.crps_ensemble`, the quantile-decomposition estimator), the
  interval score (Gneiting & Raftery 2007) and coverage at 50/80/90%, and the PIT come from
  predictive draws (:data:`N_DRAWS` per run).

:func:`score_predictions` is the older per-run scorer of :func:`backtest_cutoffs`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special, stats

__all__ = [
    "LEVELS",
    "N_DRAWS",
    "PREDICTIVE_REPEATS",
    "Predictive",
    "interval_score",
    "score_predictions",
    "score_predictive",
]

#: Predictive draws per posterior draw used for quantiles and coverage (cutoff backtests).
PREDICTIVE_REPEATS: int = 4
#: Test runs scored at once (bounds memory: repeats x samples x chunk values).
_CHUNK: int = 200
#: Central interval levels scored (coverage and interval score).
LEVELS: tuple[float, ...] = (0.5, 0.8, 0.9)
#: Predictive draws per scored run for CRPS, PIT and intervals (at least; a mixture with
#: more components than this uses one draw per component).
N_DRAWS: int = 4000


def _noise(
    rng: np.random.Generator, shape: tuple[int, ...], nu: np.ndarray | None, share: float | None
) -> np.ndarray:
    """Standardised scatter draws: Normal or Student-t, optionally from the top ``share``."""
    u = rng.uniform(size=shape)
    if share is not None:
        u = 1.0 - share + share * u
    if nu is None:
        return special.ndtri(u)
    return stats.t.ppf(u, nu[:, None])


def _log_density(
    y: np.ndarray,
    mu: np.ndarray,
    scatter: np.ndarray,
    sigma: np.ndarray,
    nu: np.ndarray | None,
    share: float | None,
    z: np.ndarray,
) -> np.ndarray:
    """Log predictive density of each ``y`` (n,), mixing over the draws (S, n)."""
    r = y[None, :] - mu
    if nu is None:
        tau = np.sqrt(scatter**2 + sigma**2)
        logp = stats.norm.logpdf(r / tau) - np.log(tau)
        if share is not None:
            a = special.ndtri(1.0 - share)
            with np.errstate(divide="ignore", invalid="ignore"):
                arg = np.where(
                    sigma > 0,
                    (scatter * r / tau**2 - a) * tau / np.where(sigma > 0, sigma, 1.0),
                    np.where(r / scatter > a, np.inf, -np.inf),
                )
            logp = logp + special.log_ndtr(arg) - np.log(share)
    else:
        exact = stats.t.logpdf(r / scatter, nu[:, None]) - np.log(scatter)
        if share is not None:
            a = stats.t.ppf(1.0 - share, nu)[:, None]
            exact = np.where(r / scatter > a, exact - np.log(share), -np.inf)
        # With measurement error: average the error density over the scatter draws ``z``
        # (repeats, S, n).
        x = mu[None] + scatter[None] * z
        safe = np.where(sigma > 0, sigma, 1.0)
        mc = special.logsumexp(
            stats.norm.logpdf((y[None, None, :] - x) / safe[None]) - np.log(safe[None]), axis=0
        ) - np.log(z.shape[0])
        logp = np.where(sigma > 0, mc, exact)
    return special.logsumexp(logp, axis=0) - np.log(logp.shape[0])


def score_predictions(
    y: np.ndarray,
    mu: np.ndarray,
    scatter: np.ndarray,
    sigma: np.ndarray,
    *,
    nu: np.ndarray | None = None,
    share: float | None = None,
    rng: np.random.Generator | int | None = None,
    repeats: int = PREDICTIVE_REPEATS,
) -> pd.DataFrame:
    """Score published values against their posterior predictive distribution.

    The predictive of run ``i`` mixes, over posterior draws ``s``,
    ``y = mu[s, i] + scatter[s, i] * z + sigma[s, i] * e`` with ``e ~ Normal(0, 1)`` and
    ``z`` standard Normal (or Student-t with ``nu[s]``), drawn from its top ``share`` when
    ``share`` is given (a frontier run of a full-population fit).

    Parameters
    ----------
    y : ndarray
        Published log10 values, shape (n,).
    mu, scatter : ndarray
        Trend and scatter draws, shape (S, n).
    sigma : ndarray
        Measurement sd, shape (S, n) or (1, n); zero for no measurement error.
    nu : ndarray, optional
        Student-t degrees of freedom per draw (S,).
    share : float, optional
        Draw the scatter from the top ``share`` of its distribution.
    rng : Generator or int, optional
    repeats : int, default 4
        Predictive draws per posterior draw.

    Returns
    -------
    pandas.DataFrame
        One row per value: ``pred_median``, ``pi50_low``, ``pi50_high``, ``pi90_low``,
        ``pi90_high`` (log10), ``pit`` (predictive CDF at ``y``), ``in50``, ``in90``,
        ``abs_error_dex`` and ``log_pred_density``.

    Examples
    --------
    A value at the centre of a Normal(0, 1) predictive:

    >>> s = score_predictions(np.array([0.0]), np.zeros((2000, 1)), np.ones((2000, 1)),
    ...                       np.zeros((1, 1)), rng=0)
    >>> round(float(s["log_pred_density"].iloc[0]), 4), bool(s["in50"].iloc[0])
    (-0.9189, True)
    """
    gen = np.random.default_rng(rng)
    y = np.asarray(y, dtype=float)
    mu = np.asarray(mu, dtype=float)
    scatter = np.broadcast_to(np.asarray(scatter, dtype=float), mu.shape)
    sigma = np.broadcast_to(np.asarray(sigma, dtype=float), mu.shape)
    parts = []
    for start in range(0, len(y), _CHUNK):
        cols = slice(start, start + _CHUNK)
        m, sc, sg, yy = mu[:, cols], scatter[:, cols], sigma[:, cols], y[cols]
        z = _noise(gen, (repeats, *m.shape), nu, share)
        draws = m[None] + sc[None] * z + sg[None] * gen.standard_normal(z.shape)
        draws = draws.reshape(-1, m.shape[1])
        q = np.quantile(draws, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
        pit = (draws < yy[None, :]).mean(axis=0)
        parts.append(
            pd.DataFrame(
                {
                    "pred_median": q[2],
                    "pi50_low": q[1],
                    "pi50_high": q[3],
                    "pi90_low": q[0],
                    "pi90_high": q[4],
                    "pit": pit,
                    "in50": (pit > 0.25) & (pit < 0.75),
                    "in90": (pit > 0.05) & (pit < 0.95),
                    "abs_error_dex": np.abs(yy - q[2]),
                    "log_pred_density": _log_density(yy, m, sc, sg, nu, share, z),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


@dataclass(frozen=True)
class Predictive:
    """A predictive distribution of published log10 compute for ``n`` runs (module docstring).

    Attributes
    ----------
    mu, scatter : ndarray
        Location and scatter scale per component and run, (S, n).
    sigma : ndarray
        Measurement sd, (S, n) or (1, n); zero for none.
    nu : ndarray or None
        Student-t degrees of freedom per component, (S,); None for Normal scatter.
    share : float or None
        Draw the scatter from its top ``share`` (a frontier run of a population fit).
    """

    mu: np.ndarray
    scatter: np.ndarray
    sigma: np.ndarray
    nu: np.ndarray | None = None
    share: float | None = None

    @classmethod
    def student_t(cls, loc: np.ndarray, scale: np.ndarray, df: float) -> Predictive:
        """One Student-t component per run (a closed-form baseline)."""
        loc = np.asarray(loc, dtype=float)[None, :]
        return cls(loc, np.asarray(scale, dtype=float)[None, :], np.zeros_like(loc), np.array([df]))

    def subset(self, columns: slice | np.ndarray) -> Predictive:
        """The predictive of some of the runs."""
        sigma = np.broadcast_to(self.sigma, self.mu.shape)
        return Predictive(
            self.mu[:, columns],
            np.broadcast_to(self.scatter, self.mu.shape)[:, columns],
            sigma[:, columns],
            self.nu,
            self.share,
        )


def interval_score(y: np.ndarray, low: np.ndarray, high: np.ndarray, level: float) -> np.ndarray:
    """Interval score of central ``level`` intervals (Gneiting & Raftery 2007; lower is better).

    ``(high - low) + 2/alpha * (low - y)`` when ``y < low``, ``+ 2/alpha * (y - high)`` when
    ``y > high``, with ``alpha = 1 - level``.

    Examples
    --------
    >>> interval_score(np.array([0.0, 3.0]), np.array([-1.0, -1.0]), np.array([1.0, 1.0]), 0.9)
    array([ 2., 42.])
    """
    alpha = 1.0 - level
    y, low, high = (np.asarray(v, dtype=float) for v in (y, low, high))
    return (
        (high - low)
        + 2.0 / alpha * np.maximum(low - y, 0.0)
        + 2.0 / alpha * np.maximum(y - high, 0.0)
    )


def score_predictive(
    y: np.ndarray,
    predictive: Predictive,
    rng: np.random.Generator | int | None = None,
    n_draws: int = N_DRAWS,
) -> pd.DataFrame:
    """Proper scores and calibration of published values ``y`` under a predictive.

    Parameters
    ----------
    y : ndarray
        Published log10 values, (n,).
    predictive : Predictive
    rng : Generator or int, optional
    n_draws : int, default :data:`N_DRAWS`
        Predictive draws per run (rounded up to a multiple of the components).

    Returns
    -------
    pandas.DataFrame
        One row per value: ``log_score`` (log predictive density, nats per dex; higher is
        better), ``crps`` (dex; lower is better), ``pit``, ``median``, and for each level
        ``L`` in 50/80/90: ``inL`` (inside the central interval), ``interval_scoreL`` and
        ``widthL`` (dex).

    Examples
    --------
    >>> p = Predictive.student_t(np.zeros(1), np.ones(1), df=1e6)
    >>> s = score_predictive(np.array([0.0]), p, rng=0, n_draws=20000)
    >>> round(float(s["log_score"].iloc[0]), 3), round(float(s["crps"].iloc[0]), 2)
    (-0.919, 0.23)
    """
    import scoringrules

    gen = np.random.default_rng(rng)
    y = np.asarray(y, dtype=float)
    n_components = predictive.mu.shape[0]
    repeats = max(1, math.ceil(n_draws / n_components))
    quantiles = sorted({0.5, *((1 - lv) / 2 for lv in LEVELS), *((1 + lv) / 2 for lv in LEVELS)})
    parts = []
    for start in range(0, len(y), _CHUNK):
        cols = slice(start, start + _CHUNK)
        part = predictive.subset(cols)
        yy = y[cols]
        z = _noise(gen, (repeats, *part.mu.shape), part.nu, part.share)
        draws = part.mu[None] + part.scatter[None] * z
        if np.any(part.sigma > 0):
            draws = draws + part.sigma[None] * gen.standard_normal(z.shape)
        draws = draws.reshape(-1, part.mu.shape[1])
        q = dict(zip(quantiles, np.quantile(draws, quantiles, axis=0), strict=True))
        frame = {
            "log_score": _log_density(
                yy, part.mu, part.scatter, part.sigma, part.nu, part.share, z
            ),
            "crps": np.asarray(scoringrules.crps_ensemble(yy, draws.T)),
            "pit": (draws < yy[None, :]).mean(axis=0),
            "median": q[0.5],
        }
        for level in LEVELS:
            low, high = q[(1 - level) / 2], q[(1 + level) / 2]
            pct = round(100 * level)
            frame[f"in{pct}"] = (yy >= low) & (yy <= high)
            frame[f"interval_score{pct}"] = interval_score(yy, low, high, level)
            frame[f"width{pct}"] = high - low
        parts.append(pd.DataFrame(frame))
    return pd.concat(parts, ignore_index=True)
