"""The rolling-origin harness: fit before each origin, score every later run, against baselines.

At each origin (1 July of each year, 2012-2023 by default) the spec is fitted to the runs
published strictly before it (the compiled model is reused across origins: one compile per
model structure, :mod:`flopcast.fitting`), and every run published on or after it is
scored, with its lead time (years after the origin):

* target ``frontier``: runs that were among the 10 largest by compute when published
  (judged against every run published up to their date), scored against the model's
  *frontier* predictive for one run: a frontier fit's trend plus scatter, or for a
  full-population fit a draw from the top share of the population
  (:func:`flopcast.forecasting.frontier_definition`);
* target ``all``: every run, against the population predictive (full-population specs only).

Both add each run's measurement error. The flopcast model scored is the spec with future
regime changes ``on`` (as in a long-horizon forecast); ``flopcast_no_regime`` is the same
fit with them off. With ``baselines=True`` the closed-form baselines of
:mod:`flopcast.backtesting.baselines` are scored on the same runs.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from flopcast.backtesting.baselines import LINE_STARTS, ols_line, rw_drift
from flopcast.backtesting.result import BacktestResult
from flopcast.backtesting.scoring import N_DRAWS, Predictive, score_predictive
from flopcast.backtesting.tables import lead_group, pit_histogram, score_table, skill_table
from flopcast.dates import to_decimal_year
from flopcast.exceptions import FlopcastError
from flopcast.fitting import (
    Fit,
    measurement_sigma_draws,
    prepare_runs,
    resolve_runs,
    scatter_draws,
    stack_draws,
)
from flopcast.forecasting.frontier import FRONTIER_N, frontier_definition
from flopcast.forecasting.regimes import RegimePaths, regime_changes_for
from flopcast.model import ERROR_GROUPS
from flopcast.runs.selection import top_n_at_publication
from flopcast.spec import ModelSpec, load_spec

__all__ = [
    "DEFAULT_ORIGINS",
    "TEST_FROM",
    "backtest",
    "flopcast_predictive",
    "origin_dates",
    "scored_runs",
]

#: First and last origin year by default (origins are on 1 July).
DEFAULT_ORIGINS: tuple[int, int] = (2012, 2023)
#: Origins in this year or later form the test set; earlier ones the development set.
TEST_FROM: int = 2018


def origin_dates(origins: Any = None) -> list[pd.Timestamp]:
    """Origin dates: 1 July of each year.

    ``origins``: None (2012-2023), ``"2012:2023"``, a ``(first, last)`` pair of years, or a
    list of years or dates.

    Examples
    --------
    >>> [d.date().isoformat() for d in origin_dates("2016:2018")]
    ['2016-07-01', '2017-07-01', '2018-07-01']
    """
    if origins is None:
        origins = DEFAULT_ORIGINS
    if isinstance(origins, str) and ":" in origins:
        try:
            first, last = (int(part) for part in origins.split(":"))
        except ValueError:
            raise FlopcastError(f"origins={origins!r}: give years, e.g. '2012:2023'") from None
        origins = (first, last)
    if (
        isinstance(origins, tuple)
        and len(origins) == 2
        and all(isinstance(v, int) for v in origins)
    ):
        years: list[Any] = list(range(origins[0], origins[1] + 1))
    elif isinstance(origins, str | int):
        years = [origins]
    else:
        years = list(origins)
    out = []
    for value in years:
        if isinstance(value, int | np.integer) or (isinstance(value, str) and value.isdigit()):
            out.append(pd.Timestamp(year=int(value), month=7, day=1))
            continue
        try:
            out.append(pd.Timestamp(value).normalize())
        except (ValueError, TypeError):
            raise FlopcastError(f"origin {value!r}: not a year or a date") from None
    if not out:
        raise FlopcastError(f"origins={origins!r}: no origin")
    return sorted(set(out))


def scored_runs(table: pd.DataFrame, spec: ModelSpec, frontier_n: int = FRONTIER_N) -> pd.DataFrame:
    """Every usable run with its published log10 compute, measurement error and frontier flag.

    The spec's data filters and frontier rule are *not* applied, so every variant of a spec
    is scored on the same runs; ``frontier`` is top ``frontier_n`` when published among them.
    """
    population = spec.with_overrides({"frontier.rule": "none", "data.select": []})
    runs = prepare_runs(table, population).runs
    runs["frontier"] = top_n_at_publication(runs, frontier_n)
    return runs


def flopcast_predictive(
    fitted: Fit,
    runs: pd.DataFrame,
    *,
    target: str,
    regime_changes: str,
    rng: np.random.Generator,
) -> Predictive:
    """A fit's predictive of the published log10 compute of ``runs`` (one component a draw).

    Parameters
    ----------
    fitted : Fit
    runs : pandas.DataFrame
        Runs with ``year``, ``sigma_log10`` and ``error_group``.
    target : {"frontier", "all"}
        ``frontier`` from a full-population fit draws from the top share of the population.
    regime_changes : {"on", "off"}
    rng : numpy.random.Generator
    """
    post = fitted.posterior
    years = runs["year"].to_numpy(dtype=float)
    regime = regime_changes_for(fitted, float(years.max()), regime_changes)
    paths = RegimePaths.simulate(
        regime, stack_draws(post, "slopes")[:, -1], float(years.max()), rng
    )
    mu = fitted.trend(years) + paths.offset(years)
    group = runs["error_group"].map({g: k for k, g in enumerate(ERROR_GROUPS)}).to_numpy()
    sigma = measurement_sigma_draws(post, runs["sigma_log10"], group)
    share = None
    if target == "frontier" and fitted.spec.frontier.rule == "none":
        share = frontier_definition(fitted, "auto").share
    nu = stack_draws(post, "nu") if "nu" in post else None
    return Predictive(mu, scatter_draws(post, years), sigma, nu, share)


def backtest(
    runs: Any = None,
    spec: ModelSpec | str | None = None,
    *,
    origins: Any = None,
    baselines: bool = False,
    test_from: int = TEST_FROM,
    seed: int | None = None,
    frontier_n: int = FRONTIER_N,
    n_draws: int = N_DRAWS,
    keep_fits: bool = False,
    progress: bool = False,
) -> BacktestResult:
    """Rolling-origin backtest of a spec, with proper scores and (optionally) baselines.

    Parameters
    ----------
    runs : RunTable, DataFrame or None
        The runs (``None``: the spec's data source, the bundled data by default).
    spec : ModelSpec, str or None
        Spec, spec file or shipped spec name (default ``"two_eras"``).
    origins : str, pair of years or list, optional
        Origins (:func:`origin_dates`); default 1 July of 2012 ... 2023.
    baselines : bool, default False
        Also score ``flopcast_no_regime``, ``ols_top10_2010``, ``ols_top10_2018`` and
        ``rw_drift_frontier`` (:mod:`flopcast.backtesting.baselines`) and the skill table.
    test_from : int, default 2018
        Origins in this year or later are the test set, earlier ones the development set.
    seed : int, optional
        Sampler seed (default the spec's); scoring draws and the bootstrap derive from it.
    frontier_n : int, default 10
        Frontier runs are the top ``frontier_n`` by compute when published.
    n_draws : int, default 4000
        Predictive draws per scored run (CRPS, PIT, intervals).
    keep_fits : bool, default False
        Keep each origin's fit in ``result.fits``.
    progress : bool, default False
        Show the sampler's progress bar.

    Returns
    -------
    BacktestResult
        ``.scores`` (by model, origin set, target and lead), ``.skill`` (against each
        baseline), ``.runs`` (per scored run), ``.origins`` (per origin).

    Examples
    --------
    >>> import flopcast
    >>> result = flopcast.backtest(spec="frontier", baselines=True)    # doctest: +SKIP
    >>> result.scores.query("origin_set == 'test' and lead == 'all'")  # doctest: +SKIP
    >>> result.skill                                                   # doctest: +SKIP
    """
    if spec is None:
        spec = load_spec("two_eras")
    elif not isinstance(spec, ModelSpec):
        spec = load_spec(spec)
    if spec.frontier.rule == "residual":
        raise FlopcastError(
            "backtest: the residual frontier rule is not supported (which later runs it "
            "selects depends on a fit to them); use frontier.rule = 'top_n' or 'none'"
        )
    seed = spec.sampler.seed if seed is None else int(seed)
    dates = origin_dates(origins)
    from flopcast.fitting import fit  # loads PyMC: only here, not on reading a backtest

    table, _ = resolve_runs(runs, spec)
    everything = scored_runs(table, spec, frontier_n)
    targets = ["frontier"] if spec.frontier.rule != "none" else ["frontier", "all"]
    parts: list[pd.DataFrame] = []
    per_origin: list[dict[str, Any]] = []
    fits: dict[str, Fit] = {}
    for origin in dates:
        label = origin.date().isoformat()
        origin_set = "test" if origin.year >= test_from else "development"
        train = table.loc[pd.to_datetime(table["date"]) < origin]
        later = everything.loc[everything["date"] >= origin].reset_index(drop=True)
        if later.empty or train.empty:
            raise FlopcastError(
                f"origin {label}: no runs {'after' if later.empty else 'before'} it"
            )
        started = time.perf_counter()
        try:
            fitted = fit(train, spec, seed=seed, progress=progress)
        except FlopcastError as exc:
            raise FlopcastError(f"origin {label}: {exc}") from None
        if (pd.to_datetime(fitted.runs["date"]) >= origin).any():  # pragma: no cover - guard
            raise FlopcastError(f"origin {label}: the fit saw a run published after the origin")
        fit_seconds = time.perf_counter() - started
        if keep_fits:
            fits[label] = fitted
        # Seeded by the origin's date, not its place in the list: an origin scores the
        # same whichever other origins run with it (e.g. "2018:2023" or "2012:2023").
        rng = np.random.default_rng([seed, 11, origin.year, origin.month, origin.day])
        origin_year = to_decimal_year(origin)
        before = everything.loc[everything["date"] < origin]
        for target in targets:
            scored = later.loc[later["frontier"]] if target == "frontier" else later
            if scored.empty:
                continue
            scored = scored.reset_index(drop=True)
            predictives = {
                spec.name: flopcast_predictive(
                    fitted, scored, target=target, regime_changes="on", rng=rng
                )
            }
            if baselines:
                predictives.update(
                    _baseline_predictives(fitted, before, scored, origin, target, rng)
                )
            years = scored["year"].to_numpy(dtype=float)
            y = scored["log10_compute"].to_numpy(dtype=float)
            for model, predictive in predictives.items():
                frame = score_predictive(y, predictive, rng, n_draws)
                frame.insert(0, "model", model)
                frame.insert(1, "origin", origin)
                frame.insert(2, "origin_set", origin_set)
                frame.insert(3, "target", target)
                frame.insert(4, "system", scored["system"].to_numpy())
                frame.insert(5, "date", scored["date"].to_numpy())
                frame.insert(6, "lead", years - origin_year)
                frame.insert(7, "lead_group", lead_group(years - origin_year))
                frame.insert(8, "log10_compute", y)
                parts.append(frame)
        per_origin.append(
            {
                "origin": origin,
                "origin_set": origin_set,
                "n_train": len(fitted.runs),
                "n_later": len(later),
                "n_later_frontier": int(later["frontier"].sum()),
                "fit_ok": bool(fitted.diagnostics.ok),
                "fit_seconds": fit_seconds,
                "seconds": time.perf_counter() - started,
            }
        )
    scored_frame = pd.concat(parts, ignore_index=True)
    models = [spec.name]
    names = [m for m in scored_frame["model"].unique() if m not in models]
    return BacktestResult(
        spec=spec,
        runs=scored_frame,
        origins=pd.DataFrame(per_origin),
        scores=score_table(scored_frame),
        skill=skill_table(scored_frame, models, names, seed=seed),
        pit=pit_histogram(scored_frame),
        settings={
            "test_from": test_from,
            "frontier_n": frontier_n,
            "n_draws": n_draws,
            "seed": seed,
            "regime_changes": "on",
        },
        fits=fits,
    )


def _baseline_predictives(
    fitted: Fit,
    before: pd.DataFrame,
    scored: pd.DataFrame,
    origin: pd.Timestamp,
    target: str,
    rng: np.random.Generator,
) -> dict[str, Predictive]:
    """The baselines' predictives of ``scored`` from the runs published ``before`` the origin."""
    out = {
        "flopcast_no_regime": flopcast_predictive(
            fitted, scored, target=target, regime_changes="off", rng=rng
        )
    }
    years = scored["year"].to_numpy(dtype=float)
    pool = before.loc[before["frontier"]] if target == "frontier" else before
    for name, start in LINE_STARTS.items():
        points = pool.loc[pool["year"] >= start]
        line = ols_line(points["year"].to_numpy(), points["log10_compute"].to_numpy())
        if line is not None:
            out[name] = line.predictive(years)
    if target == "frontier":
        walk = rw_drift(before, origin)
        if walk is not None:
            out["rw_drift_frontier"] = walk.predictive(years - to_decimal_year(origin))
    return out
