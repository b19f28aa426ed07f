"""The piecewise-linear trend of log10 training compute (pure, vectorised, no I/O).

With ``K`` break dates ``tau_1 < ... < tau_K``, slopes ``b_0..b_K`` (log10 FLOP per year),
level ``a`` (the trend's value just before the first break, or at ``t = 0`` with no break)
and optional level jumps ``delta_k`` at each break::

    mu(t) = a + b_0 (t - tau_1) + sum_k (b_k - b_{k-1}) hinge(t - tau_k)
              + sum_k delta_k * step((t - tau_k) / w)

``hinge`` is ``max(x, 0)`` with its corner rounded over :data:`KINK_WIDTH_YEARS` and ``step``
a logistic step of width ``w`` (:data:`JUMP_WIDTH_YEARS`), so the log-density is smooth in
the break dates. The same function serves numpy (posterior
draws, forecasts) and PyTensor (the PyMC model): pass the array module as ``xp``.

Time is in years relative to :data:`flopcast.spec.T_REF`, but nothing here depends on that.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

#: Width (years) of the logistic step used for level jumps and per-era scatter. At 0.05 the
#: sampler mixed badly when a jump was on (R-hat 1.04, bulk ESS 81 on simulated data with a
#: 1-dex jump); at 0.25 it converged with the same posterior for the jump.
JUMP_WIDTH_YEARS = 0.25
#: Width (years) of the softplus that rounds each kink. It keeps the log-density smooth in
#: the break dates (a hard kink caused divergent transitions), and moves the trend by at
#: most ``log(2) * width * |slope change|`` (under 0.01 dex for slope changes below 0.5).
KINK_WIDTH_YEARS = 0.025


def smooth_hinge(x: Any, width: float = KINK_WIDTH_YEARS, xp: ModuleType = np) -> Any:
    """``max(x, 0)`` with the corner rounded: ``width * softplus(x / width)``, overflow-free.

    Examples
    --------
    >>> round(float(smooth_hinge(10.0)), 6), round(float(smooth_hinge(-10.0)), 6)
    (10.0, 0.0)
    """
    z = x / width
    return width * (xp.maximum(z, 0.0) + xp.log1p(xp.exp(-xp.abs(z))))


def smooth_step(x: Any, xp: ModuleType = np) -> Any:
    """Logistic step from 0 to 1, written with ``tanh`` so numpy and PyTensor share it.

    Examples
    --------
    >>> float(smooth_step(0.0))
    0.5
    """
    return 0.5 * (1.0 + xp.tanh(0.5 * x))


def piecewise_trend(
    t: Any,
    level: Any,
    slopes: Any,
    breaks: Any | None = None,
    jumps: Any | None = None,
    *,
    jump_width: float = JUMP_WIDTH_YEARS,
    kink_width: float = KINK_WIDTH_YEARS,
    xp: ModuleType = np,
) -> Any:
    """Evaluate the trend at times ``t`` for one or many parameter draws.

    Parameters
    ----------
    t
        Times, shape ``(n,)``.
    level
        Level ``a``, shape ``(...)`` (one value per draw).
    slopes
        Era slopes, shape ``(..., K+1)``.
    breaks
        Break dates, shape ``(..., K)``; ``None`` or ``K = 0`` for a single trend, in which
        case ``level`` is the value at ``t = 0``.
    jumps
        Level jumps at each break, shape ``(..., K)``; ``None`` for a continuous trend.
    jump_width
        Width of the smoothed step, in years.
    kink_width
        Width of the rounded corner at each break, in years.
    xp
        ``numpy`` (default) or ``pytensor.tensor``.

    Returns
    -------
    array
        ``mu``, shape ``(..., n)``.

    Examples
    --------
    Two eras meeting at 0: slope 0.1 before and 0.5 after. Away from the break the trend is
    the two lines; at the break the rounded hinge lifts it by (slope change) x (hinge width)
    x ln 2 = 0.4 x 0.025 x 0.693 = 0.0069.

    >>> piecewise_trend(np.array([-10.0, 0.0, 2.0]), np.array(20.0), np.array([0.1, 0.5]),
    ...                 np.array([0.0])).round(4).tolist()
    [19.0, 20.0069, 21.0]
    """
    t = xp.as_tensor_variable(t) if xp is not np else np.asarray(t, dtype=float)
    level = level[..., None]
    if breaks is None or int(_static_len(breaks, xp)) == 0:
        return level + slopes[..., 0, None] * t
    n_breaks = int(_static_len(breaks, xp))
    tau = [breaks[..., k, None] for k in range(n_breaks)]
    mu = level + slopes[..., 0, None] * (t - tau[0])
    for k in range(1, n_breaks + 1):
        change = slopes[..., k, None] - slopes[..., k - 1, None]
        mu = mu + change * smooth_hinge(t - tau[k - 1], kink_width, xp)
    if jumps is not None:
        for k in range(n_breaks):
            mu = mu + jumps[..., k, None] * smooth_step((t - tau[k]) / jump_width, xp)
    return mu


def era_weights(t: Any, breaks: Any, *, jump_width: float = JUMP_WIDTH_YEARS, xp=np) -> list:
    """Smoothed membership of each time in each era: a list of K+1 arrays of shape (..., n).

    Weights are in [0, 1] and sum to one at every time.
    """
    n_breaks = int(_static_len(breaks, xp))
    steps = [smooth_step((t - breaks[..., k, None]) / jump_width, xp) for k in range(n_breaks)]
    weights = []
    for k in range(n_breaks + 1):
        w = 1.0
        if k > 0:
            w = w * steps[k - 1]
        if k < n_breaks:
            w = w * (1.0 - steps[k])
        weights.append(w)
    return weights


def scatter_time_factor(years: Any, trend: Any, span: Any, xp: ModuleType = np) -> Any:
    """Factor by which a smoothly varying scatter differs from its value at the last run.

    ``exp(trend * (clip(t, first, last) - last))``: log-linear in time within the data's years
    ``span = (first, last)``, held at its end values outside them, so a forecast never
    extrapolates the scatter's trend (a shrinking scatter does not shrink further after the
    last run, a growing one does not grow). ``trend`` is the change of ln(scatter) per year.
    Numpy shapes: ``years`` (n,), ``trend`` (S,), ``span`` (S, 2); result (S, n). PyTensor
    (``xp=pt``): scalars ``trend`` and span bounds, result (n,).

    Examples
    --------
    >>> f = scatter_time_factor(np.array([2000.0, 2005.0, 2010.0, 2030.0]), np.array([-0.1]),
    ...                         np.array([[2005.0, 2010.0]]))
    >>> np.round(f, 3).tolist()
    [[1.649, 1.649, 1.0, 1.0]]
    """
    if xp is np:
        first, last = np.asarray(span, dtype=float)[:, :1], np.asarray(span, dtype=float)[:, 1:]
        gamma = np.asarray(trend, dtype=float)[:, None]
        return np.exp(gamma * (np.clip(np.asarray(years, dtype=float), first, last) - last))
    first, last = span
    return xp.exp(trend * (xp.clip(years, first, last) - last))


def era_index(t: np.ndarray, breaks: np.ndarray) -> np.ndarray:
    """Hard era index (0..K) of each time for one set of break dates."""
    return np.searchsorted(np.sort(np.asarray(breaks, dtype=float)), np.asarray(t), side="right")


def _static_len(breaks: Any, xp: ModuleType) -> int:
    if xp is np:
        return np.shape(breaks)[-1] if np.ndim(breaks) else 0
    shape = breaks.type.shape
    if shape[-1] is None:
        raise ValueError("break dates need a static length to build the trend")
    return shape[-1]
