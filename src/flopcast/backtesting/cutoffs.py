"""Cutoff backtests: fit on the runs published before a cutoff, score the runs after it.

The older, per-cutoff view (``flopcast backtest --cutoff DATE``); the rolling-origin
harness with proper scores and baselines is :func:`flopcast.backtesting.backtest`.

For each cutoff, :func:`backtest_cutoffs` fits the spec to the runs published before it and predicts
the *published* value of every later run the spec selects: the trend (with future regime
changes when :func:`flopcast.forecasting.forecast` would use them) plus the intrinsic scatter
plus that run's measurement error (its error group's sigma, times the inferred scale when
the spec infers one). Scores per cutoff:

* ``cover50``, ``cover90``: share of later runs inside the central 50% and 90% predictive
  intervals (nominal 0.5 and 0.9);
* ``frontier_cover50``/``frontier_cover90``: the same for frontier runs (top
  ``frontier_n`` by compute when published, ranked on the spec's runs). A frontier fit
  predicts them with its own trend; a full-population fit predicts them as draws from the
  top share of the population (the frontier of :func:`flopcast.forecasting.frontier_definition`);
* ``median_abs_error_dex``: median over later runs of ``|published - predictive median|`` in
  log10 units;
* ``mean_log_pred_density``: mean over later runs of the log predictive density of the
  published log10 compute (nats; higher is better; comparable between fits of the same runs).
* ``median_pit``: median over later runs of the predictive CDF at the published value
  (nominal 0.5): above 0.5 the later runs came out larger than predicted, below smaller; it
  says which way a coverage shortfall points.

Coverage is judged from each run's probability integral transform (the predictive CDF at
the published value, from 4 predictive draws per posterior draw): a run is inside the 90%
interval when it lies between 0.05 and 0.95. ``measurement_error=False`` sets every error
factor to 1 (errors of zero width) in the fit *and* in the predictions, for the comparison
with and without the measurement-error model. The compiled model is reused across cutoffs
(:mod:`flopcast.fitting` caches it per structure).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from flopcast.backtesting.scoring import score_predictions
from flopcast.dates import parse_date, to_decimal_year
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
from flopcast.formatting import jsonable
from flopcast.model import ERROR_GROUPS
from flopcast.runs.schema import CONFIDENCES, METHODS
from flopcast.runs.selection import top_n_at_publication
from flopcast.spec import ModelSpec, load_spec

__all__ = ["CutoffBacktestResult", "backtest_cutoffs", "no_measurement_error"]

#: Version of the cutoff backtest JSON (2: ``json_version`` added).
CUTOFF_JSON_VERSION: int = 2


def no_measurement_error(spec: ModelSpec) -> ModelSpec:
    """The spec with every error factor set to 1 (measurement errors of zero width).

    Examples
    --------
    >>> no_measurement_error(ModelSpec()).errors.modern_method_factors["hardware"]
    1.0
    """
    return spec.with_overrides(
        {
            "errors.modern_method_factors": {m: 1.0 for m in METHODS},
            "errors.early_method_factors": {m: 1.0 for m in METHODS},
            "errors.confidence_factors": {c: 1.0 for c in CONFIDENCES},
            "errors.use_explicit_bounds": False,
        }
    )


# --------------------------------------------------------------------------------------
# The result


@dataclass
class CutoffBacktestResult:
    """Scores of a backtest at one or more cutoffs. Build with :func:`backtest_cutoffs`.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per cutoff (see :meth:`table`).
    scores : pandas.DataFrame
        One row per (cutoff, later run): ``cutoff``, ``system``, ``date``, ``year``,
        ``years_ahead``, ``log10_compute`` (published), ``sigma_log10``, ``frontier``, the
        predictive ``pred_median``, ``pi50_*``, ``pi90_*`` (log10), ``pit``, ``in50``,
        ``in90``, ``abs_error_dex``, ``log_pred_density``; frontier runs of a
        full-population fit also have ``frontier_in50``/``frontier_in90``/
        ``frontier_pit`` under the frontier predictive.
    spec : ModelSpec
        The spec fitted (with zero-width errors when ``measurement_error`` is False).
    measurement_error : bool
    fits : dict
        The fit at each cutoff (ISO date -> Fit) when ``keep_fits=True``.
    """

    summary: pd.DataFrame
    scores: pd.DataFrame
    spec: ModelSpec
    measurement_error: bool
    fits: dict[str, Fit] = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        """One row per cutoff.

        Returns
        -------
        pandas.DataFrame
            ``cutoff``, ``n_train``, ``n_test``, ``cover50``, ``cover90``, ``frontier_n``,
            ``frontier_cover50``, ``frontier_cover90``, ``median_abs_error_dex``,
            ``mean_log_pred_density``, ``median_pit``, ``median_pi90_width_dex``,
            ``last_test_year``,
            ``regime_changes``, ``measurement_error``, ``fit_ok``.

        Examples
        --------
        >>> backtest_cutoffs(None, "two_eras", cutoff="2021-01-01").table()    # doctest: +SKIP
        """
        return self.summary.copy()

    def to_json_dict(self) -> dict[str, Any]:
        """``{json_version, spec, measurement_error, nominal, cutoffs: [one dict per row]}``.

        Examples
        --------
        >>> result = backtest_cutoffs(None, "two_eras")              # doctest: +SKIP
        >>> result.to_json_dict()["cutoffs"][0]["cover90"]           # doctest: +SKIP
        """
        rows = self.summary.copy()
        rows["cutoff"] = rows["cutoff"].dt.strftime("%Y-%m-%d")
        return jsonable(
            {
                "json_version": CUTOFF_JSON_VERSION,
                "spec": self.spec.name,
                "measurement_error": self.measurement_error,
                "nominal": {"cover50": 0.5, "cover90": 0.9},
                "cutoffs": rows.to_dict(orient="records"),
            }
        )

    def format_table(self) -> str:
        """The summary as text, with what the columns mean."""
        lines = [
            f"flopcast Backtest: spec {self.spec.name!r}, measurement-error model "
            f"{'ON' if self.measurement_error else 'OFF (errors of zero width)'}",
            "coverage = share of runs published after the cutoff inside the central 50% / 90% "
            "predictive interval of their published value (nominal 0.50 / 0.90); PIT = "
            "median predictive CDF at the published value (0.5: unbiased; above: later runs "
            "larger than predicted)",
            f"  {'cutoff':<10} {'train':>5} {'test':>5} {'cov50':>6} {'cov90':>6} "
            f"{'front':>5} {'fcov50':>6} {'fcov90':>6} {'MAE dex':>7} {'mean LPD':>8} "
            f"{'PIT':>5} {'PI90 dex':>8}  regime",
        ]
        for r in self.summary.itertuples():
            lines.append(
                f"  {r.cutoff.date()!s:<10} {r.n_train:>5} {r.n_test:>5} {r.cover50:>6.3f} "
                f"{r.cover90:>6.3f} {r.frontier_n:>5} {_f(r.frontier_cover50):>6} "
                f"{_f(r.frontier_cover90):>6} {r.median_abs_error_dex:>7.3f} "
                f"{r.mean_log_pred_density:>8.3f} {r.median_pit:>5.2f} "
                f"{r.median_pi90_width_dex:>8.2f}  "
                f"{'on' if r.regime_changes else 'off'}"
            )
        bad = self.summary.loc[~self.summary["fit_ok"], "cutoff"]
        if len(bad):
            lines.append(
                "WARNING: sampler diagnostics failed for cutoff(s) "
                + ", ".join(str(c.date()) for c in bad)
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.format_table()

    def _repr_html_(self) -> str:
        table = self.summary.copy()
        table["cutoff"] = table["cutoff"].dt.date
        state = "on" if self.measurement_error else "off (errors of zero width)"
        return (
            f"<div><b>flopcast Backtest</b>: spec <code>{html.escape(self.spec.name)}</code>, "
            f"measurement-error model {state}. Coverage: share of later runs inside the "
            "central 50%/90% predictive intervals (nominal 0.5/0.9)."
            + table.to_html(index=False, float_format=lambda v: f"{v:.3f}")
            + "</div>"
        )


def _f(v: float) -> str:
    return f"{v:.3f}" if np.isfinite(v) else "-"


# --------------------------------------------------------------------------------------
# The entry point


def _cutoffs(cutoff: Any) -> list[pd.Timestamp]:
    values = [cutoff] if isinstance(cutoff, str | pd.Timestamp) or np.isscalar(cutoff) else cutoff
    out = []
    for value in list(values):
        out.append(pd.Timestamp(parse_date(value, what="cutoff")))
    if not out:
        raise FlopcastError("backtest: give at least one cutoff")
    return sorted(set(out))


def backtest_cutoffs(
    runs: Any = None,
    spec: ModelSpec | str | None = None,
    cutoff: Any = "2021-01-01",
    *,
    seed: int | None = None,
    measurement_error: bool = True,
    regime_changes: str | bool = "auto",
    regime_rate: float | None = None,
    frontier_n: int | None = None,
    keep_fits: bool = False,
    progress: bool = False,
) -> CutoffBacktestResult:
    """Fit on runs published before each cutoff and score the prediction of later runs.

    Parameters
    ----------
    runs : RunTable, DataFrame or None
        The runs (``None``: the spec's data source, the bundled data by default).
    spec : ModelSpec, str or None
        Spec, spec file or shipped spec name (default ``"two_eras"``). The residual
        frontier rule is not supported (its selection needs the later runs' residuals).
    cutoff : date-like or list of date-likes, default "2021-01-01"
        Cutoff date(s): fit on runs published strictly before, score runs on or after.
    seed : int, optional
        Sampler seed (default the spec's); the scoring draws are seeded from it too.
    measurement_error : bool, default True
        False: errors of zero width in the fit and the predictions.
    regime_changes : {"auto", "on", "off"} or bool, default "auto"
        Future regime changes in the predictions, as in :func:`flopcast.forecasting.forecast`
        ("auto": on when the last scored run is more than three years after the last
        training run).
    regime_rate : float, optional
        Break rate per year for future regime changes instead of the one the data support.
    frontier_n : int, optional
        Frontier rule for the frontier scores: top ``frontier_n`` when published (default:
        the spec's ``frontier.n`` for a top-N spec, else 10).
    keep_fits : bool, default False
        Keep each cutoff's fit in ``result.fits``.
    progress : bool, default False
        Show the sampler's progress bar.

    Returns
    -------
    CutoffBacktestResult

    Examples
    --------
    >>> from flopcast.backtesting import backtest_cutoffs
    >>> cutoffs = ["2019-01-01", "2021-01-01"]
    >>> result = backtest_cutoffs(None, "two_eras", cutoff=cutoffs)     # doctest: +SKIP
    >>> result.table()[["cutoff", "cover50", "cover90"]]                # doctest: +SKIP
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
    if not measurement_error:
        spec = no_measurement_error(spec)
    seed = spec.sampler.seed if seed is None else int(seed)
    if frontier_n is None:
        frontier_n = spec.frontier.n if spec.frontier.rule == "top_n" else FRONTIER_N
    from flopcast.fitting import fit  # loads PyMC: only here, not on reading a backtest

    cutoffs = _cutoffs(cutoff)
    table, _ = resolve_runs(runs, spec)
    everything = prepare_runs(table, spec).runs
    if spec.frontier.rule == "top_n" and frontier_n == spec.frontier.n:
        everything["frontier"] = True
    else:
        everything["frontier"] = top_n_at_publication(everything, frontier_n)

    rows: list[dict[str, Any]] = []
    score_parts: list[pd.DataFrame] = []
    fits: dict[str, Fit] = {}
    for i, when in enumerate(cutoffs):
        train = table.loc[pd.to_datetime(table["date"]) < when]
        test = everything.loc[everything["date"] >= when].reset_index(drop=True)
        label = when.date().isoformat()
        if test.empty:
            raise FlopcastError(f"cutoff {label}: no selected run is published on or after it")
        if train.empty:
            raise FlopcastError(f"cutoff {label}: no run is published before it")
        try:
            fitted = fit(train, spec, seed=seed, progress=progress)
        except FlopcastError as exc:
            raise FlopcastError(f"cutoff {label}: {exc}") from None
        if keep_fits:
            fits[label] = fitted
        scores, summary = _score_cutoff(
            fitted,
            test,
            to_decimal_year(when),
            regime_changes,
            regime_rate,
            np.random.default_rng([seed, i]),
        )
        scores.insert(0, "cutoff", when)
        score_parts.append(scores)
        rows.append({"cutoff": when, "n_train": len(fitted.runs), **summary})
        rows[-1]["measurement_error"] = measurement_error
        rows[-1]["fit_ok"] = fitted.diagnostics.ok
    summary = pd.DataFrame(rows)
    return CutoffBacktestResult(
        summary=summary,
        scores=pd.concat(score_parts, ignore_index=True),
        spec=spec,
        measurement_error=measurement_error,
        fits=fits,
    )


def _score_cutoff(
    fitted: Fit,
    test: pd.DataFrame,
    cutoff_year: float,
    regime_changes: str | bool,
    regime_rate: float | None,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    post = fitted.posterior
    years = test["year"].to_numpy(dtype=float)
    regime = regime_changes_for(fitted, float(years.max()), regime_changes, rate=regime_rate)
    paths = RegimePaths.simulate(
        regime, stack_draws(post, "slopes")[:, -1], float(years.max()), rng
    )
    mu = fitted.trend(years) + paths.offset(years)
    scatter = scatter_draws(post, years)
    group = test["error_group"].map({g: k for k, g in enumerate(ERROR_GROUPS)}).to_numpy()
    sigma = measurement_sigma_draws(post, test["sigma_log10"], group)
    nu = stack_draws(post, "nu") if "nu" in post else None
    y = test["log10_compute"].to_numpy(dtype=float)
    scores = score_predictions(y, mu, scatter, sigma, nu=nu, rng=rng)
    front = test["frontier"].to_numpy(dtype=bool)
    out = test[["system", "date", "year"]].copy()
    out["years_ahead"] = years - cutoff_year
    out["log10_compute"] = y
    out["sigma_log10"] = test["sigma_log10"].to_numpy()
    out["frontier"] = front
    out = pd.concat([out, scores], axis=1)
    if fitted.spec.frontier.rule == "none" and front.any():
        definition = frontier_definition(fitted, "auto")
        fs = score_predictions(
            y[front],
            mu[:, front],
            scatter[:, front],
            np.broadcast_to(sigma, mu.shape)[:, front],
            nu=nu,
            share=definition.share,
            rng=rng,
        )
        for name in ("pit", "in50", "in90"):
            out[f"frontier_{name}"] = np.nan if name == "pit" else pd.NA
            out.loc[front, f"frontier_{name}"] = fs[name].to_numpy()
        f50, f90 = fs["in50"].mean(), fs["in90"].mean()
    elif front.any():
        f50, f90 = scores.loc[front, "in50"].mean(), scores.loc[front, "in90"].mean()
    else:
        f50 = f90 = np.nan
    width = (scores["pi90_high"] - scores["pi90_low"]).median()
    summary = {
        "n_test": len(test),
        "cover50": float(scores["in50"].mean()),
        "cover90": float(scores["in90"].mean()),
        "frontier_n": int(front.sum()),
        "frontier_cover50": float(f50),
        "frontier_cover90": float(f90),
        "median_abs_error_dex": float(scores["abs_error_dex"].median()),
        "mean_log_pred_density": float(scores["log_pred_density"].mean()),
        "median_pit": float(scores["pit"].median()),
        "median_pi90_width_dex": float(width),
        "last_test_year": float(years.max()),
        "regime_changes": regime.enabled,
    }
    return out, summary
