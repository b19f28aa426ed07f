"""Run tables: reading, validating and describing the training runs a model is fitted to.

A :class:`RunTable` holds the usable runs in the canonical schema
(:mod:`flopcast.runs.schema`), the rows that were excluded and why, and one row per problem
cell. :func:`load_runs` reads the bundled Epoch snapshot; :func:`read_runs` reads an Epoch
export or a canonical CSV.

Examples
--------
>>> from flopcast.runs import load_runs
>>> table = load_runs()
>>> len(table.runs) > 900
True
"""

from __future__ import annotations

from flopcast.runs.bundled import bundled_data_path
from flopcast.runs.io import (
    CHECK_LABELS,
    EPOCH_COLUMN_ALIASES,
    EXCLUDED_COLUMNS,
    NO_COMPUTE_REASON,
    PROBLEM_COLUMNS,
    Format,
    RunTable,
    data_hash,
    format_problems,
    format_table,
    load_runs,
    read_runs,
    runs_to_csv,
    summarize_runs,
    write_runs,
)

__all__ = [
    "CHECK_LABELS",
    "EPOCH_COLUMN_ALIASES",
    "EXCLUDED_COLUMNS",
    "NO_COMPUTE_REASON",
    "PROBLEM_COLUMNS",
    "Format",
    "RunTable",
    "bundled_data_path",
    "data_hash",
    "format_problems",
    "format_table",
    "load_runs",
    "read_runs",
    "runs_to_csv",
    "summarize_runs",
    "write_runs",
]
