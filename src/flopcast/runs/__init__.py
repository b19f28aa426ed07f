"""Run tables: reading, validating and describing the training runs a model is fitted to.

A :class:`RunTable` holds the usable runs in the canonical schema
(:mod:`flopcast.runs.schema`), the rows that were excluded and why, and one row per problem
cell. :func:`load_runs` reads the bundled Epoch snapshot; :func:`read_runs` reads an Epoch
export or a canonical CSV.

Modules, in the order :func:`read_runs` uses them:

* :mod:`~flopcast.runs.schema`: the canonical columns and labels (a public contract).
* :mod:`~flopcast.runs.table`: :class:`RunTable`, reading (:func:`read_runs`,
  :func:`load_runs`) and writing (:func:`write_runs`, :func:`runs_to_csv`, :func:`data_hash`).
* :mod:`~flopcast.runs.decode`: bytes to text to a table of strings; file-level errors.
* :mod:`~flopcast.runs.epoch`: Epoch column aliases, format detection, header mapping.
* :mod:`~flopcast.runs.checks`: cell checks (pandera), parsed values, bound and duplicate
  checks.
* :mod:`~flopcast.runs.problems`: the problem and exclusion tables and their counts.
* :mod:`~flopcast.runs.summary`: what ``flopcast data`` prints (:func:`summarize_runs`,
  :func:`format_problems`, :func:`format_table`).
* :mod:`~flopcast.runs.bundled`: where the bundled data files are.
* :mod:`~flopcast.runs.error_groups`: measurement-error groups (how far a published figure
  may be from the truth).
* :mod:`~flopcast.runs.selection`: choosing the runs a fit uses (spec filters, frontier rules).

Examples
--------
>>> from flopcast.runs import load_runs
>>> table = load_runs()
>>> len(table.runs) > 900
True
"""

from __future__ import annotations

from flopcast.runs.bundled import bundled_data_path
from flopcast.runs.epoch import EPOCH_COLUMN_ALIASES, Format
from flopcast.runs.problems import (
    CHECK_LABELS,
    EXCLUDED_COLUMNS,
    NO_COMPUTE_REASON,
    PROBLEM_COLUMNS,
)
from flopcast.runs.summary import format_problems, format_table, summarize_runs
from flopcast.runs.table import (
    RunTable,
    data_hash,
    load_runs,
    read_runs,
    runs_to_csv,
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
