"""The :func:`forecast` entry point: a short sequence of named steps from a fit to a result.

1. the horizon and the report dates (:func:`resolve_horizon`, :func:`resolve_dates`);
2. the frontier (:func:`~flopcast.forecasting.frontier.frontier_definition`, or a separate
   frontier fit: :class:`~flopcast.forecasting.frontier_source.FrontierSource`) and the
   model of future regime changes (:func:`~flopcast.forecasting.regimes.regime_changes_for`);
3. trend draws: the fit's trend plus one simulated path of future breaks per sample, and
   the frontier on it (:class:`TrendDraws`); with a frontier fit, its own trend draws
   (:func:`frontier_trend_draws`);
4. compute draws at the report dates, of the typical run and of the frontier
   (:func:`compute_draws`);
5. cost draws of a frontier run, when cost is on
   (:class:`~flopcast.forecasting.frontier_cost.FrontierCost`), of the compute after the
   limits: it saturates under the ceilings of each sample when limits are on
   (:func:`apply_limits`, :mod:`~flopcast.forecasting.limits`);
6. threshold crossings of the frontier trend (:func:`frontier_crossings`), and the counts
   of runs above thresholds per year (:func:`~flopcast.forecasting.counts.threshold_counts`);
7. the draws as one :class:`xarray.Dataset` (:func:`assemble_draws`), and the
   :class:`~flopcast.forecasting.result.Forecast`.

Every random draw comes from one generator seeded with ``[seed, RANDOM_STREAM]``, taken in
this order: break paths, run scatter, frontier-run scatter, utilization, price-performance
draw indices. The same seed gives the same forecast. Ceilings, counts and a separate
frontier fit's break paths and run scatter draw from their own generators
(``[seed, RANDOM_STREAM, 2]``, ``[seed, RANDOM_STREAM, 1]`` and ``[seed, RANDOM_STREAM,
FRONTIER_STREAM]``), so switching limits off gives the forecast without limits draw for
draw, and adding a frontier fit leaves the typical run and the counts as they were.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from flopcast.dates import decimal_year_to_timestamp, to_decimal_year
from flopcast.exceptions import FlopcastError
from flopcast.fitting import Fit, scatter_draws, stack_draws
from flopcast.forecasting.counts import threshold_counts
from flopcast.forecasting.frontier import FrontierDefinition, frontier_definition, scatter_quantile
from flopcast.forecasting.frontier_cost import FrontierCost
from flopcast.forecasting.frontier_source import FRONTIER_STREAM, FrontierSource
from flopcast.forecasting.limits import LimitDraws, LimitsInfo, limits_enabled
from flopcast.forecasting.regimes import RegimeChanges, RegimePaths, regime_changes_for
from flopcast.forecasting.result import Forecast
from flopcast.forecasting.thresholds import (
    THRESHOLD_SEARCH_YEARS,
    Crossings,
    runs_with_costs,
    search_grid,
    threshold_crossings,
)
from flopcast.spec import LimitsSpec

__all__ = [
    "RANDOM_STREAM",
    "TrendDraws",
    "apply_limits",
    "assemble_draws",
    "compute_draws",
    "default_dates",
    "forecast",
    "frontier_crossings",
    "frontier_trend_draws",
    "resolve_dates",
    "resolve_horizon",
]

#: Second entropy word of the forecast's generator (``default_rng([seed, RANDOM_STREAM])``),
#: so a forecast's draws differ from the fit's sampler draws of the same seed.
RANDOM_STREAM: int = 202404


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
    limits: Any = None,
    count_thresholds_flop: list[float] | None = None,
    frontier_fit: Fit | None = None,
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
        What the frontier is (:func:`frontier_definition`); "auto" with ``frontier_fit``.
    utilization : UtilizationPrior or float, optional
        Utilization prior for cost (default :class:`flopcast.cost.UtilizationPrior`,
        Beta(8, 16), mean 33%) or a fixed value.
    thresholds_flop, thresholds_usd : list of float, optional
        Thresholds; default the spec's ``forecast.thresholds_flop``/``thresholds_usd``.
    limits : {"auto", "on", "off"}, bool, LimitsSpec or None, default None
        Ceilings on a frontier run (:mod:`~flopcast.forecasting.limits`). None: the spec's
        ``limits.mode`` ("auto": on for horizons more than three years past the last run);
        a :class:`~flopcast.spec.LimitsSpec` replaces the spec's ``[limits]`` block.
    count_thresholds_flop : list of float, optional
        Thresholds of the counts of runs per year; default the spec's
        ``counts.thresholds_flop``.
    frontier_fit : Fit, optional
        A fit of a frontier spec (e.g. ``frontier_2008``) to the same data, for a
        full-population ``fit``: frontier compute and cost, threshold crossings and limits
        then come from its trend plus scatter, with its own future regime changes; the
        typical run and the counts from ``fit``
        (:mod:`~flopcast.forecasting.frontier_source`).

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
    horizon, last_data = resolve_horizon(fit, until)
    years = resolve_dates(dates, last_data, horizon)
    seed = fit.seed if seed is None else int(seed)
    rng = np.random.default_rng([seed, RANDOM_STREAM])
    source = None if frontier_fit is None else FrontierSource.from_fits(fit, frontier_fit, frontier)
    front = frontier_definition(fit, frontier if source is None else "auto")
    regime = regime_changes_for(
        fit, horizon, regime_changes, rate=regime_rate, slope_log_sd=slope_log_sd
    )
    search_end = horizon + THRESHOLD_SEARCH_YEARS
    trend = TrendDraws.simulate(fit, front, regime, search_end, rng)
    front_rng = np.random.default_rng([seed, RANDOM_STREAM, FRONTIER_STREAM])
    front_trend, front_regime = frontier_trend_draws(
        trend, source, horizon, search_end, front_rng, regime_changes, regime_rate, slope_log_sd
    )
    variables = compute_draws(trend, years, rng)
    if front_trend is not trend:
        variables.update(compute_draws(front_trend, years, front_rng))
    price = FrontierCost.draw(cost, utilization, seed, trend.n_samples, years, rng)
    limit, limits_info = apply_limits(
        fit, limits, horizon, last_data, price, variables, years, seed
    )
    if price is not None:
        variables.update(price.log10_cost_draws(variables, years, rng))
    thresholds, crossings = frontier_crossings(
        fit,
        front_trend,
        price,
        horizon,
        search_end,
        spec.forecast.thresholds_flop if thresholds_flop is None else thresholds_flop,
        spec.forecast.thresholds_usd if thresholds_usd is None else thresholds_usd,
        limit,
    )
    counts = threshold_counts(
        fit.runs,
        trend,
        spec.counts.thresholds_flop if count_thresholds_flop is None else count_thresholds_flop,
        last_data,
        horizon,
        spec.counts.rate_since,
        seed,
        stream=(RANDOM_STREAM,),
        ceiling_fn=None if limit is None else limit.soft_ceiling,
        softness=fit.spec.limits.softness_dex if limit is None else limit.softness,
        description=_count_population(fit),
        settings=spec.counts,
    )
    attrs = {
        "values": "log10 of FLOP or constant USD",
        "frontier": front_trend.frontier.description,
        "regime_changes": regime.describe(),
        "seed": seed,
    }
    if front_regime is not None:
        attrs["frontier_regime_changes"] = front_regime.describe()
    return Forecast(
        draws=assemble_draws(variables, years, crossings, trend.paths, attrs),
        thresholds=thresholds,
        horizon=horizon,
        last_data=last_data,
        regime=regime,
        frontier=front_trend.frontier,
        cost=None if price is None else price.info,
        spec_name=spec.name,
        seed=seed,
        search_end=search_end,
        counts=counts,
        limits=limits_info,
        price=price,
        frontier_regime=front_regime,
        frontier_fit=None if source is None else source.fit,
    )


# --------------------------------------------------------------------------------------
# 1. The horizon and the report dates


def resolve_horizon(fit: Fit, until: Any) -> tuple[float, float]:
    """The horizon and the last run's date, as decimal years.

    ``until`` as in :func:`forecast` (None: the spec's ``forecast.horizon``); the horizon
    must lie after the last run.
    """
    horizon = (
        to_decimal_year(fit.spec.forecast.horizon)
        if until is None
        else to_decimal_year(until, what="until", year_end=True)
    )
    last_data = float(fit.runs["year"].max())
    if horizon <= last_data:
        raise FlopcastError(
            f"until={until!r}: the horizon ({horizon:.2f}) must be after the last run "
            f"({last_data:.2f})"
        )
    return horizon, last_data


def resolve_dates(dates: Any, last_data: float, horizon: float) -> np.ndarray:
    """The report dates as sorted decimal years: ``dates``, or :func:`default_dates`."""
    if dates is None:
        return default_dates(last_data, horizon)
    if isinstance(dates, str | int | float | dt.date):
        dates = [dates]
    years = np.sort(np.asarray([to_decimal_year(d, what="dates") for d in dates], float))
    if len(years) == 0:
        raise FlopcastError("dates: give at least one date")
    return years


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
# 3. Trend draws


@dataclass(frozen=True)
class TrendDraws:
    """The forecast's trend per posterior sample: the fit's trend plus future breaks.

    Attributes
    ----------
    fit : Fit
    frontier : FrontierDefinition
    paths : RegimePaths
        One simulated path of future breaks per sample.
    nu : ndarray or None
        Student-t degrees of freedom of the scatter per sample (None: Normal scatter).
    z_frontier : ndarray or float
        Standardised scatter quantile of the frontier, (samples, 1); 0 for a frontier fit.
    """

    fit: Fit
    frontier: FrontierDefinition
    paths: RegimePaths
    nu: np.ndarray | None
    z_frontier: np.ndarray | float

    @classmethod
    def simulate(
        cls,
        fit: Fit,
        frontier: FrontierDefinition,
        regime: RegimeChanges,
        until: float,
        rng: np.random.Generator,
    ) -> TrendDraws:
        """Simulate the future breaks of every sample up to ``until`` (decimal year)."""
        post = fit.posterior
        n_samples = int(post.sizes["chain"] * post.sizes["draw"])
        nu = stack_draws(post, "nu") if "nu" in post else None
        last_slopes = stack_draws(post, "slopes")[:, -1]
        paths = RegimePaths.simulate(regime, last_slopes, until, rng)
        z_frontier = (
            scatter_quantile(np.full(n_samples, frontier.quantile), nu)[:, None]
            if frontier.kind == "quantile"
            else 0.0
        )
        return cls(fit, frontier, paths, nu, z_frontier)

    @property
    def n_samples(self) -> int:
        """Number of samples (posterior chains x draws)."""
        return int(self.paths.times.shape[0])

    def population(self, years: np.ndarray) -> np.ndarray:
        """The fit's trend plus the future breaks at ``years``: (samples, n), log10 FLOP."""
        return self.fit.trend(years) + self.paths.offset(years)

    def scatter(self, years: np.ndarray) -> np.ndarray:
        """Scale of the runs' scatter around the trend at ``years``: (samples, n), dex."""
        return scatter_draws(self.fit.posterior, years)

    def frontier_trend(self, years: np.ndarray) -> np.ndarray:
        """The frontier's trend at ``years``: (samples, n), log10 FLOP."""
        trend = self.population(years)
        if self.frontier.kind == "quantile":
            trend = trend + self.z_frontier * self.scatter(years)
        return trend


def frontier_trend_draws(
    trend: TrendDraws,
    source: FrontierSource | None,
    horizon: float,
    until: float,
    rng: np.random.Generator,
    regime_changes: str | bool = "auto",
    rate: float | None = None,
    slope_log_sd: float | None = None,
) -> tuple[TrendDraws, RegimeChanges | None]:
    """The frontier's trend draws: ``trend`` itself, or (with a separate frontier fit) the
    frontier fit's trend with its own simulated future breaks, and their model."""
    if source is None:
        return trend, None
    regime = regime_changes_for(
        source.fit, horizon, regime_changes, rate=rate, slope_log_sd=slope_log_sd
    )
    return TrendDraws.simulate(source.fit, source.definition, regime, until, rng), regime


# --------------------------------------------------------------------------------------
# 4. Compute draws


def compute_draws(
    trend: TrendDraws, years: np.ndarray, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """log10 compute draws at the report dates, (samples, dates) each, by variable name.

    ``log10_frontier_compute_flop_trend``/``_run``, and for a full-population fit also
    ``log10_compute_flop_trend``/``_run`` (the typical run). A ``_run`` draw adds one run's
    scatter to the trend: any run for the typical run, one of the top ``share`` of the
    population for the frontier.
    """
    mu = trend.population(years)
    scatter = trend.scatter(years)
    u_run = rng.uniform(size=(trend.n_samples, len(years)))
    nu = None if trend.nu is None else trend.nu[:, None]
    if trend.frontier.kind != "quantile":
        return {
            "log10_frontier_compute_flop_trend": mu,
            "log10_frontier_compute_flop_run": mu + scatter * scatter_quantile(u_run, nu),
        }
    share = float(trend.frontier.share)  # type: ignore[arg-type]
    u_top = 1.0 - share + share * rng.uniform(size=u_run.shape)
    return {
        "log10_compute_flop_trend": mu,
        "log10_compute_flop_run": mu + scatter * scatter_quantile(u_run, nu),
        "log10_frontier_compute_flop_trend": mu + trend.z_frontier * scatter,
        "log10_frontier_compute_flop_run": mu + scatter * scatter_quantile(u_top, nu),
    }


# --------------------------------------------------------------------------------------
# 5b. Limits


def apply_limits(
    fit: Fit,
    setting: Any,
    horizon: float,
    last_data: float,
    price: FrontierCost | None,
    variables: dict[str, np.ndarray],
    years: np.ndarray,
    seed: int,
) -> tuple[LimitDraws | None, LimitsInfo]:
    """Saturate the compute draws under the ceilings (in place), when limits are on.

    Adds ``log10_ceiling_compute_flop`` (and, with cost, ``log10_ceiling_cost_usd``): the
    lowest ceiling of each sample. Returns the ceiling draws (None when off) and what the
    outputs say about limits.
    """
    spec = setting if isinstance(setting, LimitsSpec) else fit.spec.limits
    on, reason = limits_enabled(
        None if isinstance(setting, LimitsSpec) else setting, spec, horizon, last_data
    )
    if not on:
        return None, LimitsInfo.build(spec, False, reason)
    n_samples = variables["log10_frontier_compute_flop_trend"].shape[0]
    draws = LimitDraws.draw(spec, n_samples, last_data, price, seed, (RANDOM_STREAM,))
    unlimited = variables["log10_frontier_compute_flop_trend"]
    for name in [n for n in variables if n.startswith("log10_") and "compute_flop" in n]:
        variables[name] = draws.apply(variables[name], years)
    low, _ = draws.hard_ceiling(years)
    variables["log10_ceiling_compute_flop"] = low
    if price is not None:
        variables["log10_ceiling_cost_usd"] = (
            low - price.at_dates - np.log10(price.utilization)[:, None]
        )
    return draws, LimitsInfo.build(spec, True, reason, draws, unlimited, years)


def _count_population(fit: Fit) -> str:
    if fit.spec.frontier.rule != "none":
        return (
            f"frontier runs only (spec {fit.spec.name!r} selects them: frontier rule "
            f"{fit.spec.frontier.rule!r}), so a lower bound on all runs"
        )
    return (
        f"the runs of the fit's data (spec {fit.spec.name!r}: runs in Epoch AI's database "
        "with a usable compute estimate, as the spec selects them)"
    )


# --------------------------------------------------------------------------------------
# 6. Threshold crossings


def frontier_crossings(
    fit: Fit,
    trend: TrendDraws,
    price: FrontierCost | None,
    horizon: float,
    search_end: float,
    flop_values: list[float],
    usd_values: list[float],
    limit: LimitDraws | None = None,
) -> tuple[pd.DataFrame, Crossings]:
    """Threshold crossings of the frontier trend, in FLOP and (with cost) in USD.

    Searched on a monthly grid from the first run to ``search_end``, on the trend limited
    by ``limit`` when limits are on. Returns the threshold table and each sample's crossing
    dates.
    """
    grid = search_grid(float(fit.runs["year"].min()), search_end)
    front_grid = trend.frontier_trend(grid)
    if limit is not None:
        front_grid = limit.apply(front_grid, grid)
    found = threshold_crossings("compute_flop", front_grid, grid, flop_values, horizon, fit.runs)
    if price is not None and usd_values:
        cost_grid = price.log10_cost_paths(front_grid, grid)
        del front_grid
        usd = threshold_crossings(
            "cost_usd", cost_grid, grid, usd_values, horizon, runs_with_costs(fit)
        )
        found = Crossings(found.rows + usd.rows, found.dates + usd.dates, found.labels + usd.labels)
    return pd.DataFrame(found.rows), found


# --------------------------------------------------------------------------------------
# 7. Assemble


def assemble_draws(
    variables: dict[str, np.ndarray],
    years: np.ndarray,
    crossings: Crossings,
    paths: RegimePaths,
    attrs: dict[str, Any],
) -> xr.Dataset:
    """The draws as a Dataset: ``variables`` (sample, date), ``crossing_year`` (sample,
    threshold) and ``future_breaks`` (sample), with ``attrs``."""
    coords = {
        "sample": np.arange(paths.times.shape[0]),
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
    if crossings.dates:
        ds["crossing_year"] = xr.DataArray(
            np.stack(crossings.dates, axis=1),
            dims=("sample", "threshold"),
            coords={"threshold": crossings.labels},
            attrs={"units": "decimal year", "note": "inf: not reached by the search end"},
        )
    ds["future_breaks"] = xr.DataArray(paths.n_breaks, dims=("sample",))
    ds.attrs.update(attrs)
    return ds
