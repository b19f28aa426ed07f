"""Fitting a spec to a run table: sampling, the fitted object, diagnostics, save and load.

:func:`fit` is the entry point. It selects the runs a spec asks for, assigns each run its
measurement error, builds (or reuses) the compiled model for the spec's structure, samples,
and returns a :class:`Fit`: posterior draws as an ArviZ ``InferenceData`` plus the runs, the
resolved spec, the data hash, package versions, seed and diagnostics. A fit saves to one
NetCDF file (no pickle: loading reads arrays and JSON text and executes nothing).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import sys
import time
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from flopcast import provenance
from flopcast.caches import CacheDict
from flopcast.dates import decimal_year
from flopcast.diagnostics import Diagnostics, chain_agreement, sampler_diagnostics
from flopcast.display import summary_html, summary_text
from flopcast.exceptions import FitLoadError, FlopcastError, SpecError
from flopcast.formatting import jsonable
from flopcast.intervals import CI_LEVEL
from flopcast.model import (
    ERROR_GROUPS,
    ModelInputs,
    build_model,
    default_hyper,
    structure_key,
)
from flopcast.runs.error_groups import assign_error_groups
from flopcast.runs.selection import apply_top_n, residual_frontier, select_runs
from flopcast.spec import T_REF, ModelSpec, load_spec
from flopcast.trend import era_weights, piecewise_trend
from flopcast.units import doubling_months, growth_per_year

#: Version of the saved-fit layout; bump when it changes and keep old files loadable.
FIT_FORMAT = 1
#: Credible level used for every interval in summaries.


# --------------------------------------------------------------------------------------
# Preparing the data


@dataclass(frozen=True)
class PreparedRuns:
    """The runs a fit uses, with their model inputs, and how the sample was formed."""

    runs: pd.DataFrame
    inputs: ModelInputs
    selection_log: list[dict[str, Any]]


@dataclass(frozen=True)
class _DataOrigin:
    """Where a fit's runs came from: label, hash and the input rows left out."""

    source: str
    sha256: str
    excluded: pd.DataFrame


def resolve_runs(runs: Any, spec: ModelSpec) -> tuple[pd.DataFrame, _DataOrigin]:
    """Accept a RunTable, a canonical DataFrame or None (the spec's data source)."""
    from flopcast import runs as io

    if runs is None:
        if spec.data.source == "bundled":
            table = io.load_runs()
            return table.runs, _DataOrigin("bundled", table.sha256, table.excluded)
        table = io.read_runs(spec.data.source)
        return table.runs, _DataOrigin(table.source, table.sha256, table.excluded)
    if hasattr(runs, "runs") and hasattr(runs, "excluded"):
        return runs.runs, _DataOrigin(runs.source, runs.sha256, runs.excluded)
    if isinstance(runs, pd.DataFrame):
        missing = {"system", "date", "compute_flop"} - set(runs.columns)
        if missing:
            raise FlopcastError(
                f"fit: the runs DataFrame lacks column(s) {sorted(missing)}; "
                "pass a canonical table (see flopcast.read_runs)"
            )
        return runs, _DataOrigin("DataFrame (in memory)", io.data_hash(runs), pd.DataFrame())
    raise FlopcastError(
        f"fit: runs must be a RunTable, a pandas DataFrame or None, got {type(runs).__name__}"
    )


def prepare_runs(runs: pd.DataFrame, spec: ModelSpec) -> PreparedRuns:
    """Select the runs a spec asks for and compute the model's inputs.

    The residual frontier rule needs a first fit and is applied by :func:`fit`.
    """
    log: list[dict[str, Any]] = [{"step": "input", "n_runs": len(runs)}]
    runs = runs.copy()
    for column, default in (("method", "other"), ("confidence", "unknown")):
        if column not in runs.columns:
            runs[column] = default
    selected, n_out = select_runs(runs, spec.data)
    if spec.data.select:
        log.append({"step": "spec data filters", "n_removed": n_out, "n_runs": len(selected)})
    selected, n_out = apply_top_n(selected, spec.frontier)
    if spec.frontier.rule == "top_n":
        log.append(
            {
                "step": f"frontier: top {spec.frontier.n} by compute when published",
                "n_removed": n_out,
                "n_runs": len(selected),
            }
        )
    selected = selected.sort_values(["date", "system"], kind="stable").reset_index(drop=True)
    min_runs = 3 * (spec.model.breaks + 1) + 2
    if len(selected) < min_runs:
        raise SpecError(
            f"spec {spec.name!r} selects {len(selected)} run(s); a model with "
            f"{spec.model.breaks} break(s) needs at least {min_runs}. Loosen data.select."
        )
    errors = assign_error_groups(selected, spec.errors.error_model())
    selected = pd.concat([selected, errors], axis=1)
    selected["year"] = decimal_year(selected["date"])
    selected["log10_compute"] = np.log10(selected["compute_flop"].astype(float))
    inputs = _model_inputs(selected, spec)
    return PreparedRuns(runs=selected, inputs=inputs, selection_log=log)


def _model_inputs(selected: pd.DataFrame, spec: ModelSpec) -> ModelInputs:
    t = selected["year"].to_numpy() - T_REF
    priors = spec.priors
    k = spec.model.breaks
    lo = t.min() + priors.min_era_years
    hi = t.max() - priors.min_era_years
    if priors.break_min is not None:
        lo = max(lo, priors.break_min - T_REF)
    if priors.break_max is not None:
        hi = min(hi, priors.break_max - T_REF)
    if k > 0 and spec.model.fixed_breaks is None and hi - lo <= (k - 1) * priors.min_era_years:
        raise SpecError(
            f"spec {spec.name!r}: no room for {k} break(s) with eras of at least "
            f"{priors.min_era_years} years between {lo + T_REF:.1f} and {hi + T_REF:.1f}; "
            "lower priors.min_era_years or widen priors.break_min/break_max or the data"
        )
    group_index = {g: i for i, g in enumerate(ERROR_GROUPS)}
    fixed = None
    if spec.model.fixed_breaks is not None:
        fixed = np.asarray(spec.model.fixed_breaks, dtype=float) - T_REF
    return ModelInputs(
        t=t,
        y=selected["log10_compute"].to_numpy(),
        sigma=selected["sigma_log10"].to_numpy(),
        group=selected["error_group"].map(group_index).to_numpy(),
        hyper=default_hyper(priors, lo, hi),
        fixed_breaks=fixed,
    )


# --------------------------------------------------------------------------------------
# Sampling with compiled-model reuse

#: Compiled models by (backend, structure), reused across datasets and priors.
_COMPILED: dict[tuple, Any] = CacheDict("fitting.compiled_models")


def clear_model_cache() -> None:
    """Forget compiled models (the next fit of each structure compiles again)."""
    _COMPILED.clear()


def _sample(spec: ModelSpec, inputs: ModelInputs, seed: int, progress: bool) -> tuple[Any, dict]:
    """Sample the model; return the raw InferenceData and timings (seconds)."""
    structure = spec.model
    sampler = spec.sampler
    key = (sampler.backend, structure_key(structure))
    if structure.resolved_form == "latent":
        key += (len(inputs.y),)  # the latent vector's length is part of the compiled graph
    timings: dict[str, float] = {}
    start = time.perf_counter()
    cached = key in _COMPILED
    if sampler.backend == "nutpie":
        import nutpie

        if not cached:
            model = build_model(structure, inputs)
            _COMPILED[key] = (nutpie.compile_pymc_model(model), model)
        compiled, _ = _COMPILED[key]
        # nutpie keeps only the inputs the log-density uses (e.g. no jump_sd without jumps).
        names = set(compiled.shared_data)
        compiled = compiled.with_data(**{k: v for k, v in inputs.as_data().items() if k in names})
        timings["compile"] = time.perf_counter() - start
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            raw = nutpie.sample(
                compiled,
                draws=sampler.draws,
                tune=sampler.tune,
                chains=sampler.chains,
                cores=min(sampler.chains, 2),
                seed=seed,
                save_warmup=False,
                progress_bar=progress,
                low_rank_modified_mass_matrix=sampler.low_rank_mass_matrix,
                target_accept=sampler.target_accept,
            )
    else:
        import pymc as pm

        if not cached:
            _COMPILED[key] = build_model(structure, inputs)
        model = _COMPILED[key]
        names = {v.name for v in model.data_vars}
        with model:
            pm.set_data({k: v for k, v in inputs.as_data().items() if k in names})
        timings["compile"] = time.perf_counter() - start
        start = time.perf_counter()
        with model:
            raw = pm.sample(
                draws=sampler.draws,
                tune=sampler.tune,
                chains=sampler.chains,
                cores=min(sampler.chains, 2),
                random_seed=seed,
                target_accept=sampler.target_accept,
                progressbar=progress,
                compute_convergence_checks=False,
            )
    timings["sample"] = time.perf_counter() - start
    timings["compiled_model_reused"] = float(cached)
    return raw, timings


# --------------------------------------------------------------------------------------
# Posterior post-processing


def _posterior_dataset(raw: Any, spec: ModelSpec, inputs: ModelInputs) -> xr.Dataset:
    """Model parameters in natural units (break dates as decimal years) plus derived values."""
    post = raw.posterior
    k = spec.model.breaks
    out: dict[str, xr.DataArray] = {}
    n_chain, n_draw = post.sizes["chain"], post.sizes["draw"]

    def _get(name: str, dim: str | None, size: int | None = None) -> xr.DataArray:
        arr = np.asarray(post[name].values, dtype=float).reshape(n_chain, n_draw, -1)
        if dim is None:
            return xr.DataArray(arr[..., 0], dims=("chain", "draw"))
        return xr.DataArray(arr[..., :size], dims=("chain", "draw", dim))

    if k > 0:
        if spec.model.fixed_breaks is not None:
            fixed = np.broadcast_to(inputs.fixed_breaks, (n_chain, n_draw, k))
            out["breaks"] = xr.DataArray(fixed + T_REF, dims=("chain", "draw", "break"))
        else:
            out["breaks"] = _get("breaks", "break", k) + T_REF
    out["level"] = _get("level", None)
    out["slopes"] = _get("slopes", "era", k + 1)
    if spec.model.jump:
        out["jumps"] = _get("jumps", "break", k)
    if spec.model.scatter_per_era:
        out["scatter"] = _get("scatter", "era", k + 1)
    else:
        out["scatter"] = _get("scatter", None)
    if spec.model.scatter == "student_t":
        out["nu"] = _get("nu", None)
    if spec.model.error_scale == "prior":
        out["error_scale"] = _get("error_scale", "error_group", len(ERROR_GROUPS))
    if spec.model.resolved_form == "latent":
        out["e"] = _get("e", "run", len(inputs.y))
    out["doubling_months"] = xr.apply_ufunc(doubling_months, out["slopes"])
    out["growth_per_year"] = xr.apply_ufunc(growth_per_year, out["slopes"])
    ds = xr.Dataset(out)
    ds = ds.assign_coords(
        chain=np.arange(n_chain),
        draw=np.arange(n_draw),
        era=np.arange(k + 1),
        **({"break": np.arange(k)} if k else {}),
        **({"error_group": list(ERROR_GROUPS)} if "error_scale" in ds else {}),
    )
    return ds


def stack_draws(ds: xr.Dataset, name: str) -> np.ndarray:
    """Draws of one variable as ``(n_samples, ...)``."""
    da = ds[name]
    return da.values.reshape(da.sizes["chain"] * da.sizes["draw"], *da.shape[2:])


def trend_draws(posterior: xr.Dataset, years: np.ndarray) -> np.ndarray:
    """Posterior draws of the trend ``mu`` (log10 FLOP) at decimal ``years``: (samples, n)."""
    t = np.asarray(years, dtype=float) - T_REF
    breaks = stack_draws(posterior, "breaks") - T_REF if "breaks" in posterior else None
    jumps = stack_draws(posterior, "jumps") if "jumps" in posterior else None
    return piecewise_trend(
        t, stack_draws(posterior, "level"), stack_draws(posterior, "slopes"), breaks, jumps
    )


def scatter_draws(posterior: xr.Dataset, years: np.ndarray) -> np.ndarray:
    """Intrinsic scatter (dex) at each year for each draw: (samples, n)."""
    scatter = stack_draws(posterior, "scatter")
    if scatter.ndim == 1:
        return np.broadcast_to(scatter[:, None], (scatter.shape[0], len(years)))
    t = np.asarray(years, dtype=float) - T_REF
    weights = era_weights(t, stack_draws(posterior, "breaks") - T_REF)
    return np.exp(sum(w * np.log(scatter[:, k : k + 1]) for k, w in enumerate(weights)))


def measurement_sigma_draws(posterior: xr.Dataset, inputs_sigma, group) -> np.ndarray:
    """Per-run measurement sd for each draw (nominal times the group scale if inferred)."""
    sigma = np.asarray(inputs_sigma, dtype=float)[None, :]
    if "error_scale" in posterior:
        return sigma * stack_draws(posterior, "error_scale")[:, np.asarray(group)]
    return sigma


def latent_posterior(
    y: np.ndarray,
    mu: np.ndarray,
    scatter: np.ndarray,
    sigma: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Draws of each run's true log10 compute given its published value, in closed form.

    With ``x ~ Normal(mu, scatter)`` and ``y ~ Normal(x, sigma)``, the conditional posterior is
    ``Normal(m, s)`` with ``1/s^2 = 1/scatter^2 + 1/sigma^2`` and
    ``m = s^2 (y / sigma^2 + mu / scatter^2)``. One draw of ``x`` per posterior draw.

    Examples
    --------
    Equal trend and measurement spread: the mean is halfway between trend and observation.

    >>> rng = np.random.default_rng(0)
    >>> x = latent_posterior(np.array([22.0]), np.full((20000, 1), 20.0), np.ones((1, 1)),
    ...                      np.ones((1, 1)), rng)
    >>> round(float(x.mean()), 1), round(float(x.std()), 2)
    (21.0, 0.71)
    """
    precision = 1.0 / scatter**2 + 1.0 / sigma**2
    var = 1.0 / precision
    mean = var * (y[None, :] / sigma**2 + mu / scatter**2)
    return mean + np.sqrt(var) * rng.standard_normal(mean.shape)


def _interval(values: np.ndarray, level: float = CI_LEVEL, axis: int = 0) -> tuple:
    lo, med, hi = np.quantile(values, [(1 - level) / 2, 0.5, (1 + level) / 2], axis=axis)
    return med, lo, hi


# --------------------------------------------------------------------------------------
# Diagnostics


def compute_diagnostics(posterior: xr.Dataset, sample_stats: xr.Dataset | None) -> Diagnostics:
    """Sampler checks over every sampled parameter, plus agreement of chains on each break.

    A break's chains agree when the spread of their medians is small next to the
    posterior's width (:func:`flopcast.diagnostics.chain_agreement`); R-hat is checked above.
    """
    base = sampler_diagnostics(
        posterior,
        sample_stats,
        ("breaks", "level", "slopes", "jumps", "scatter", "nu", "error_scale", "e"),
        advice="Try more tuning/draws (sampler.tune, sampler.draws), fewer breaks, "
        "or fixed breaks.",
    )
    if "breaks" not in posterior or float(posterior["breaks"].std()) == 0:
        return base
    breaks = posterior["breaks"].transpose("chain", "draw", "break").values
    agree: list[bool] = []
    medians: list[list[float]] = []
    problems = list(base.problems)
    for k in range(breaks.shape[-1]):
        check = chain_agreement(breaks[..., k])
        agree.append(check.agree)
        medians.append([round(v, 3) for v in check.medians])
        if not check.agree:
            problems.append(
                f"chains disagree on break {k + 1} (chain medians {medians[k]}, "
                f"{check.spread:.2f} within-chain sd apart): the break-date posterior "
                "may be multimodal"
            )
    return replace(base, chains_agree=agree, chain_break_medians=medians, problems=problems)


# --------------------------------------------------------------------------------------
# The fitted object


class Fit:
    """A fitted changepoint model: posterior draws, the runs used, spec and provenance.

    Build with :func:`fit` or :func:`load_fit`, not directly.

    Attributes
    ----------
    spec : ModelSpec
        The resolved spec.
    runs : pandas.DataFrame
        The runs the model saw, with their error groups (``sigma_log10``), decimal ``year``
        and ``log10_compute``.
    idata : arviz.InferenceData
        ``posterior`` (parameters and derived doubling times), ``sample_stats``,
        ``observed_data`` and ``constant_data``; ``log_likelihood`` for the marginal form.
    diagnostics : Diagnostics
    provenance : dict
        Data hash, seed, package versions, timings, selection log, exclusions.
    """

    def __init__(
        self,
        spec: ModelSpec,
        runs: pd.DataFrame,
        idata: az.InferenceData,
        provenance: dict[str, Any],
    ) -> None:
        self.spec = spec
        self.runs = runs
        self.idata = idata
        self.provenance = provenance
        self.diagnostics = compute_diagnostics(
            idata.posterior, idata.get("sample_stats", xr.Dataset())
        )

    # -- convenience --------------------------------------------------------------------
    @property
    def posterior(self) -> xr.Dataset:
        return self.idata.posterior

    @property
    def seed(self) -> int:
        return int(self.provenance["seed"])

    @property
    def data_sha256(self) -> str:
        return str(self.provenance["data_sha256"])

    def trend(self, years: np.ndarray) -> np.ndarray:
        """Posterior draws of the trend (log10 FLOP) at decimal ``years``: (samples, n)."""
        return trend_draws(self.posterior, np.asarray(years, dtype=float))

    # -- summaries ----------------------------------------------------------------------
    def summary(self, level: float = CI_LEVEL) -> pd.DataFrame:
        """Posterior medians and central credible intervals of the headline quantities.

        Returns
        -------
        pandas.DataFrame
            Index ``parameter``; columns ``median``, ``ci_low``, ``ci_high``, ``unit``. The
            interval level is in ``.attrs["level"]`` (0.9 by default: a 90% credible
            interval, 5th to 95th percentile of the posterior).
        """
        post = self.posterior
        rows: list[tuple[str, np.ndarray, str]] = []
        k = self.spec.model.breaks
        if "breaks" in post and self.spec.model.fixed_breaks is None:
            for i in range(k):
                rows.append((f"break_{i + 1}", stack_draws(post, "breaks")[:, i], "decimal year"))
        for i in range(k + 1):
            rows.append(
                (
                    f"doubling_months_era_{i + 1}",
                    stack_draws(post, "doubling_months")[:, i],
                    "months",
                )
            )
        for i in range(k + 1):
            rows.append(
                (
                    f"growth_per_year_era_{i + 1}",
                    stack_draws(post, "growth_per_year")[:, i],
                    "x/year",
                )
            )
        for i in range(k + 1):
            rows.append(
                (f"slope_era_{i + 1}", stack_draws(post, "slopes")[:, i], "log10 FLOP/year")
            )
        rows.append(
            (
                "level_at_first_break" if k else "level_at_2010",
                stack_draws(post, "level"),
                "log10 FLOP",
            )
        )
        if "jumps" in post:
            for i in range(k):
                rows.append((f"jump_{i + 1}", stack_draws(post, "jumps")[:, i], "dex"))
        scatter = stack_draws(post, "scatter")
        if scatter.ndim == 1:
            rows.append(("scatter", scatter, "dex"))
        else:
            for i in range(k + 1):
                rows.append((f"scatter_era_{i + 1}", scatter[:, i], "dex"))
        if "nu" in post:
            rows.append(("nu", stack_draws(post, "nu"), "degrees of freedom"))
        if "error_scale" in post:
            used = sorted(set(self.runs["error_group"]), key=ERROR_GROUPS.index)
            scales = stack_draws(post, "error_scale")
            for g in used:
                rows.append((f"error_scale[{g}]", scales[:, ERROR_GROUPS.index(g)], "x nominal"))
        table = pd.DataFrame(
            [(name, *_interval(v, level), unit) for name, v, unit in rows],
            columns=["parameter", "median", "ci_low", "ci_high", "unit"],
        ).set_index("parameter")
        table.attrs["level"] = level
        return table

    def latent(self, level: float = CI_LEVEL) -> pd.DataFrame:
        """Each run's posterior true compute next to its published value.

        Returns
        -------
        pandas.DataFrame
            One row per run: ``system``, ``date``, ``compute_flop`` (published),
            ``sigma_log10``, ``true_median``, ``true_ci_low``, ``true_ci_high`` (FLOP; central
            credible interval at ``level``) and ``shrinkage_dex`` (median minus published,
            log10 units).
        """
        x = self.latent_draws()
        med, lo, hi = _interval(x, level)
        out = self.runs[["system", "date", "compute_flop", "error_group", "sigma_log10"]].copy()
        out["true_median"] = 10.0**med
        out["true_ci_low"] = 10.0**lo
        out["true_ci_high"] = 10.0**hi
        out["shrinkage_dex"] = med - self.runs["log10_compute"].to_numpy()
        out.attrs["level"] = level
        return out

    def latent_draws(self) -> np.ndarray:
        """Draws of every run's true log10 compute: (samples, n_runs)."""
        post = self.posterior
        if "e" in post:
            sigma = measurement_sigma_draws(post, self.runs["sigma_log10"], self._group_index())
            return self.runs["log10_compute"].to_numpy()[None, :] + sigma * stack_draws(post, "e")
        years = self.runs["year"].to_numpy()
        mu = self.trend(years)
        scatter = scatter_draws(post, years)
        sigma = measurement_sigma_draws(post, self.runs["sigma_log10"], self._group_index())
        rng = np.random.default_rng([self.seed, 1])
        return latent_posterior(self.runs["log10_compute"].to_numpy(), mu, scatter, sigma, rng)

    def _group_index(self) -> np.ndarray:
        return self.runs["error_group"].map({g: i for i, g in enumerate(ERROR_GROUPS)}).to_numpy()

    def pointwise_log_likelihood(self) -> np.ndarray:
        """Marginal log-likelihood of each run for each draw: (chain, draw, run).

        Only for Normal scatter, where the true value integrates out in closed form.
        """
        if self.spec.model.scatter != "normal":
            raise FlopcastError(
                "pointwise log-likelihood (for LOO) needs Normal scatter; this fit uses "
                f"{self.spec.model.scatter!r}"
            )
        years = self.runs["year"].to_numpy()
        mu = self.trend(years)
        total = np.sqrt(
            scatter_draws(self.posterior, years) ** 2
            + measurement_sigma_draws(self.posterior, self.runs["sigma_log10"], self._group_index())
            ** 2
        )
        y = self.runs["log10_compute"].to_numpy()[None, :]
        ll = -0.5 * ((y - mu) / total) ** 2 - np.log(total) - 0.5 * np.log(2 * np.pi)
        c, d = self.posterior.sizes["chain"], self.posterior.sizes["draw"]
        return ll.reshape(c, d, -1)

    def to_json_dict(self) -> dict[str, Any]:
        """The documented scripting contract (see README, "summary JSON")."""
        from flopcast._version import __version__

        summary = self.summary()
        k = self.spec.model.breaks
        breaks = []
        for i in range(k):
            if self.spec.model.fixed_breaks is not None:
                v = float(self.spec.model.fixed_breaks[i])
                breaks.append({"median": v, "ci90": [v, v], "fixed": True})
            else:
                r = summary.loc[f"break_{i + 1}"]
                breaks.append(
                    {"median": r["median"], "ci90": [r["ci_low"], r["ci_high"]], "fixed": False}
                )
        edges = [float(self.runs["year"].min())] + [b["median"] for b in breaks]
        edges += [float(self.runs["year"].max())]
        eras = []
        for i in range(k + 1):
            d = summary.loc[f"doubling_months_era_{i + 1}"]
            g = summary.loc[f"growth_per_year_era_{i + 1}"]
            eras.append(
                {
                    "start": edges[i],
                    "end": edges[i + 1],
                    "doubling_months": {"median": d["median"], "ci90": [d["ci_low"], d["ci_high"]]},
                    "growth_per_year": {"median": g["median"], "ci90": [g["ci_low"], g["ci_high"]]},
                }
            )
        diag = self.diagnostics
        return jsonable(
            {
                "flopcast_version": __version__,
                "spec": self.spec.to_dict(),
                "data": {
                    "source": self.provenance.get("data_source"),
                    "n_runs": len(self.runs),
                    "n_excluded": int(self.provenance.get("n_excluded", 0)),
                    "n_not_selected": int(
                        sum(s.get("n_removed", 0) for s in self.provenance.get("selection_log", []))
                    ),
                    "sha256": self.data_sha256,
                },
                "breaks": breaks,
                "eras": eras,
                "diagnostics": {
                    "max_rhat": diag.max_rhat,
                    "min_ess_bulk": diag.min_ess_bulk,
                    "min_ess_tail": diag.min_ess_tail,
                    "divergences": diag.divergences,
                    "chains_agree": diag.chains_agree,
                    "ok": diag.ok,
                    "problems": diag.problems,
                },
                "seed": self.seed,
                "versions": self.provenance.get("versions", {}),
            }
        )

    # -- persistence --------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the fit to one NetCDF file (posterior, data, spec, provenance).

        Returns the path written. Reload with :func:`load_fit`.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        idata = self.idata.copy()
        attrs = {
            "flopcast_fit_format": FIT_FORMAT,
            "spec_json": self.spec.to_json(),
            "provenance_json": json.dumps(jsonable(self.provenance), sort_keys=True),
        }
        idata.posterior.attrs.update(attrs)
        idata.to_netcdf(str(path), engine="h5netcdf")
        return path

    # -- display ------------------------------------------------------------------------
    def __repr__(self) -> str:
        header = (
            f"flopcast Fit: spec {self.spec.name!r}, {len(self.runs)} runs, "
            f"{self.diagnostics.n_draws} draws (seed {self.seed})"
        )
        return summary_text(header, self.summary(), self.diagnostics)

    def _repr_html_(self) -> str:
        title = (
            f"<b>flopcast Fit</b>: spec <code>{html.escape(self.spec.name)}</code>, "
            f"{len(self.runs)} runs"
        )
        return summary_html(title, self.summary(), self.diagnostics)


_RUN_COLUMNS_SAVED = (
    "system",
    "date",
    "compute_flop",
    "method",
    "confidence",
    "domain",
    "organization",
    "error_group",
    "error_factor",
    "sigma_log10",
    "sigma_source",
    "year",
    "log10_compute",
)


def _runs_to_dataset(runs: pd.DataFrame) -> xr.Dataset:
    data = {}
    for column in _RUN_COLUMNS_SAVED:
        if column not in runs.columns:
            continue
        values = runs[column]
        if column == "date":
            values = pd.to_datetime(values).dt.strftime("%Y-%m-%d")
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            values = values.fillna("").astype(str).to_numpy(dtype=object)
        else:
            values = values.to_numpy(dtype=float)
        data[column] = ("run", values)
    return xr.Dataset(data, coords={"run": np.arange(len(runs))})


def _dataset_to_runs(ds: xr.Dataset) -> pd.DataFrame:
    runs = pd.DataFrame({name: ds[name].values for name in ds.data_vars})
    runs["date"] = pd.to_datetime(runs["date"])
    for column in runs.columns:
        if runs[column].dtype == object:
            runs[column] = runs[column].astype(str)
    return runs


def load_fit(path: str | Path) -> Fit:
    """Load a fit saved with :meth:`Fit.save`.

    Reads NetCDF arrays and JSON attributes only; nothing in the file is executed. Raises
    :class:`~flopcast.exceptions.FitLoadError` for files that are not flopcast fits.

    Examples
    --------
    >>> fit = load_fit("reports/default/fit.nc")  # doctest: +SKIP
    """
    path = Path(path)
    if not path.is_file():
        raise FitLoadError(f"{path}: no such file")
    try:
        idata = az.from_netcdf(str(path), engine="h5netcdf")
    except Exception as exc:  # h5py/xarray raise many types for a non-NetCDF file
        raise FitLoadError(f"{path}: not a NetCDF file flopcast can read ({exc})") from None
    attrs = getattr(idata.get("posterior"), "attrs", {}) if "posterior" in idata.groups() else {}
    if "flopcast_fit_format" not in attrs:
        raise FitLoadError(f"{path}: not a flopcast fit (no flopcast_fit_format attribute)")
    if int(attrs["flopcast_fit_format"]) > FIT_FORMAT:
        raise FitLoadError(
            f"{path}: fit format {attrs['flopcast_fit_format']} is newer than this flopcast "
            f"reads ({FIT_FORMAT}); upgrade flopcast"
        )
    try:
        spec = ModelSpec.from_dict(json.loads(attrs["spec_json"]), origin=f"{path} (saved spec)")
        provenance_info = json.loads(attrs["provenance_json"])
    except (KeyError, json.JSONDecodeError) as exc:
        raise FitLoadError(f"{path}: damaged flopcast fit metadata ({exc})") from None
    runs = _dataset_to_runs(idata.constant_data)
    return Fit(spec, runs, idata, provenance_info)


# --------------------------------------------------------------------------------------
# The entry point


def fit(
    runs: Any = None,
    spec: ModelSpec | str | Path | None = None,
    *,
    seed: int | None = None,
    progress: bool | None = None,
) -> Fit:
    """Fit a changepoint model to training runs.

    Parameters
    ----------
    runs
        A :class:`flopcast.runs.RunTable` (from ``load_runs``/``read_runs``), a canonical
        DataFrame, or ``None`` for the spec's data source (the bundled data by default).
    spec
        A :class:`~flopcast.spec.ModelSpec`, a spec file path, a shipped spec name, or
        ``None`` for ``two_eras``.
    seed
        Sampler seed; defaults to the spec's ``sampler.seed``. The same seed, data and spec
        give the same draws.
    progress
        Show the sampler's progress bar; by default only when stderr is a terminal.

    Returns
    -------
    Fit

    Examples
    --------
    >>> import flopcast
    >>> fit = flopcast.fit(spec="two_eras", seed=1)        # doctest: +SKIP
    >>> fit.summary().loc["doubling_months_era_2"]         # doctest: +SKIP
    """
    if spec is None:
        spec = load_spec("two_eras")
    elif not isinstance(spec, ModelSpec):
        spec = load_spec(spec)
    seed = spec.sampler.seed if seed is None else int(seed)
    if progress is None:
        progress = sys.stderr.isatty()
    table, origin = resolve_runs(runs, spec)
    prepared = prepare_runs(table, spec)
    log = list(prepared.selection_log)
    if spec.frontier.rule == "residual":
        first = _fit_prepared(
            spec.with_overrides({"frontier.rule": "none"}),
            prepared,
            seed,
            progress,
            origin,
            log,
        )
        med = np.median(first.trend(prepared.runs["year"].to_numpy()), axis=0)
        keep = residual_frontier(
            prepared.runs["log10_compute"].to_numpy() - med, spec.frontier.threshold_dex
        )
        kept = table.loc[table["system"].isin(prepared.runs.loc[keep, "system"])]
        log.append(
            {
                "step": f"frontier: more than {spec.frontier.threshold_dex} dex above the "
                "median trend of a first fit",
                "n_removed": int((~keep).sum()),
                "n_runs": int(keep.sum()),
            }
        )
        no_filter = spec.with_overrides({"data.select": []})
        prepared = prepare_runs(kept, no_filter)
    return _fit_prepared(spec, prepared, seed, progress, origin, log)


def _reason_key(excluded: pd.DataFrame) -> str:
    return "check" if "check" in excluded.columns else "reason"


def _fit_prepared(
    spec: ModelSpec,
    prepared: PreparedRuns,
    seed: int,
    progress: bool,
    origin: _DataOrigin,
    log: list[dict[str, Any]],
) -> Fit:
    raw, timings = _sample(spec, prepared.inputs, seed, progress)
    posterior = _posterior_dataset(raw, spec, prepared.inputs)
    sample_stats = raw.sample_stats[["diverging"]] if "diverging" in raw.sample_stats else None
    groups: dict[str, xr.Dataset] = {
        "posterior": posterior,
        "observed_data": xr.Dataset({"y": ("run", prepared.inputs.y)}),
    }
    if sample_stats is not None:
        sample_stats = sample_stats.assign_coords(
            chain=np.arange(sample_stats.sizes["chain"]), draw=np.arange(sample_stats.sizes["draw"])
        )
        groups["sample_stats"] = sample_stats
    idata = az.InferenceData(**groups)
    idata.add_groups(
        {"constant_data": _runs_to_dataset(prepared.runs)}, warn_on_custom_groups=False
    )
    info = {
        "seed": seed,
        "data_sha256": origin.sha256,
        "data_source": origin.source,
        "n_excluded": len(origin.excluded),
        # Grouped by kind of check (reasons themselves name rows and values).
        "exclusion_counts": (
            origin.excluded[_reason_key(origin.excluded)].value_counts().to_dict()
            if len(origin.excluded)
            else {}
        ),
        "selection_log": log,
        "versions": provenance.versions(),
        "timings_s": timings,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    result = Fit(spec, prepared.runs, idata, info)
    if spec.model.scatter == "normal":
        ll = result.pointwise_log_likelihood()
        idata.add_groups(
            {"log_likelihood": xr.Dataset({"y": (("chain", "draw", "run"), ll)})},
            warn_on_custom_groups=False,
        )
    return result
