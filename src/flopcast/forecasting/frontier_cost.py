"""The training cost of a frontier run in a forecast: price-performance and utilization draws.

``cost = compute / (peak FLOP per dollar x utilization)`` (:func:`flopcast.cost.cost_draws`),
in constant dollars of the price-performance fit's base year. Each forecast sample is paired
with one draw of the price-performance trend and one draw of utilization
(:class:`FrontierCost`), used both at the report dates and on the threshold search grid, so
the compute, price-performance and utilization uncertainties all reach the intervals.

Price-performance fits made here are cached in-process per (kind, seed) in a
:class:`~flopcast.caches.CacheDict` (emptied by :func:`flopcast.clear_caches`), in front of
the on-disk posterior cache of :func:`flopcast.cost.fit_price_performance`: a new process
reads the draws from disk (no PyMC, nutpie or numba) once any process has sampled them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from flopcast.caches import CacheDict
from flopcast.cost import UtilizationPrior, cost_draws, fit_price_performance
from flopcast.exceptions import FlopcastError

__all__ = ["DEFAULT_COST_KIND", "FrontierCost", "price_performance_for"]

#: Price-performance used for cost by default: amortized purchase prices. Against Epoch's
#: recorded training costs (156 runs) it is within a factor 1.3 at the median, while
#: on-demand cloud prices give costs about 10x the recorded ones (cost.cross_check_costs).
DEFAULT_COST_KIND = "purchase"

_PP_CACHE: dict[tuple, Any] = CacheDict("forecasting.price_performance")


def price_performance_for(cost: Any, seed: int) -> Any:
    """A price-performance fit from ``cost`` (True, a kind, or a fit-like object).

    ``True`` means :data:`DEFAULT_COST_KIND`; a kind (``"cloud"`` or ``"purchase"``) is
    fitted with :func:`flopcast.cost.fit_price_performance` (cached per kind and seed in
    this process, and on disk across processes); an object with ``draws_at`` is used as it
    is.
    """
    if cost is True:
        cost = DEFAULT_COST_KIND
    if isinstance(cost, str):
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


@dataclass(frozen=True)
class FrontierCost:
    """The price-performance and utilization draws paired with a forecast's samples.

    Build with :meth:`draw`.

    Attributes
    ----------
    price_performance : PricePerformanceFit or object with ``draws_at``
        The trend of log10 peak FLOP per constant dollar.
    draw_index : ndarray
        Which price-performance draw each forecast sample uses, shape (samples,).
    utilization : ndarray
        Utilization of each forecast sample, shape (samples,).
    at_dates : ndarray
        log10 FLOP per dollar of each sample at the report dates, shape (samples, dates).
    info : dict
        The settings for outputs: ``kind``, ``base_year``, ``doubling_years_median``,
        ``utilization`` and ``price_performance``.
    """

    price_performance: Any
    draw_index: np.ndarray
    utilization: np.ndarray
    at_dates: np.ndarray
    info: dict[str, Any]

    @classmethod
    def draw(
        cls,
        cost: Any,
        utilization: Any,
        seed: int,
        n_samples: int,
        years: np.ndarray,
        rng: np.random.Generator,
    ) -> FrontierCost | None:
        """Resolve the price-performance fit and draw utilization and draw indices.

        Parameters
        ----------
        cost : bool, {"cloud", "purchase"} or PricePerformanceFit
            As in :func:`flopcast.forecasting.forecast`; False or None: no cost (returns None).
        utilization : UtilizationPrior, float or None
            The prior (default :class:`flopcast.cost.UtilizationPrior`) or a fixed value.
        seed : int
            Seed of a price-performance fit made here.
        n_samples : int
            Forecast samples.
        years : ndarray
            The report dates (decimal years).
        rng : numpy.random.Generator
            The forecast's generator: utilization first, then the draw indices.

        Returns
        -------
        FrontierCost or None
        """
        if cost is False or cost is None:
            return None
        pp_fit = price_performance_for(cost, seed)
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
        slope = np.asarray(
            pp_fit.slope_draws() if hasattr(pp_fit, "slope_draws") else [np.nan], float
        )
        info = {
            "kind": getattr(pp_fit, "kind", "given"),
            "base_year": getattr(pp_fit, "base_year", None),
            "doubling_years_median": float(np.log10(2.0) / np.median(slope)),
            "utilization": util_info,
            "price_performance": "trend of peak FLOP per constant dollar (credible draws)",
        }
        return cls(pp_fit, pp_index, u_draws, pp_years[pp_index], info)

    def log10_cost_draws(
        self, variables: dict[str, np.ndarray], years: np.ndarray, rng: np.random.Generator
    ) -> dict[str, np.ndarray]:
        """log10 cost of the frontier trend and of a frontier run at the report dates.

        ``variables`` holds ``log10_frontier_compute_flop_trend`` and ``_run``; the result
        ``log10_frontier_cost_usd_trend`` and ``_run`` (samples, dates).
        """
        out = {}
        for part in ("trend", "run"):
            usd = cost_draws(
                variables[f"log10_frontier_compute_flop_{part}"],
                years,
                self.at_dates,
                self.utilization,
                rng,
            )
            out[f"log10_frontier_cost_usd_{part}"] = np.log10(usd)
        return out

    def log10_cost_paths(self, log10_compute: np.ndarray, grid: np.ndarray) -> np.ndarray:
        """log10 cost of ``log10_compute`` (samples, G) on the decimal years ``grid``."""
        pp_grid = np.asarray(self.price_performance.draws_at(grid), dtype=float)
        return log10_compute - pp_grid[self.draw_index] - np.log10(self.utilization)[:, None]
