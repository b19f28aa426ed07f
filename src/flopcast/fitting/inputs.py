"""Turning a run table and a spec into the model's inputs.

:func:`resolve_runs` accepts whatever the caller passed as runs (a RunTable, a DataFrame or
None for the spec's data source) and notes where they came from; :func:`prepare_runs`
applies the spec's data filters and frontier rule, gives every run its measurement-error
group and computes the arrays and prior hyperparameters the model takes.
"""

from __future__ import annotations

from dataclasses import dataclass
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
