"""Fitting a spec to a run table, and the fitted model it gives.

Modules, one job each:

- :mod:`~flopcast.fitting.result`: the :class:`Fit` (summaries, per-run true compute, the
  summary JSON), saving it and :func:`load_fit`, and the draw helpers forecasts and figures
  use. No PyMC: reading a saved fit stays quick.
- :mod:`~flopcast.fitting.fitfile`: the checks that a saved fit file is whole before it loads.
- :mod:`~flopcast.fitting.inputs`: from runs and spec to the model's inputs (data source,
  selection, frontier rule, error groups, prior hyperparameters).
- :mod:`~flopcast.fitting.sampling`: :func:`fit`, the compiled-model cache and the sampler
  (PyMC and nutpie load here).
- :mod:`~flopcast.fitting.diagnostics`: R-hat, ESS, divergences and chain agreement.
- :mod:`~flopcast.fitting.comparison`: :func:`compare_fits` (PSIS-LOO, stacking weights).
- :mod:`~flopcast.fitting.latent`: each run's true compute in closed form.
- :mod:`~flopcast.fitting.sensitivity`: power-scaling prior sensitivity of one fit
  (:func:`prior_sensitivity`: which parameters the prior drives, without refitting).

``import flopcast.fitting`` loads neither PyMC nor ArviZ (which imports numba), so
``load_fit`` and a fit's summaries stay quick: the names from ``inputs``, ``sampling``,
``diagnostics`` and ``comparison`` are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from flopcast.fitting.latent import latent_posterior
from flopcast.fitting.result import (
    FIT_FORMAT,
    JSON_VERSION,
    Fit,
    load_fit,
    measurement_sigma_draws,
    scatter_draws,
    stack_draws,
    trend_draws,
)
from flopcast.fitting.result import _runs_to_dataset as _runs_to_dataset  # tests build fits

#: Names whose modules load PyMC or ArviZ, imported on first access.
_LAZY: dict[str, str] = {
    "ESS_MIN": "flopcast.fitting.diagnostics",
    "RHAT_MAX": "flopcast.fitting.diagnostics",
    "Diagnostics": "flopcast.fitting.diagnostics",
    "compute_diagnostics": "flopcast.fitting.diagnostics",
    "sampler_diagnostics": "flopcast.fitting.diagnostics",
    "compare_fits": "flopcast.fitting.comparison",
    "fit": "flopcast.fitting.sampling",
    "clear_model_cache": "flopcast.fitting.sampling",
    "PreparedRuns": "flopcast.fitting.inputs",
    "prepare_runs": "flopcast.fitting.inputs",
    "resolve_runs": "flopcast.fitting.inputs",
    "PSENS_THRESHOLD": "flopcast.fitting.sensitivity",
    "prior_sensitivity": "flopcast.fitting.sensitivity",
}

__all__ = [
    "FIT_FORMAT",
    "JSON_VERSION",
    "Fit",
    "latent_posterior",
    "load_fit",
    "measurement_sigma_draws",
    "scatter_draws",
    "stack_draws",
    "trend_draws",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'flopcast.fitting' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
