"""Epoch AI exports: column aliases, format detection and mapping headers to canonical columns.

Epoch's exports (the "all ML systems", "notable" and "large-scale" CSVs of Epoch AI's database)
name their columns differently from the canonical table of :mod:`flopcast.runs.schema`. The
names are looked up through an alias table (:data:`EPOCH_COLUMN_ALIASES`), case- and
whitespace-insensitively, so older exports (``System`` instead of ``Model``) and newer ones
with missing optional columns load too. A canonical file is matched on the canonical names.
"""

from __future__ import annotations

import difflib
import re
from typing import Literal

import pandas as pd

from flopcast.exceptions import DataValidationError
from flopcast.runs.decode import normalize_header
from flopcast.runs.problems import file_error
from flopcast.runs.schema import CANONICAL_COLUMNS, DEFAULT_METHOD, REQUIRED_COLUMNS

#: The input formats :func:`flopcast.runs.read_runs` accepts; ``"auto"`` decides from the header.
Format = Literal["auto", "epoch", "canonical"]

#: Epoch column names (as in Epoch's exports) for each canonical column, preferred first.
#: Header matching ignores case and runs of whitespace.
EPOCH_COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "system": ("Model", "System", "Model name"),
    "date": ("Publication date", "Date"),
    "compute_flop": ("Training compute (FLOP)", "Training compute (FLOPs)", "Training compute"),
    "method_raw": ("Training compute estimation method", "Compute estimation method"),
    "confidence": ("Confidence",),
    "domain": ("Domain",),
    "organization": ("Organization", "Organization(s)", "Organisation"),
    "source": ("Link", "Links"),
    "compute_lower": ("Training compute lower bound",),
    "compute_upper": ("Training compute upper bound",),
    "hardware": ("Training hardware",),
    "hardware_quantity": ("Hardware quantity",),
    "training_hours": ("Training time (hours)",),
    "utilization": ("Hardware utilization (MFU)", "Hardware utilization"),
    "cost_usd": ("Training compute cost (2023 USD)",),
    "parameters": ("Parameters",),
    "notability": ("Notability criteria",),
    "compute_rank_at_publication": ("Compute rank when published",),
}

#: Epoch's method names, in the priority used to pick one canonical ``method`` from the
#: comma-joined list in "Training compute estimation method"; anything else maps to "other".
EPOCH_METHOD_PRIORITY: tuple[tuple[str, str], ...] = (
    ("Operation counting", "counted"),
    ("Hardware", "hardware"),
    ("Reported", "reported"),
)


def detect_format(headers: list[str], requested: Format) -> str:
    """``"epoch"`` or ``"canonical"``: the requested format, or for ``"auto"`` the header's."""
    if requested in ("epoch", "canonical"):
        return requested
    if requested != "auto":
        raise DataValidationError(
            f"format must be 'auto', 'epoch' or 'canonical', got {requested!r}"
        )
    names = {normalize_header(h) for h in headers}
    if "compute_flop" in names:
        return "canonical"
    epoch_names = {
        normalize_header(a) for aliases in EPOCH_COLUMN_ALIASES.values() for a in aliases
    }
    distinctive = epoch_names - {normalize_header(c) for c in CANONICAL_COLUMNS}
    if names & distinctive:
        return "epoch"
    return "canonical"


def map_columns(headers: list[str], fmt: str, name: str) -> tuple[dict[str, str], list[str]]:
    """Canonical column -> input header, and the unused input headers."""
    by_norm = {normalize_header(h): h for h in headers}
    mapping: dict[str, str] = {}
    if fmt == "canonical":
        for col in CANONICAL_COLUMNS:
            if col in by_norm:
                mapping[col] = by_norm[col]
        required: dict[str, tuple[str, ...]] = {c: (c,) for c in REQUIRED_COLUMNS}
    else:
        for col, aliases in EPOCH_COLUMN_ALIASES.items():
            for alias in aliases:
                if normalize_header(alias) in by_norm:
                    mapping[col] = by_norm[normalize_header(alias)]
                    break
        required = {c: EPOCH_COLUMN_ALIASES[c] for c in REQUIRED_COLUMNS}
    missing = [aliases for col, aliases in required.items() if col not in mapping]
    if missing:
        wanted = [a[0] for a in missing]
        hints = []
        for want in wanted:
            close = difflib.get_close_matches(want, headers, n=1, cutoff=0.6)
            if close:
                hints.append(f"did you mean {close[0]!r} for {want!r}?")
        kind = (
            f"a canonical runs file, which needs columns {', '.join(REQUIRED_COLUMNS)}"
            if fmt == "canonical"
            else "an Epoch AI export, which needs columns "
            + ", ".join(repr(EPOCH_COLUMN_ALIASES[c][0]) for c in REQUIRED_COLUMNS)
        )
        found = ", ".join(repr(h) for h in headers[:40]) + (" ..." if len(headers) > 40 else "")
        plural = "s" if len(wanted) > 1 else ""
        raise file_error(
            name,
            f"row 1 (the header): missing required column{plural} "
            f"{', '.join(repr(w) for w in wanted)}. flopcast read the file as {kind}. "
            f"Columns found: {found}." + (" " + " ".join(hints) if hints else ""),
            row=1,
            column=", ".join(wanted),
        )
    used = set(mapping.values())
    return mapping, [h for h in headers if h not in used]


def epoch_methods(method_raw: pd.Series) -> pd.Series:
    """One canonical ``method`` per run from Epoch's comma-joined estimation-method list.

    The first of :data:`EPOCH_METHOD_PRIORITY` that the list names wins; anything else,
    including a missing list, is ``"other"``.
    """
    tokens = method_raw.fillna("")
    method = pd.Series(DEFAULT_METHOD, index=method_raw.index, dtype="str")
    for epoch_name, label in reversed(EPOCH_METHOD_PRIORITY):
        pattern = rf"(?:^|,)\s*{re.escape(epoch_name)}\s*(?:,|$)"
        method = method.mask(tokens.str.contains(pattern, case=False, regex=True), label)
    return method
