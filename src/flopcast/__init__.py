"""flopcast: Bayesian forecasting of the compute used to train AI systems.

The public API is the short list in ``__all__``. Names are imported lazily, so
``import flopcast`` is quick and PyMC loads only when a model is fitted.

Examples
--------
>>> import flopcast
>>> table = flopcast.load_runs()
>>> fit = flopcast.fit(table, "two_eras", seed=1)   # doctest: +SKIP
>>> fit.summary()                                   # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import Any

from flopcast._version import __version__
from flopcast.environment import use_writable_caches

# Before anything imports ArviZ, PyTensor or matplotlib: their caches in a writable place
# when HOME is unusable (scripts and the CLI alike; see flopcast.environment).
use_writable_caches()

#: Public name -> module that defines it.
_EXPORTS: dict[str, str] = {
    "load_runs": "flopcast.runs",
    "read_runs": "flopcast.runs",
    "RunTable": "flopcast.runs",
    "ErrorModel": "flopcast.runs.error_groups",
    "assign_error_groups": "flopcast.runs.error_groups",
    "ModelSpec": "flopcast.spec",
    "load_spec": "flopcast.spec",
    "fit": "flopcast.fitting",
    "Fit": "flopcast.fitting",
    "load_fit": "flopcast.fitting",
    "compare_fits": "flopcast.fitting",
    "forecast": "flopcast.forecasting",
    "Forecast": "flopcast.forecasting",
    "backtest": "flopcast.backtesting",
    "BacktestResult": "flopcast.backtesting",
    "write_report": "flopcast.report",
    "FlopcastError": "flopcast.exceptions",
    "clear_caches": "flopcast.caches",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'flopcast' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
