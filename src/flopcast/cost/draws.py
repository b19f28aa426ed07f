"""Draws of training cost: compute over (price-performance x utilization), paired by sample."""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from flopcast.cost.price_performance import PricePerformanceFit
from flopcast.cost.utilization import UtilizationPrior
from flopcast.exceptions import FlopcastError

__all__ = ["cost_draws"]


class _HasDrawsAt(Protocol):
    def draws_at(self, years: np.ndarray) -> np.ndarray: ...


def _pp_draws(pp_fit: Any, years: np.ndarray) -> np.ndarray:
    """log10 FLOP per dollar draws, (P, n), from a fit or from given values."""
    if hasattr(pp_fit, "draws_at"):
        values = np.asarray(pp_fit.draws_at(years), dtype=float)
    else:
        values = np.asarray(pp_fit, dtype=float)
    if values.ndim == 0:
        values = np.full((1, len(years)), float(values))
    elif values.ndim == 1:
        values = values[:, None]  # draws, the same at every year
    if values.shape[1] not in (1, len(years)):
        raise FlopcastError(
            f"price-performance draws have {values.shape[1]} columns for {len(years)} years"
        )
    return np.broadcast_to(values, (values.shape[0], len(years)))


def cost_draws(
    log10_compute_draws: np.ndarray | float,
    years: np.ndarray | float,
    pp_fit: PricePerformanceFit | _HasDrawsAt | np.ndarray | float,
    utilization: UtilizationPrior | np.ndarray | float | None = None,
    rng: np.random.Generator | int | None = None,
) -> np.ndarray:
    """Draws of training cost in constant US dollars.

    ``cost = 10**(log10_compute - log10_flop_per_usd(year)) / utilization``, with
    ``log10_flop_per_usd`` the price-performance *trend* (peak FLOP per constant dollar of
    the fit's base year) and ``utilization`` the fraction of peak achieved. In linear terms:
    ``cost [USD] = compute [FLOP] / (FLOP per USD at full peak * utilization)``.

    Draws are paired by index: sample ``s`` of the result combines compute draw ``s``,
    price-performance draw ``s`` and utilization draw ``s``. The number of samples is that of
    the compute draws, or that of the price-performance draws when compute is a point value
    (one row). Price-performance draws whose count differs are resampled with replacement
    with ``rng``; utilization draws come from the prior (one per sample, shared by every
    column, as utilization is a property of how runs are done rather than of one date), or
    are resampled the same way if given as an array.

    Parameters
    ----------
    log10_compute_draws : float or ndarray
        log10 FLOP, shape ``(samples, n)``, or ``(n,)`` / scalar for point values.
    years : float or ndarray
        Decimal year of each column, shape ``(n,)``.
    pp_fit : PricePerformanceFit, object with ``draws_at``, ndarray or float
        The price-performance trend; or log10 FLOP per dollar directly (a scalar, draws
        ``(P,)`` or ``(P, n)``), e.g. a point mass for a hand-worked example.
    utilization : UtilizationPrior, ndarray or float, optional
        Prior (default :class:`UtilizationPrior`), draws, or a fixed value in (0, 1].
    rng : Generator or int, optional
        Randomness for resampling and utilization draws.

    Returns
    -------
    ndarray
        Cost in constant USD, shape ``(samples, n)``.

    Examples
    --------
    1e24 FLOP at 1e17 FLOP per dollar and 40% utilization costs 2.5e7 USD:

    >>> cost_draws(24.0, 2023.0, pp_fit=17.0, utilization=0.4).tolist()
    [[25000000.0]]
    """
    gen = np.random.default_rng(rng)
    years_arr = np.atleast_1d(np.asarray(years, dtype=float))
    n = len(years_arr)
    compute = np.asarray(log10_compute_draws, dtype=float)
    if compute.ndim == 0:
        compute = np.full((1, n), float(compute))
    elif compute.ndim == 1:
        if len(compute) != n:
            raise FlopcastError(
                f"log10_compute_draws has {len(compute)} values for {n} years; give a "
                "(samples, n) array of draws or one value per year"
            )
        compute = compute[None, :]
    if compute.shape[1] != n:
        raise FlopcastError(f"log10_compute_draws has {compute.shape[1]} columns for {n} years")

    pp = _pp_draws(pp_fit, years_arr)
    n_out = compute.shape[0] if compute.shape[0] > 1 else pp.shape[0]
    if pp.shape[0] != n_out:
        pp = pp[gen.integers(0, pp.shape[0], size=n_out)] if pp.shape[0] > 1 else pp
    if compute.shape[0] != n_out:
        compute = np.broadcast_to(compute, (n_out, n))

    if utilization is None:
        utilization = UtilizationPrior()
    if isinstance(utilization, UtilizationPrior):
        u = utilization.draws(n_out, gen)[:, None]
    else:
        u = np.asarray(utilization, dtype=float)
        if u.ndim == 0:
            u = u.reshape(1, 1)
        elif u.ndim == 1:
            if len(u) != n_out and len(u) > 1:
                u = u[gen.integers(0, len(u), size=n_out)]
            u = u[:, None]
    if np.any(~(u > 0)) or np.any(u > 1):
        raise FlopcastError("utilization must lie in (0, 1]")
    cost = 10.0 ** (compute - pp) / u
    return np.broadcast_to(cost, (n_out, n)).copy()
