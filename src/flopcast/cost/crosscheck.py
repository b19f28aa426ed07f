"""The model's training cost against the costs Epoch AI records for the runs that have one."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from flopcast.cost.deflation import BASE_YEAR
from flopcast.cost.draws import _HasDrawsAt, _pp_draws, cost_draws
from flopcast.cost.price_performance import PricePerformanceFit
from flopcast.cost.utilization import UtilizationPrior, _runs_frame
from flopcast.dates import decimal_year
from flopcast.exceptions import FlopcastError
from flopcast.formatting import jsonable
from flopcast.intervals import CI_LEVEL, central_interval, interval_columns

__all__ = ["CostCrossCheck", "cross_check_costs"]


@dataclass(frozen=True)
class CostCrossCheck:
    """Model cost against recorded cost, per run and overall.

    Attributes
    ----------
    runs : pandas.DataFrame
        One row per run with a recorded cost: ``system``, ``date``, ``year``,
        ``compute_flop``, ``cost_usd`` (recorded), ``model_cost_median``,
        ``model_cost_ci90_low``, ``model_cost_ci90_high``, ``ratio_median``,
        ``ratio_ci90_low``, ``ratio_ci90_high`` (model / recorded; bounds named by
        :func:`flopcast.intervals.interval_columns`, ``ci50_low`` ... at level 0.5),
        ``log10_ratio_median`` and ``recorded_in_ci`` (the recorded cost lies in the
        model's interval).
    summary : dict
        ``n_runs``, ``median_ratio``, ``log10_ratio_median``, ``log10_ratio_sd``,
        ``log10_ratio_q05``/``q95`` (over runs, of each run's median log10 ratio),
        ``share_recorded_in_ci``, ``n_skipped`` (recorded cost but no usable compute or
        date), ``n_below_min_compute`` and the settings.
    """

    #: Version of the layout of :meth:`to_dict` (2: first versioned).
    JSON_VERSION: ClassVar[int] = 2

    runs: pd.DataFrame
    summary: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The summary, JSON-ready, with ``json_version`` first."""
        return jsonable({"json_version": self.JSON_VERSION, **self.summary})


def cross_check_costs(
    runs: Any = None,
    pp_fit: PricePerformanceFit | _HasDrawsAt | np.ndarray | float | None = None,
    *,
    utilization: UtilizationPrior | np.ndarray | float | None = None,
    rng: np.random.Generator | int | None = 0,
    level: float = CI_LEVEL,
    n_draws: int = 2000,
    predictive: bool = False,
    min_compute_flop: float | None = None,
) -> CostCrossCheck:
    """Compare the model's cost with the recorded ``cost_usd`` of each run that has one.

    For each run with a recorded cost (Epoch AI's "Training compute cost (2023 USD)"), its
    published compute and date give model cost draws (:func:`cost_draws`, compute as a point
    value), and ``ratio = model cost / recorded cost``. Epoch's recorded cost uses the run's
    actual hardware, hours and prices; the ratio therefore measures how far a run's
    (price-performance x utilization) sits from the trend x prior.

    Parameters
    ----------
    runs : RunTable or DataFrame, optional
        Runs with ``system``, ``date``, ``compute_flop`` and ``cost_usd``; the bundled runs
        (``flopcast.runs.load_runs``, or ``data/runs.csv``) if omitted.
    pp_fit : PricePerformanceFit or log10 FLOP per dollar
        The price-performance trend (required). Its base year should be 2023 to match the
        recorded costs; another base year gives a warning.
    utilization : UtilizationPrior, ndarray or float, optional
        As in :func:`cost_draws` (default prior).
    rng : Generator or int, default 0
        Randomness for the draws.
    level : float, default 0.9
        Credible level of the per-run intervals.
    n_draws : int, default 2000
        Samples per run when the price-performance input is a point value.
    predictive : bool, default False
        Use the price-performance *predictive* draws (trend plus the scatter of single
        quotes, :meth:`PricePerformanceFit.draws_at`) instead of the trend: a run's hardware
        deal is one quote, so this is the fairer interval for a single run (needs a fit).
    min_compute_flop : float, optional
        Only runs with at least this much compute (e.g. 1e24 for frontier runs).

    Returns
    -------
    CostCrossCheck

    Examples
    --------
    >>> check = cross_check_costs(pp_fit=17.5, utilization=0.33)
    >>> check.summary["n_runs"] > 100
    True
    """
    if pp_fit is None:
        raise FlopcastError("cross_check_costs needs pp_fit (see fit_price_performance)")
    base = getattr(pp_fit, "base_year", BASE_YEAR)
    if base is not None and base != BASE_YEAR:
        warnings.warn(
            f"the price-performance fit is in {base} dollars but recorded costs are in "
            f"{BASE_YEAR} dollars; ratios include the price change between them",
            UserWarning,
            stacklevel=2,
        )
    gen = np.random.default_rng(rng)
    frame = _runs_frame(runs)
    missing = {"system", "date", "compute_flop", "cost_usd"} - set(frame.columns)
    if missing:
        raise FlopcastError(f"the runs lack column(s) {sorted(missing)}")
    cost = pd.to_numeric(frame["cost_usd"], errors="coerce")
    compute = pd.to_numeric(frame["compute_flop"], errors="coerce")
    dates = pd.to_datetime(frame["date"], errors="coerce")
    has_cost = cost > 0
    usable = has_cost & (compute > 0) & dates.notna()
    n_below = 0
    if min_compute_flop is not None:
        n_below = int((usable & ~(compute >= min_compute_flop)).sum())
        usable &= compute >= min_compute_flop
    selected = frame.loc[usable, ["system"]].copy()
    selected["date"] = dates[usable]
    selected["year"] = decimal_year(selected["date"]) if len(selected) else []
    selected["compute_flop"] = compute[usable]
    selected["cost_usd"] = cost[usable]
    selected = selected.reset_index(drop=True)

    years = selected["year"].to_numpy(dtype=float)
    log10_c = np.log10(selected["compute_flop"].to_numpy(dtype=float))
    if predictive:
        if not isinstance(pp_fit, PricePerformanceFit):
            raise FlopcastError("predictive=True needs a PricePerformanceFit as pp_fit")
        pp = pp_fit.draws_at(years, predictive=True, rng=gen)
    else:
        pp = _pp_draws(pp_fit, years) if len(years) else np.zeros((1, 0))
    if pp.shape[0] == 1:
        pp = np.broadcast_to(pp, (n_draws, len(years)))
    draws = cost_draws(log10_c, years, pp, utilization, gen) if len(years) else np.zeros((1, 0))
    if len(years):
        median, low, high = central_interval(draws, level, axis=0)
    else:
        median = low = high = np.zeros(0)
    low_name, high_name = interval_columns(level)
    recorded = selected["cost_usd"].to_numpy(dtype=float)
    selected["model_cost_median"] = median
    selected[f"model_cost_{low_name}"] = low
    selected[f"model_cost_{high_name}"] = high
    selected["ratio_median"] = median / recorded
    selected[f"ratio_{low_name}"] = low / recorded
    selected[f"ratio_{high_name}"] = high / recorded
    selected["log10_ratio_median"] = np.log10(selected["ratio_median"].to_numpy(dtype=float))
    selected["recorded_in_ci"] = (recorded >= low) & (recorded <= high)
    lr = selected["log10_ratio_median"].to_numpy(dtype=float)
    summary: dict[str, Any] = {
        "n_runs": len(selected),
        "n_skipped": int((has_cost & ~usable).sum()) - n_below,
        "n_below_min_compute": n_below,
        "min_compute_flop": min_compute_flop,
        "predictive": bool(predictive),
        "kind": getattr(pp_fit, "kind", "given"),
        "base_year": base,
        "level": level,
        "median_ratio": float(10 ** np.median(lr)) if len(lr) else float("nan"),
        "log10_ratio_median": float(np.median(lr)) if len(lr) else float("nan"),
        "log10_ratio_sd": float(np.std(lr, ddof=1)) if len(lr) > 1 else float("nan"),
        "log10_ratio_q05": float(np.quantile(lr, 0.05)) if len(lr) else float("nan"),
        "log10_ratio_q95": float(np.quantile(lr, 0.95)) if len(lr) else float("nan"),
        "share_recorded_in_ci": float(selected["recorded_in_ci"].mean())
        if len(lr)
        else float("nan"),
    }
    return CostCrossCheck(selected, summary)
