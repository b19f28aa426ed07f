"""The study table's vocabulary: its columns, their units, the row statuses.

Every number of a study row is a posterior median ``X`` with its 90% credible interval in
``X_ci90_low`` / ``X_ci90_high`` (the 5th and 95th percentiles), named with
:func:`flopcast.intervals.interval_columns` like every other flopcast table.

Examples
--------
>>> interval_names("doubling_latest")
('doubling_latest_ci90_low', 'doubling_latest_ci90_high')
>>> CORE_COLUMNS[4:7]
('break_1', 'break_1_ci90_low', 'break_1_ci90_high')
"""

from __future__ import annotations

from flopcast.intervals import CI_LEVEL, interval_columns, level_percent

#: Credible level of every interval (5th to 95th percentile).
LEVEL: float = CI_LEVEL

#: Status of a row whose fit and forecast ran and whose diagnostics passed.
STATUS_OK = "ok"
#: Status of a row whose sampler diagnostics failed (its numbers should not be quoted).
STATUS_DIAGNOSTICS = "diagnostics failed"
#: Rows that raised have a status starting with this.
STATUS_ERROR_PREFIX = "error"


def interval_names(name: str, level: float = LEVEL) -> tuple[str, str]:
    """Columns of the lower and upper bound of quantity ``name``'s ``level`` interval.

    Examples
    --------
    >>> interval_names("compute_2030")
    ('compute_2030_ci90_low', 'compute_2030_ci90_high')
    """
    low, high = interval_columns(level)
    return f"{name}_{low}", f"{name}_{high}"


def _with_interval(name: str) -> tuple[str, str, str]:
    return (name, *interval_names(name))


#: Columns every study table has, in order (``X_ci90_low``/``X_ci90_high``: the 90% credible
#: interval of ``X``). Per-break and per-era columns (``break_2``, ``doubling_era_3``, ...)
#: are added when a variant has them.
CORE_COLUMNS: tuple[str, ...] = (
    "label",
    "question",
    "status",
    "n_runs",
    *_with_interval("break_1"),
    "breaks_fixed",
    *_with_interval("doubling_era_1"),
    *_with_interval("doubling_era_2"),
    *_with_interval("doubling_latest"),
    *_with_interval("compute_2030"),
    *_with_interval("cost_2030"),
    *_with_interval("date_1e27_flop"),
    "p_1e27_flop_by_horizon",
    *_with_interval("date_1b_usd"),
    "p_1b_usd_by_horizon",
    *_with_interval("runs_1e26_2028"),
    "horizon",
    "regime_changes",
    "limits",
    "diagnostics_ok",
    "max_rhat",
    "min_ess",
    "min_ess_bulk",
    "min_ess_tail",
    "divergences",
    "diagnostic_problems",
    "psens",
    "wall_s",
    "fit_s",
    "forecast_s",
    "compile_s",
    "sample_s",
    "price_performance_s",
    "import_s",
    "compiled",
    "fit_shared_with",
    "structure",
    "worker",
    "warnings",
)

_LOW, _HIGH = interval_columns(LEVEL)
_PCT = level_percent(LEVEL)

#: What each column means, for the JSON output.
COLUMN_UNITS: dict[str, str] = {
    "break_k": f"decimal year (posterior median; _{_LOW}/_{_HIGH}: {_PCT}% credible interval)",
    "doubling_era_k, doubling_latest": "months",
    "compute_2030": "FLOP, frontier trend in mid-2030",
    "cost_2030": "constant USD (price-performance base year), frontier trend in mid-2030",
    "date_1e27_flop, date_1b_usd": "decimal year the frontier trend first reaches the "
    "threshold (null/inf: later than the search end)",
    "p_*_by_horizon": "probability of reaching the threshold by `horizon`",
    "runs_1e26_2028": "runs above 1e26 FLOP published in 2028 (count; _ci90_*: 90% "
    "predictive interval)",
    "limits": "whether ceilings on a frontier run were on",
    "horizon": "decimal year",
    "wall_s, fit_s, forecast_s, compile_s, sample_s, price_performance_s, import_s": "seconds",
    "compiled": "whether this variant compiled its model (False: reused)",
}

#: What the interval columns mean, for the JSON output.
INTERVAL_MEANING: dict[str, str] = {
    "X": "posterior median",
    f"X_{_LOW}, X_{_HIGH}": f"{_PCT}% credible interval (5th and 95th percentiles)",
}
