"""Sampling a spec's model: :func:`fit`, the compiled-model cache and the posterior layout.

This is the only part of :mod:`flopcast.fitting` that needs PyMC (through
:mod:`flopcast.model`) and nutpie. Compiled models are kept by structure in
:data:`_COMPILED`, so another data set or prior setting of the same structure samples
without compiling again; :func:`clear_model_cache` (or :func:`flopcast.clear_caches`)
forgets them. The draws come back as a :class:`~flopcast.fitting.result.Fit` with break
dates in decimal years and the derived doubling times and growth factors.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from flopcast import provenance
from flopcast.caches import CacheDict
from flopcast.fitting.inputs import PreparedRuns, _DataOrigin, prepare_runs, resolve_runs
from flopcast.fitting.result import Fit, _runs_to_dataset
from flopcast.model import ERROR_GROUPS, ModelInputs, build_model, structure_key
from flopcast.runs.selection import residual_frontier
from flopcast.spec import T_REF, ModelSpec, load_spec
from flopcast.units import doubling_months, growth_per_year

#: Compiled models by (backend, structure), reused across datasets and priors.
_COMPILED: dict[tuple, Any] = CacheDict("fitting.compiled_models")


def clear_model_cache() -> None:
    """Forget compiled models (the next fit of each structure compiles again)."""
    _COMPILED.clear()


def _sample(spec: ModelSpec, inputs: ModelInputs, seed: int, progress: bool) -> tuple[Any, dict]:
    """Sample the model; return the raw InferenceData and timings (seconds)."""
    structure = spec.model
    sampler = spec.sampler
    key = (sampler.backend, structure_key(structure, inputs))
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
        "data_download": origin.download,
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
