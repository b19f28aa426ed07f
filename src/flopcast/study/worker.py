"""One study job, in a worker process: fit a spec, forecast each variant sharing it, make rows.

:func:`_run_job` is what a worker runs: it takes a plain-dict task (picklable, so it can go
to another process or a Dask worker), fits the spec once, forecasts every variant that shares
that fit and returns one row (a dict of :data:`~flopcast.study.columns.CORE_COLUMNS` values)
per variant. It never raises: a failed fit marks every row of the job, a failed forecast only
its own row. Per-process caches keep the data sources and price-performance fits (and
:mod:`flopcast.fitting` keeps compiled models) for the worker's next job.
"""

from __future__ import annotations

import os
import re
import socket
import time
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from flopcast.caches import CacheDict
from flopcast.exceptions import FlopcastError
from flopcast.fitting.sensitivity import _psens_text
from flopcast.intervals import central_interval, interval_columns
from flopcast.spec import ForecastSpec, LimitsSpec, ModelSpec
from flopcast.study.columns import LEVEL, STATUS_DIAGNOSTICS, STATUS_OK, interval_names
from flopcast.study.spec import StudyOptions

if TYPE_CHECKING:
    from flopcast.fitting import Fit

#: The date of the "2030" compute and cost columns: mid-2030 (decimal year).
HEADLINE_YEAR: float = 2030.5
#: Thresholds whose crossing dates every row reports (added to the spec's thresholds).
THRESHOLD_FLOP: float = 1e27
THRESHOLD_USD: float = 1e9
#: The count column: runs above this many FLOP published in this year.
COUNT_THRESHOLD_FLOP: float = 1e26
COUNT_YEAR: int = 2028

#: Third-party notices with nothing to say about a variant's results.
_NOISE = (
    "ArviZ is undergoing a major refactor",
    "PyTensor could not link to a BLAS",
    "The inplace keyword in DataFrame.sort_values",
)

#: Per-process caches of the worker: data sources and price-performance fits.
_SOURCES: dict[str, Any] = CacheDict("study.sources")
_PRICE_PERFORMANCE: dict[tuple[str, int], Any] = CacheDict("study.price_performance")
_IMPORTED: list[float] = []


def _worker_init() -> None:
    """Start-up of a worker process: silence third-party notices unrelated to results."""
    for message in _NOISE:
        warnings.filterwarnings("ignore", message=f".*{re.escape(message)}.*")


def _put(row: dict[str, Any], name: str, draws: np.ndarray) -> None:
    """``row[name]``, and its interval columns, from the draws of one quantity."""
    low, high = interval_names(name)
    row[name], row[low], row[high] = central_interval(draws, LEVEL)


def _fit_columns(result: Fit) -> dict[str, Any]:
    """Break dates, doubling times per era and diagnostics of one fit."""
    spec = result.spec
    post = result.posterior
    k = spec.model.breaks
    n_samples = int(post.sizes["chain"] * post.sizes["draw"])
    row: dict[str, Any] = {
        "n_runs": len(result.runs),
        "breaks_fixed": spec.model.fixed_breaks is not None,
    }
    if k:
        breaks = np.asarray(post["breaks"].values, dtype=float).reshape(n_samples, k)
        for i in range(k):
            _put(row, f"break_{i + 1}", breaks[:, i])
    doubling = np.asarray(post["doubling_months"].values, dtype=float).reshape(n_samples, k + 1)
    for i in range(k + 1):
        _put(row, f"doubling_era_{i + 1}", doubling[:, i])
    _put(row, "doubling_latest", doubling[:, -1])
    diag = result.diagnostics
    row.update(
        {
            "diagnostics_ok": bool(diag.ok),
            "max_rhat": float(diag.max_rhat),
            "min_ess": float(min(diag.min_ess_bulk, diag.min_ess_tail)),
            "min_ess_bulk": float(diag.min_ess_bulk),
            "min_ess_tail": float(diag.min_ess_tail),
            "divergences": int(diag.divergences),
            "diagnostic_problems": "; ".join(diag.problems),
        }
    )
    timings = result.provenance.get("timings_s", {})
    row["compile_s"] = float(timings.get("compile", np.nan))
    row["sample_s"] = float(timings.get("sample", np.nan))
    row["compiled"] = not bool(timings.get("compiled_model_reused", 0.0))
    return row


def _psens_cell(result: Fit) -> str:
    """The ``psens`` cell of a row: power-scaling sensitivity in a few words."""
    try:
        return _psens_text(result)
    except Exception as exc:  # a diagnostic must never fail the variant
        return f"n/a ({_error_text(exc)})"[:160]


def _forecast_columns(fc: Any) -> dict[str, Any]:
    """Mid-2030 frontier compute and cost, the 1e27 FLOP and $1B crossing dates, and the
    runs above 1e26 FLOP published in 2028."""
    row: dict[str, Any] = {"horizon": float(fc.horizon), "regime_changes": fc.regime.enabled}
    source_low, source_high = interval_columns(LEVEL)
    table = fc.table()
    for quantity, name in (
        ("frontier_compute_flop", "compute_2030"),
        ("frontier_cost_usd", "cost_2030"),
    ):
        part = table[table["quantity"] == quantity]
        if len(part):
            r = part.iloc[0]
            low, high = interval_names(name)
            row[name], row[low], row[high] = (
                float(r["median"]),
                float(r[source_low]),
                float(r[source_high]),
            )
    thresholds = fc.threshold_table()
    for quantity, value, name in (
        ("compute_flop", THRESHOLD_FLOP, "1e27_flop"),
        ("cost_usd", THRESHOLD_USD, "1b_usd"),
    ):
        hit = thresholds[
            (thresholds["quantity"] == quantity) & np.isclose(thresholds["value"], value)
        ]
        if len(hit):
            r = hit.iloc[0]
            low, high = interval_names(f"date_{name}")
            row[f"date_{name}"] = float(r["median_date"])
            row[low] = float(r[source_low])
            row[high] = float(r[source_high])
            row[f"p_{name}_by_horizon"] = float(r["prob_by_horizon"])
    counts = fc.count_table()
    hit = (
        counts[
            np.isclose(counts["threshold_flop"], COUNT_THRESHOLD_FLOP)
            & (counts["year"] == COUNT_YEAR)
        ]
        if len(counts)
        else counts
    )
    if len(hit):
        r = hit.iloc[0]
        low, high = interval_names("runs_1e26_2028")
        row["runs_1e26_2028"], row[low], row[high] = (
            float(r["median"]),
            float(r[source_low]),
            float(r[source_high]),
        )
    row["limits"] = bool(fc.limits.enabled) if fc.limits is not None else False
    return row


def _load_source(source: str) -> Any:
    if source not in _SOURCES:
        from flopcast import runs as flopcast_io

        _SOURCES[source] = (
            flopcast_io.load_runs() if source == "bundled" else flopcast_io.read_runs(source)
        )
    return _SOURCES[source]


def _price_performance_fit(kind: str, seed: int) -> tuple[Any, float]:
    """The worker's price-performance fit of ``kind`` (fitted once per process)."""
    key = (kind, int(seed))
    if key in _PRICE_PERFORMANCE:
        return _PRICE_PERFORMANCE[key], 0.0
    from flopcast.cost import fit_price_performance

    start = time.perf_counter()
    _PRICE_PERFORMANCE[key] = fit_price_performance(kind, seed=int(seed))
    return _PRICE_PERFORMANCE[key], time.perf_counter() - start


def _imports() -> float:
    """Import the sampling stack once per process; return the seconds it took (0 after)."""
    if _IMPORTED:
        return 0.0
    start = time.perf_counter()
    import flopcast.fitting.sampling
    import flopcast.forecasting  # noqa: F401  (PyMC, nutpie: seconds)

    _IMPORTED.append(time.perf_counter() - start)
    return _IMPORTED[0]


def _forecast_row(result: Fit, entry: dict[str, Any], seed: int) -> dict[str, Any]:
    """Forecast one variant from a fit: its forecast section and study options."""
    from flopcast.cost import UtilizationPrior
    from flopcast.forecasting import forecast

    options = StudyOptions.model_validate(entry["options"])
    spec_forecast = ForecastSpec.model_validate(entry["forecast"])
    row: dict[str, Any] = {"price_performance_s": 0.0}
    start = time.perf_counter()
    cost: Any = False
    if options.price_performance != "none":
        cost, row["price_performance_s"] = _price_performance_fit(options.price_performance, seed)
    prior = options.utilization_prior()
    fc = forecast(
        result,
        until=spec_forecast.horizon,
        dates=[HEADLINE_YEAR],
        regime_changes=options.regime_changes,
        cost=cost,
        seed=seed,
        utilization=UtilizationPrior(*prior) if prior else None,
        thresholds_flop=sorted({*spec_forecast.thresholds_flop, THRESHOLD_FLOP}),
        thresholds_usd=sorted({*spec_forecast.thresholds_usd, THRESHOLD_USD}),
        limits=LimitsSpec.model_validate(entry["limits"]) if "limits" in entry else None,
        count_thresholds_flop=sorted({*result.spec.counts.thresholds_flop, COUNT_THRESHOLD_FLOP}),
    )
    row.update(_forecast_columns(fc))
    row["forecast_s"] = time.perf_counter() - start - row["price_performance_s"]
    return row


def _error_text(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    if not isinstance(exc, FlopcastError):
        text = f"{type(exc).__name__}: {text}"
    return text[:500]


def _warning_text(caught: list[warnings.WarningMessage]) -> str:
    messages: list[str] = []
    for w in caught:
        text = " ".join(str(w.message).split())
        if any(n in text for n in _NOISE) or issubclass(
            w.category, DeprecationWarning | FutureWarning | PendingDeprecationWarning
        ):
            continue
        text = f"{w.category.__name__}: {text}"[:300]
        if text not in messages:
            messages.append(text)
    return " | ".join(messages)


def _run_job(task: dict[str, Any]) -> list[dict[str, Any]]:
    """Fit one spec and forecast every variant that shares it; one row per variant.

    Never raises: a failed fit marks every row of the job, a failed forecast its own row.
    """
    rows: list[dict[str, Any]] = []
    worker = f"{socket.gethostname()}:{os.getpid()}"
    first = task["entries"][0]["label"]
    result = None
    fit_error = ""
    fit_row: dict[str, Any] = {}
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit_row["import_s"] = _imports()
            from flopcast.fitting import fit

            spec = ModelSpec.from_dict(task["spec"], origin=f"variant {first!r}")
            data = task["data"] if task["data"] is not None else _load_source(spec.data.source)
            seed = spec.sampler.seed if task["seed"] is None else int(task["seed"])
            fit_start = time.perf_counter()
            result = fit(data, spec, seed=seed, progress=False)
            fit_row["fit_s"] = time.perf_counter() - fit_start
            fit_row.update(_fit_columns(result))
            fit_row["psens"] = _psens_cell(result)
        except Exception as exc:  # one variant's failure must not stop the study
            fit_error = f"error: {_error_text(exc)}"
    fit_warnings = _warning_text(caught)
    fit_wall = time.perf_counter() - start
    for i, entry in enumerate(task["entries"]):
        row_start = time.perf_counter()
        row: dict[str, Any] = {
            "label": entry["label"],
            "question": entry["question"],
            "structure": task["structure"],
            "worker": worker,
            "fit_shared_with": "" if i == 0 else first,
        }
        row.update(
            fit_row
            if i == 0
            else {k: v for k, v in fit_row.items() if not k.endswith("_s") and k != "compiled"}
        )
        if i > 0:
            row["compiled"] = False
        if fit_error or result is None:
            row["status"] = fit_error
            row["warnings"] = fit_warnings
        else:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    row.update(_forecast_row(result, entry, seed))
                    row["status"] = STATUS_OK if row["diagnostics_ok"] else STATUS_DIAGNOSTICS
                except Exception as exc:  # a failed forecast marks only its own row
                    row["status"] = f"error: {_error_text(exc)}"
            row["warnings"] = " | ".join(
                t for t in ((fit_warnings if i == 0 else ""), _warning_text(caught)) if t
            )
        row["wall_s"] = time.perf_counter() - row_start + (fit_wall if i == 0 else 0.0)
        rows.append(row)
    return rows
