"""The canonical run table: column names, allowed labels and their meaning.

Every importer maps its input onto these columns; everything downstream reads only these.
The names are a public contract (scripts read them), so they change only with a major version.
"""

from __future__ import annotations

#: Columns every canonical table has, in order. ``date`` is a pandas datetime (publication
#: date), ``compute_flop`` the published training-compute estimate in FLOP.
REQUIRED_COLUMNS: tuple[str, ...] = ("system", "date", "compute_flop")

#: Columns that may be missing from a user's file; they are filled with defaults/NaN.
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "method",
    "confidence",
    "domain",
    "organization",
    "source",
    "compute_lower",
    "compute_upper",
    "hardware",
    "hardware_quantity",
    "training_hours",
    "utilization",
    "cost_usd",
    "parameters",
    "method_raw",
    "notability",
    "compute_rank_at_publication",
)

CANONICAL_COLUMNS: tuple[str, ...] = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

#: The optional columns that hold numbers (read as float64; anything that is not a positive
#: finite number is reported and ignored). The other optional columns hold text.
NUMERIC_OPTIONAL_COLUMNS: tuple[str, ...] = (
    "compute_lower",
    "compute_upper",
    "hardware_quantity",
    "training_hours",
    "utilization",
    "cost_usd",
    "parameters",
    "compute_rank_at_publication",
)

#: How the compute figure was estimated.
#: ``counted``: operations counted from the architecture and data (incl. 6*N*D);
#: ``hardware``: devices x peak FLOP/s x time x utilization;
#: ``reported``: the developers' own figure; ``other``: third-party estimate, comparison
#: with other models, benchmarks, cost, or no method recorded.
METHODS: tuple[str, ...] = ("counted", "hardware", "reported", "other")

#: Epoch's confidence labels, lower-cased.
CONFIDENCES: tuple[str, ...] = ("confident", "likely", "speculative", "unknown")

#: Default labels for files that do not say.
DEFAULT_METHOD = "other"
DEFAULT_CONFIDENCE = "unknown"
