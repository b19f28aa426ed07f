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

Future regime changes (:class:`RegimeChanges`, :mod:`~flopcast.forecasting.regimes`) let the
trend break again after the data end; threshold crossings (:func:`crossing_dates`,
:mod:`~flopcast.forecasting.thresholds`) give the posterior distribution of the date the
frontier trend first reaches each threshold.

The modules, one job each:

* :mod:`~flopcast.forecasting.pipeline`: :func:`forecast`, a short sequence of named steps;
* :mod:`~flopcast.forecasting.frontier`: what the frontier is (:func:`frontier_definition`,
  :func:`frontier_share`);
* :mod:`~flopcast.forecasting.frontier_source`: the frontier from a separate frontier fit
  (``forecast(fit, frontier_fit=...)``, what the default report does);
* :mod:`~flopcast.forecasting.regimes`: the model of future breaks and its simulated paths
  (:func:`regime_changes_for`, :class:`RegimePaths`);
* :mod:`~flopcast.forecasting.frontier_cost`: price-performance and utilization draws for
  the cost of a frontier run;
* :mod:`~flopcast.forecasting.thresholds`: threshold crossings (:func:`crossing_dates`);
* :mod:`~flopcast.forecasting.result`: the :class:`Forecast` (tables, JSON block, printing).
"""

from __future__ import annotations

from flopcast.dates import to_decimal_year
from flopcast.forecasting.frontier import (
    FRONTIER_N,
    FRONTIER_WINDOW_YEARS,
    FrontierDefinition,
    frontier_definition,
    frontier_share,
)
from flopcast.forecasting.frontier_cost import DEFAULT_COST_KIND
from flopcast.forecasting.pipeline import default_dates, forecast
from flopcast.forecasting.regimes import (
    MAX_FUTURE_BREAKS,
    RATE_PRIOR_SHAPE,
    REGIME_AUTO_YEARS,
    SLOPE_LOG_CHANGE_FLOOR,
    RegimeChanges,
    RegimePaths,
    fitted_slope_log_sd,
    regime_changes_for,
    undetectable_years,
)
from flopcast.forecasting.result import Forecast
from flopcast.forecasting.thresholds import (
    GRID_STEP_YEARS,
    THRESHOLD_SEARCH_YEARS,
    crossing_dates,
)

__all__ = [
    "DEFAULT_COST_KIND",
    "FRONTIER_N",
    "FRONTIER_WINDOW_YEARS",
    "GRID_STEP_YEARS",
    "MAX_FUTURE_BREAKS",
    "RATE_PRIOR_SHAPE",
    "REGIME_AUTO_YEARS",
    "SLOPE_LOG_CHANGE_FLOOR",
    "THRESHOLD_SEARCH_YEARS",
    "Forecast",
    "FrontierDefinition",
    "RegimeChanges",
    "RegimePaths",
    "crossing_dates",
    "default_dates",
    "fitted_slope_log_sd",
    "forecast",
    "frontier_definition",
    "frontier_share",
    "regime_changes_for",
    "to_decimal_year",
    "undetectable_years",
]
