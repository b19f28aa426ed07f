"""Sampling a spec's model: :func:`fit`, the compiled-model cache and the posterior layout.

This is the only part of :mod:`flopcast.fitting` that needs PyMC (through
:mod:`flopcast.model`) and nutpie. Compiled models are kept by structure in
:data:`_COMPILED`, so another data set or prior setting of the same structure samples
without compiling again; :func:`clear_model_cache` (or :func:`flopcast.clear_caches`)
forgets them. The draws come back as a :class:`~flopcast.fitting.result.Fit` with break
dates in decimal years, the derived doubling times and growth factors, and the sampler
diagnostics (computed here, saved with the fit).

Compiled code stays out of the system temp folder: importing this module points PyTensor's
compile folder and numba's cache at the user cache folder (``cache_dir("pytensor")`` and
``cache_dir("numba")``, unless ``PYTENSOR_FLAGS`` names a compile folder or
``NUMBA_CACHE_DIR`` is set), and the Python source PyTensor writes for each generated
function goes to a folder of this process (:func:`generated_sources_outside_tmp`),
removed when the process ends.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flopcast.userdirs import cache_dir


def _configure_compile_caches() -> None:
    """Point PyTensor's and numba's on-disk caches into flopcast's cache folder.

    Must run before PyTensor and numba are imported (they read these settings once).
    """
    flags = os.environ.get("PYTENSOR_FLAGS", "")
    if "pytensor" not in sys.modules and "compiledir" not in flags:
        base = f"base_compiledir={cache_dir('pytensor')}"
        os.environ["PYTENSOR_FLAGS"] = f"{flags},{base}" if flags else base
    if "numba" not in sys.modules and not os.environ.get("NUMBA_CACHE_DIR"):
        os.environ["NUMBA_CACHE_DIR"] = str(cache_dir("numba"))


_configure_compile_caches()

import arviz as az  # noqa: E402  (after the cache folders are set)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import xarray as xr  # noqa: E402

from flopcast import provenance  # noqa: E402
from flopcast.caches import CacheDict  # noqa: E402
from flopcast.fitting.diagnostics import compute_diagnostics  # noqa: E402
from flopcast.fitting.inputs import (  # noqa: E402
    PreparedRuns,
    _DataOrigin,
    prepare_runs,
    resolve_runs,
)
from flopcast.fitting.result import Fit, _runs_to_dataset  # noqa: E402
from flopcast.model import ERROR_GROUPS, ModelInputs, build_model, structure_key  # noqa: E402
from flopcast.runs.selection import residual_frontier  # noqa: E402
from flopcast.spec import T_REF, ModelSpec, load_spec  # noqa: E402
from flopcast.units import doubling_months, growth_per_year  # noqa: E402

#: This process's folder for PyTensor's generated sources (see below), once made.
_SOURCES: list[Path] = []


def _remove_sources() -> None:
    for folder in _SOURCES:
        shutil.rmtree(folder, ignore_errors=True)


def _prune_sources(parent: Path) -> None:
    """Remove source folders left by processes that no longer run (killed, not exited)."""
    for folder in parent.glob("pid-*"):
        try:
            os.kill(int(folder.name[4:]), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except (ValueError, OSError):
            continue


@contextlib.contextmanager
def generated_sources_outside_tmp() -> Iterator[Path]:
    """Within the block, temporary files go to this process's folder in the cache folder.

    PyTensor writes the Python source of every function it generates to a new file in the
    system temp folder and never removes it (about twenty per compile). The files must
    exist while this process may compile the functions, so they go to
    ``cache_dir("pytensor")/generated/pid-<pid>``, removed when the process exits (and by
    a later process if this one is killed). Other threads' temporary files in the block go
    there too.
    """
    if not _SOURCES:
        parent = cache_dir("pytensor") / "generated"
        _prune_sources(parent)
        folder = parent / f"pid-{os.getpid()}"
        folder.mkdir(parents=True, exist_ok=True)
        _SOURCES.append(folder)
        # multiprocessing's exit hook runs in worker processes too (atexit does not)
        from multiprocessing import util

        util.Finalize(None, _remove_sources, exitpriority=0)
    folder = _SOURCES[0]
    folder.mkdir(parents=True, exist_ok=True)
    previous = tempfile.tempdir
    tempfile.tempdir = str(folder)
    try:
        yield folder
    finally:
        tempfile.tempdir = previous


#: Compiled models by (backend, structure), reused across datasets and priors.
_COMPILED: dict[tuple, Any] = CacheDict("fitting.compiled_models")

#: What nutpie compiles the log density with: ``"numba"`` (the default) or ``"jax"``
#: (needs ``jax``; benchmarks/bench_backends.py measures it). JAX compiles the default
#: model about four times faster but needs five to nine times longer per 1000 ESS (nutpie calls
#: back into Python for every gradient), so it is not offered in the spec; see
#: docs/development.md, "Sampler backends".
NUTPIE_BACKEND: str = "numba"


def _compile_nutpie(model: Any, backend: str) -> Any:
    """``nutpie.compile_pymc_model`` with the settings each backend needs here."""
    import nutpie

    if backend == "numba":
        return nutpie.compile_pymc_model(model)
    import jax

    jax.config.update("jax_enable_x64", True)  # the model is float64
    # freeze_model=False keeps pm.Data inputs replaceable (with_data), as with numba;
    # gradients from PyTensor: JAX's own gradient of the break gaps is NaN at the start.
    return nutpie.compile_pymc_model(
        model, backend="jax", gradient_backend="pytensor", freeze_model=False
    )


def _data_names(compiled: Any) -> set[str]:
    """Names of the inputs a compiled nutpie model can replace (both backends)."""
    shared = getattr(compiled, "shared_data", None)
    return set(shared if shared is not None else compiled._shared_data)


def clear_model_cache() -> None:
    """Forget compiled models (the next fit of each structure compiles again)."""
    _COMPILED.clear()


def _sample(spec: ModelSpec, inputs: ModelInputs, seed: int, progress: bool) -> tuple[Any, dict]:
    """Sample the model; return the raw InferenceData and timings (seconds)."""
    structure = spec.model
    sampler = spec.sampler
    backend = NUTPIE_BACKEND if sampler.backend == "nutpie" else sampler.backend
    key: tuple[Any, ...] = (backend, structure_key(structure, inputs))
    if structure.resolved_form == "latent":
        key += (len(inputs.y),)  # the latent vector's length is part of the compiled graph
    timings: dict[str, float] = {}
    start = time.perf_counter()
    cached = key in _COMPILED
    if sampler.backend == "nutpie":
        import nutpie

        if not cached:
            model = build_model(structure, inputs)
            _COMPILED[key] = (_compile_nutpie(model, backend), model)
        compiled, _ = _COMPILED[key]
        # nutpie keeps only the inputs the log-density uses (e.g. no jump_sd without jumps).
        names = _data_names(compiled)
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
                low_rank_modified_mass_matrix=sampler.resolved_low_rank(structure.resolved_form),
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
        if spec.model.fixed_breaks is not None and inputs.fixed_breaks is not None:
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
    if spec.model.scatter_trend:  # the data's first and last years bound the scatter's trend
        out["scatter_trend"] = _get("scatter_trend", None)
        span = np.broadcast_to(
            inputs.t[[inputs.t.argmin(), inputs.t.argmax()]] + T_REF, (n_chain, n_draw, 2)
        )
        out["scatter_years"] = xr.DataArray(span, dims=("chain", "draw", "scatter_span"))
    if spec.model.scatter == "student_t":
        out["nu"] = _get("nu", None)
    if spec.model.error_scale == "prior":
        out["error_scale"] = _get("error_scale", "error_group", len(ERROR_GROUPS))
    if spec.model.resolved_form == "latent":
        out["e"] = _get("e", "run", len(inputs.y))
    out["doubling_months"] = xr.apply_ufunc(doubling_months, out["slopes"])
    out["growth_per_year"] = xr.apply_ufunc(growth_per_year, out["slopes"])
    ds = xr.Dataset(out)
    coords: dict[str, Any] = {
        "chain": np.arange(n_chain),
        "draw": np.arange(n_draw),
        "era": np.arange(k + 1),
    }
    if k:
        coords["break"] = np.arange(k)
    if "error_scale" in ds:
        coords["error_group"] = list(ERROR_GROUPS)
    ds = ds.assign_coords(coords)
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
    with generated_sources_outside_tmp():
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
    idata = az.InferenceData(**groups)  # type: ignore[arg-type]  # stub: **kwargs
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
    start = time.perf_counter()
    diagnostics = compute_diagnostics(
        posterior, xr.Dataset() if sample_stats is None else sample_stats
    )
    info["timings_s"]["diagnostics"] = time.perf_counter() - start
    result = Fit(spec, prepared.runs, idata, info, diagnostics)
    if spec.model.scatter == "normal":
        ll = result.pointwise_log_likelihood()
        idata.add_groups(
            {"log_likelihood": xr.Dataset({"y": (("chain", "draw", "run"), ll)})},
            warn_on_custom_groups=False,
        )
    return result
