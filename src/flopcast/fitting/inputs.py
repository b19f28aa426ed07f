"""Turning a run table and a spec into the model's inputs.

:func:`resolve_runs` accepts whatever the caller passed as runs (a RunTable, a DataFrame or
None for the spec's data source) and notes where they came from; :func:`prepare_runs`
applies the spec's data filters and frontier rule, gives every run its measurement-error
group and computes the arrays and prior hyperparameters the model takes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from flopcast.dates import decimal_year
from flopcast.exceptions import FlopcastError, SpecError
from flopcast.model import ERROR_GROUPS, ModelInputs, default_hyper
from flopcast.runs.error_groups import assign_error_groups
from flopcast.runs.selection import apply_top_n, check_breaks_in_data, select_runs
from flopcast.spec import T_REF, ModelSpec


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
    #: The download record (URL, time, hash) of data from ``flopcast data update``.
    download: dict[str, Any] = field(default_factory=dict)


def resolve_runs(runs: Any, spec: ModelSpec) -> tuple[pd.DataFrame, _DataOrigin]:
    """Accept a RunTable, a canonical DataFrame or None (the spec's data source)."""
    from flopcast import runs as io

    if runs is None:
        if spec.data.source == "bundled":
            table = io.load_runs()
            return _with_censored(table, spec), _DataOrigin("bundled", table.sha256, table.excluded)
        if spec.data.source == "latest" or spec.data.source.startswith("latest:"):
            runs = io.load_runs(spec.data.source.partition(":")[2] or "latest")
        else:
            runs = io.read_runs(spec.data.source)
    if hasattr(runs, "runs") and hasattr(runs, "excluded"):
        origin = _DataOrigin(
            runs.source, runs.sha256, runs.excluded, dict(getattr(runs, "origin", {}) or {})
        )
        return _with_censored(runs, spec), origin
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


#: Column that marks an undisclosed run entered as censored: its compute is at least this.
CENSORED_COLUMN = "censored_lower_flop"


def _with_censored(table: Any, spec: ModelSpec) -> pd.DataFrame:
    """The table's runs, plus (with ``data.undisclosed = "censored"``) its undisclosed runs
    that have a date and a lower bound, with ``compute_flop`` NaN and the bound in
    :data:`CENSORED_COLUMN`.

    The bound is the run's own lower-bound column when given, else ``data.undisclosed_floor_flop``,
    else the floor of the downloaded dataset (1e23 FLOP for Epoch's large-scale list).
    """
    runs = table.runs
    if spec.data.undisclosed != "censored":
        return runs
    undisclosed = getattr(table, "undisclosed", None)
    if undisclosed is None or undisclosed.empty:
        return runs
    floor = spec.data.undisclosed_floor_flop
    if floor is None:
        floor = (getattr(table, "origin", {}) or {}).get("floor_flop")
    bound = undisclosed["compute_lower"].astype(float)
    if floor is not None:
        bound = bound.fillna(float(floor))
    usable = undisclosed["date"].notna() & bound.notna()
    censored = pd.DataFrame(
        {
            "system": undisclosed.loc[usable, "system"],
            "date": undisclosed.loc[usable, "date"],
            "compute_flop": np.nan,
            "method": "other",
            "confidence": "unknown",
            "domain": undisclosed.loc[usable, "domain"],
            "organization": undisclosed.loc[usable, "organization"],
            CENSORED_COLUMN: bound[usable],
        }
    )
    return pd.concat([runs.assign(**{CENSORED_COLUMN: np.nan}), censored], ignore_index=True)


def _split_censored(runs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Disclosed runs, and the censored ones (see :func:`_with_censored`)."""
    if CENSORED_COLUMN not in runs.columns:
        return runs, runs.iloc[:0]
    mask = runs[CENSORED_COLUMN].notna().to_numpy()
    return runs.loc[~mask].drop(columns=[CENSORED_COLUMN]), runs.loc[mask]


def _frontier_step(spec: ModelSpec, n_removed: int, n_runs: int) -> dict[str, Any]:
    among = "all runs" if spec.frontier.rank_among == "all" else "the selected runs"
    return {
        "step": f"frontier: top {spec.frontier.n} by compute when published, among {among}",
        "n_removed": n_removed,
        "n_runs": n_runs,
    }


def prepare_runs(runs: pd.DataFrame, spec: ModelSpec) -> PreparedRuns:
    """Select the runs a spec asks for and compute the model's inputs.

    The residual frontier rule needs a first fit and is applied by :func:`fit`. Undisclosed
    runs entered as censored (``data.undisclosed = "censored"``, rows with
    :data:`CENSORED_COLUMN`) are kept when published on or after the first selected run and
    enter the model as lower bounds; they are not among ``PreparedRuns.runs``.
    """
    runs, censored = _split_censored(runs)
    log: list[dict[str, Any]] = [{"step": "input", "n_runs": len(runs)}]
    runs = runs.copy()
    for column, default in (("method", "other"), ("confidence", "unknown")):
        if column not in runs.columns:
            runs[column] = default
    rank_first = spec.frontier.rule == "top_n" and spec.frontier.rank_among == "all"
    if rank_first:
        runs, n_out = apply_top_n(runs, spec.frontier)
        log.append(_frontier_step(spec, n_out, len(runs)))
    selected, n_out = select_runs(runs, spec.data)
    if spec.data.select:
        log.append({"step": "spec data filters", "n_removed": n_out, "n_runs": len(selected)})
    if not rank_first:
        selected, n_out = apply_top_n(selected, spec.frontier)
        if spec.frontier.rule == "top_n":
            log.append(_frontier_step(spec, n_out, len(selected)))
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
    if spec.data.undisclosed == "censored":
        inputs = _censored_inputs(inputs, censored, selected, spec, log)
    return PreparedRuns(runs=selected, inputs=inputs, selection_log=log)


def _censored_inputs(
    inputs: ModelInputs,
    censored: pd.DataFrame,
    selected: pd.DataFrame,
    spec: ModelSpec,
    log: list[dict[str, Any]],
) -> ModelInputs:
    if spec.model.scatter != "normal":
        raise SpecError(
            f"spec {spec.name!r}: data.undisclosed = 'censored' needs model.scatter = 'normal'"
        )
    if spec.frontier.rule != "none":
        raise SpecError(
            f"spec {spec.name!r}: data.undisclosed = 'censored' needs frontier.rule = 'none' "
            "(a run without an estimate cannot be ranked by compute)"
        )
    censored = censored.loc[censored["date"].ge(selected["date"].min())]
    censored = censored.reset_index(drop=True)
    log.append(
        {
            "step": "undisclosed runs entered as censored (compute at least a lower bound)",
            "n_runs": len(censored),
        }
    )
    if censored.empty:
        return inputs
    sigma = assign_error_groups(censored, spec.errors.error_model())["sigma_log10"]
    return replace(
        inputs,
        t_censored=decimal_year(censored["date"]) - T_REF,
        lower_censored=np.log10(censored[CENSORED_COLUMN].to_numpy(dtype=float)),
        sigma_censored=sigma.to_numpy(dtype=float),
    )


def _model_inputs(selected: pd.DataFrame, spec: ModelSpec) -> ModelInputs:
    t = selected["year"].to_numpy() - T_REF
    check_breaks_in_data(selected, selected["year"].to_numpy(), spec.model.fixed_breaks)
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
