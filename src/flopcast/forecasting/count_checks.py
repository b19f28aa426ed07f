"""Checks of the counts above thresholds: a posterior predictive check and a backtest.

* :func:`count_check` replicates the counts in the data: for each year from 2018 to the
  data's end, the number of runs whose *published* compute is above 1e23, 1e24 and 1e25
  FLOP, drawn from the fitted model (runs per year from the count model, sizes from the
  compute model's trend plus scatter plus each year's typical measurement error), next to
  the observed count. ``totals="observed"`` takes the runs per year as observed and checks
  the compute distribution alone. The last year is covered only up to the last run.
* :func:`count_backtest` is time-ordered: for each origin, the compute model and the count
  model are fitted to the runs published before it, and the counts of the later years are
  predicted (with future regime changes as the forecast would use them) and compared.

Both return one row per year and threshold with the observed count, the predictive median
and 90% interval, whether the observed count lies inside, and ``p_at_least``: the
predictive probability of a count at least as large as observed (near 1: the model
predicts too many; near 0: too few), and ``crps``, the continuous ranked probability score
of the count (:func:`count_crps`, lower is better).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from flopcast.dates import to_decimal_year
from flopcast.exceptions import FlopcastError
from flopcast.fitting import Fit, scatter_draws, stack_draws
from flopcast.forecasting.count_tail import describe_tail, tail_for
from flopcast.forecasting.counts import count_draws, fit_rate, observed_counts
from flopcast.intervals import CI_LEVEL, central_interval, interval_columns
from flopcast.spec import CountsSpec

__all__ = [
    "CHECK_THRESHOLDS",
    "FitPopulation",
    "count_backtest",
    "count_check",
    "count_crps",
    "summarise_check",
]

#: Thresholds of the checks (FLOP).
CHECK_THRESHOLDS: tuple[float, ...] = (1e23, 1e24, 1e25)
_LOW, _HIGH = interval_columns(CI_LEVEL)


@dataclass(frozen=True)
class FitPopulation:
    """A fit's trend and scatter over the data (no future breaks), as counts need them."""

    fit: Fit

    @property
    def nu(self) -> np.ndarray | None:
        post = self.fit.posterior
        return stack_draws(post, "nu") if "nu" in post else None

    def population(self, years: np.ndarray) -> np.ndarray:
        return self.fit.trend(years)

    def scatter(self, years: np.ndarray) -> np.ndarray:
        return scatter_draws(self.fit.posterior, np.asarray(years, dtype=float))


def _rows(
    draws: np.ndarray,
    observed: np.ndarray,
    years: np.ndarray,
    thresholds: np.ndarray,
    extra: dict[str, Any],
) -> list[dict[str, Any]]:
    rows = []
    for i, y in enumerate(years):
        for j, t in enumerate(thresholds):
            d = draws[:, i, j]
            med, lo, hi = central_interval(d, CI_LEVEL)
            obs = observed[i, j]
            rows.append(
                {
                    **extra,
                    "year": int(y),
                    "threshold_flop": float(t),
                    "observed": obs,
                    "median": med,
                    _LOW: lo,
                    _HIGH: hi,
                    "inside_ci90": bool(lo <= obs <= hi),
                    "p_at_least": float(np.mean(d >= obs)),
                    "crps": count_crps(d, obs),
                }
            )
    return rows


def count_crps(draws: np.ndarray, observed: float) -> float:
    """Continuous ranked probability score of count draws against the observed count:
    ``E|X - y| - E|X - X'| / 2`` (lower is better; NaN when nothing was observed).

    Examples
    --------
    >>> count_crps(np.array([2, 2, 2]), 5.0)
    3.0
    """
    if not np.isfinite(observed):
        return float("nan")
    x = np.sort(np.asarray(draws, dtype=float))
    n = len(x)
    spread = np.sum((2.0 * np.arange(1, n + 1) - n - 1.0) * x) / n**2
    return float(np.mean(np.abs(x - observed)) - spread)


def _year_sigma(runs: pd.DataFrame, years: np.ndarray) -> np.ndarray:
    """Median measurement sd (dex) of the runs of each year (of all runs when none)."""
    year_of = np.floor(runs["year"].to_numpy(float))
    sigma = runs["sigma_log10"].to_numpy(float)
    return np.array(
        [
            float(np.median(sigma[year_of == y]))
            if np.any(year_of == y)
            else float(np.median(sigma))
            for y in years
        ]
    )


def count_check(
    fit: Fit,
    thresholds_flop: tuple[float, ...] = CHECK_THRESHOLDS,
    since: int = 2018,
    *,
    totals: str = "model",
    seed: int | None = None,
    settings: CountsSpec | None = None,
) -> pd.DataFrame:
    """Posterior predictive check of the counts above thresholds per year in the data.

    Parameters
    ----------
    fit : Fit
    thresholds_flop : tuple of float, default (1e23, 1e24, 1e25)
    since : int, default 2018
        First year checked; the last is the last run's year (covered up to the last run).
    totals : {"model", "observed"}
        Runs per year from the count model (checks both parts) or as observed (checks the
        compute distribution alone).
    seed : int, optional
        Default the fit's.
    settings : CountsSpec, optional
        The upper tail (default the fit's spec's ``[counts]``). The empirical tail takes
        its residuals from the last complete years of the same data, so the check is
        in-sample for those years and out-of-sample in shape for the earlier ones.

    Returns
    -------
    pandas.DataFrame
        ``year``, ``threshold_flop``, ``observed``, ``median``, ``ci90_low``,
        ``ci90_high``, ``inside_ci90``, ``p_at_least``, ``crps`` (:func:`count_crps`).

    Examples
    --------
    >>> count_check(fit).query("threshold_flop == 1e25")      # doctest: +SKIP
    """
    if totals not in ("model", "observed"):
        raise FlopcastError(f"totals={totals!r}: use 'model' or 'observed'")
    seed = fit.seed if seed is None else int(seed)
    rng = np.random.default_rng([seed, 11])
    runs = fit.runs
    last_data = float(runs["year"].max())
    last_year = math.floor(last_data)
    years = np.arange(since, last_year + 1)
    exposure = np.ones(len(years))
    exposure[-1] = max(last_data - last_year, 1.0 / 365.0)
    population = FitPopulation(fit)
    n_samples = population.population(np.array([last_data])).shape[0]
    rate = fit_rate(
        runs["year"].to_numpy(float), fit.spec.counts.rate_since, last_year - 1, n_samples, rng
    )
    thresholds = np.sort(np.asarray(thresholds_flop, dtype=float))
    year_of = np.floor(runs["year"].to_numpy(float))
    observed_totals = np.array([np.sum(year_of == y) for y in years])
    settings = fit.spec.counts if settings is None else settings
    tail = tail_for(settings, population, runs, last_data, np.random.default_rng([seed, 11, 1]))
    draws = count_draws(
        rate,
        population,
        years,
        np.log10(thresholds),
        rng,
        exposure=exposure,
        extra_sd=_year_sigma(runs, years),
        totals=observed_totals if totals == "observed" else None,
        tail=tail,
    )
    observed = observed_counts(runs, years, thresholds, last_data)
    out = pd.DataFrame(_rows(draws, observed, years, thresholds, {}))
    out.attrs.update(
        {
            "totals": totals,
            "rate": rate.describe(),
            "tail": describe_tail(tail),
            "last_data": last_data,
        }
    )
    return out


def count_backtest(
    runs: Any = None,
    spec: Any = None,
    origins: Any = ("2021-01-01", "2022-01-01", "2023-01-01"),
    thresholds_flop: tuple[float, ...] = CHECK_THRESHOLDS,
    *,
    seed: int | None = None,
    regime_changes: str | bool = "auto",
    progress: bool = False,
    settings: CountsSpec | None = None,
    fits: dict[int, Fit] | None = None,
) -> pd.DataFrame:
    """Time-ordered backtest of the counts: fit before each origin, predict later years.

    Parameters
    ----------
    runs : RunTable, DataFrame or None
        The runs (None: the spec's data source).
    spec : ModelSpec, str or None
        Default ``"two_eras"``.
    origins : sequence of date-likes
        Each origin's year start: the fits use runs published before it; the years from the
        origin's year to the data's last year (covered up to the last run) are predicted.
    thresholds_flop : tuple of float
    seed : int, optional
    regime_changes : {"auto", "on", "off"} or bool
        Future breaks in the predictions, as in the forecast.
    progress : bool
    settings : CountsSpec, optional
        The upper tail (default the spec's ``[counts]``); the empirical tail of each origin
        takes the residuals of the complete years before it.
    fits : dict, optional
        A cache of the fits by origin year, read and filled (to compare settings).

    Returns
    -------
    pandas.DataFrame
        :func:`count_check`'s columns plus ``origin`` (decimal year) and ``n_train``.

    Examples
    --------
    >>> count_backtest(None, "two_eras", ["2022-01-01"])       # doctest: +SKIP
    """
    from flopcast.fitting import fit, prepare_runs, resolve_runs
    from flopcast.forecasting.frontier import frontier_definition
    from flopcast.forecasting.pipeline import RANDOM_STREAM, TrendDraws
    from flopcast.forecasting.regimes import regime_changes_for
    from flopcast.spec import ModelSpec, load_spec

    if spec is None:
        spec = load_spec("two_eras")
    elif not isinstance(spec, ModelSpec):
        spec = load_spec(spec)
    seed = spec.sampler.seed if seed is None else int(seed)
    table, _ = resolve_runs(runs, spec)
    everything = prepare_runs(table, spec).runs
    last_data = float(everything["year"].max())
    last_year = math.floor(last_data)
    thresholds = np.sort(np.asarray(thresholds_flop, dtype=float))
    rows: list[dict[str, Any]] = []
    for k, origin in enumerate(origins):
        start = to_decimal_year(origin, what="origin")
        first = math.floor(start)
        if first > last_year:
            raise FlopcastError(f"origin {origin!r}: no data after it")
        train = table.loc[pd.to_datetime(table["date"]) < pd.Timestamp(f"{first}-01-01")]
        if fits is not None and first in fits:
            fitted = fits[first]
        else:
            fitted = fit(train, spec, seed=seed, progress=progress)
        if fits is not None:
            fits[first] = fitted
        rng = np.random.default_rng([seed, RANDOM_STREAM, 12, k])
        regime = regime_changes_for(fitted, last_year + 1.0, regime_changes)
        trend = TrendDraws.simulate(
            fitted, frontier_definition(fitted), regime, last_year + 1.0, rng
        )
        rate = fit_rate(
            fitted.runs["year"].to_numpy(float),
            spec.counts.rate_since,
            first - 1,
            trend.n_samples,
            rng,
        )
        years = np.arange(first, last_year + 1)
        exposure = np.ones(len(years))
        exposure[-1] = max(last_data - last_year, 1.0 / 365.0)
        tail = tail_for(
            spec.counts if settings is None else settings,
            trend,
            fitted.runs,
            float(first),
            np.random.default_rng([seed, RANDOM_STREAM, 12, k, 1]),
        )
        draws = count_draws(
            rate,
            trend,
            years,
            np.log10(thresholds),
            rng,
            exposure=exposure,
            extra_sd=_year_sigma(fitted.runs, years),
            tail=tail,
        )
        observed = observed_counts(everything, years, thresholds, last_data)
        rows += _rows(
            draws,
            observed,
            years,
            thresholds,
            {"origin": float(first), "n_train": len(fitted.runs)},
        )
    out = pd.DataFrame(rows)
    out.attrs["last_data"] = last_data
    return out


def summarise_check(check: pd.DataFrame) -> pd.DataFrame:
    """Share of observed counts inside the 90% interval, the median ``p_at_least`` and the
    mean ``crps``, per threshold (and origin, for a backtest)."""
    keys = ["origin", "threshold_flop"] if "origin" in check else ["threshold_flop"]
    return (
        check.groupby(keys)
        .agg(
            n=("observed", "size"),
            inside_ci90=("inside_ci90", "mean"),
            median_p_at_least=("p_at_least", "median"),
            mean_crps=("crps", "mean"),
        )
        .reset_index()
    )
