"""Backtests: does the model forecast runs it never saw, and better than simple baselines?

Modules, one job each:

- :mod:`~flopcast.backtesting.harness`: :func:`backtest`, the rolling-origin harness (fit
  before each 1 July origin, score every later run; frontier and all-run targets).
- :mod:`~flopcast.backtesting.baselines`: the closed-form baselines (least-squares lines
  through top-10 runs, a random walk with drift on the running frontier).
- :mod:`~flopcast.backtesting.scoring`: the predictive distribution and its scores (log
  score, CRPS, interval score, coverage, PIT).
- :mod:`~flopcast.backtesting.tables`: scores by lead time, skill with a bootstrap over
  origins, PIT histograms.
- :mod:`~flopcast.backtesting.result`: :class:`BacktestResult` and its JSON.
- :mod:`~flopcast.backtesting.cutoffs`: :func:`backtest_cutoffs`, the older per-cutoff
  coverage view (``flopcast backtest --cutoff DATE``).
"""

from flopcast.backtesting.baselines import BASELINES, LineFit, RandomWalkFit, ols_line, rw_drift
from flopcast.backtesting.cutoffs import (
    CutoffBacktestResult,
    backtest_cutoffs,
    no_measurement_error,
)
from flopcast.backtesting.harness import (
    DEFAULT_ORIGINS,
    TEST_FROM,
    backtest,
    flopcast_predictive,
    origin_dates,
    scored_runs,
)
from flopcast.backtesting.result import BACKTEST_JSON_VERSION, BacktestResult
from flopcast.backtesting.scoring import (
    Predictive,
    interval_score,
    score_predictions,
    score_predictive,
)
from flopcast.backtesting.tables import lead_group, pit_histogram, score_table, skill_table

__all__ = [
    "BACKTEST_JSON_VERSION",
    "BASELINES",
    "DEFAULT_ORIGINS",
    "TEST_FROM",
    "BacktestResult",
    "CutoffBacktestResult",
    "LineFit",
    "Predictive",
    "RandomWalkFit",
    "backtest",
    "backtest_cutoffs",
    "flopcast_predictive",
    "interval_score",
    "lead_group",
    "no_measurement_error",
    "ols_line",
    "origin_dates",
    "pit_histogram",
    "rw_drift",
    "score_predictions",
    "score_predictive",
    "score_table",
    "scored_runs",
    "skill_table",
]
