"""Loading and validating run tables: Epoch AI exports and plain user CSVs.

Two formats are read into the canonical run table of :mod:`flopcast.runs.schema`:

* **Epoch** exports (the "all ML systems", "notable" and "large-scale" CSVs of Epoch AI's
  database). Their column names are looked up through an alias table
  (:data:`EPOCH_COLUMN_ALIASES`), case- and whitespace-insensitively, so older exports
  (``System`` instead of ``Model``) and newer ones with missing optional columns load too. Rows
  without any training-compute estimate are normal in these files: they are *excluded* with the
  reason ``"no training compute estimate"`` (counted, never silently dropped) but are not
  *problems*.
* **Canonical** files: a plain CSV with at least ``system``, ``date`` (``YYYY-MM-DD``) and
  ``compute_flop``; the optional columns of :data:`flopcast.runs.schema.OPTIONAL_COLUMNS` are used
  when present. Unknown columns are ignored (and listed in :attr:`RunTable.ignored_columns`).

Validation reports every problem at once, one row per cell (file, row, column, value, reason).
File-level failures (empty file, header only, binary or non-UTF-8 content, wrong delimiter,
missing required column) raise :class:`~flopcast.exceptions.DataValidationError`; cell-level
failures never raise: the row is moved to :attr:`RunTable.excluded` (or, for a bad optional
value such as a negative ``training_hours``, the value is ignored) and the problem is kept in
:attr:`RunTable.problems`. Every data row of the input ends up either in ``runs`` or in
``excluded``.

The per-cell checks are declared as a pandera ``DataFrameSchema`` and run with
``lazy=True``: pandera is a declarative, well-maintained validation library whose lazy mode
collects *all* failures (column, check, row index) in one pass instead of stopping at the first,
which is exactly the "report everything at once" contract; each check is a vectorised function
of a whole column, so a 100,000-row file validates in well under a second. Checks that relate
several columns (bounds against the estimate, duplicate names) are plain vectorised pandas.

Row numbers are 1-based *line* numbers in the file (the header is line 1), so they match what
a text editor shows even when quoted fields span several lines, as in Epoch's exports.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import hashlib
import html
import io
import json
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pandera.pandas as pa

from flopcast.dates import decimal_year
from flopcast.exceptions import DataValidationError
from flopcast.runs.bundled import bundled_data_path
from flopcast.runs.error_groups import ErrorModel, assign_error_groups
from flopcast.runs.schema import (
    CANONICAL_COLUMNS,
    CONFIDENCES,
    DEFAULT_CONFIDENCE,
    DEFAULT_METHOD,
    METHODS,
    REQUIRED_COLUMNS,
)

__all__ = [
    "EPOCH_COLUMN_ALIASES",
    "EXCLUDED_COLUMNS",
    "NO_COMPUTE_REASON",
    "PROBLEM_COLUMNS",
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

Format = Literal["auto", "epoch", "canonical"]

#: Columns of :attr:`RunTable.problems`: one row per problem cell. ``row`` is the 1-based line
#: number in the file (header = 1); ``check`` a stable identifier of the failed check;
#: ``action`` is ``"row excluded"`` or ``"value ignored"``.
PROBLEM_COLUMNS: tuple[str, ...] = (
    "file",
    "row",
    "system",
    "column",
    "value",
    "reason",
    "check",
    "action",
)

#: Columns of :attr:`RunTable.excluded`: one row per excluded input row; when a row has several
#: problems, ``column``, ``value``, ``reason`` and ``check`` list them in the same order,
#: separated by ``"; "``.
EXCLUDED_COLUMNS: tuple[str, ...] = ("file", "row", "system", "column", "value", "reason", "check")

#: Reason given to Epoch rows that carry no training-compute estimate (not a problem).
NO_COMPUTE_REASON = "no training compute estimate"

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

#: Explicit bounds may miss the estimate by this relative amount (rounding in the source)
#: before they are reported as inconsistent and ignored.
BOUND_ROUNDING_TOLERANCE = 0.01

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

#: The default text dtype of the installed pandas ("str" in pandas 3, object before); casting
#: to it keeps missing values missing, where ``astype(str)`` in pandas 2 writes "nan".
_TEXT_DTYPE = pd.Series(["text"]).dtype
_ROW_EXCLUDED = "row excluded"
_VALUE_IGNORED = "value ignored"
_DATE_RE = r"^\s*(\d{4}-\d{1,2}-\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d*)?)?)?\s*$"
_NAN_TEXT = "nan"
_BINARY_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx workbook?); export it as CSV"),
    (b"\xd0\xcf\x11\xe0", "a legacy Excel .xls workbook; export it as CSV"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\x1f\x8b", "gzip-compressed; decompress it first"),
)

#: Short labels for each check, used when counting exclusions by reason.
CHECK_LABELS: dict[str, str] = {
    "no_compute": NO_COMPUTE_REASON,
    "system_missing": "system name missing",
    "date_missing": "date missing",
    "date_unparsable": "date not parsable (expected YYYY-MM-DD)",
    "date_future": "date in the future",
    "compute_missing": "compute missing",
    "compute_text": "compute is text, not a number",
    "compute_nan": "compute is NaN",
    "compute_inf": "compute is infinite",
    "compute_zero": "compute is zero",
    "compute_negative": "compute is negative",
    "method_unknown": "unknown method label",
    "confidence_unknown": "unknown confidence label",
    "duplicate": "duplicate system name",
    "number_text": "optional value is text, not a number",
    "number_nonpositive": "optional value not a positive finite number",
    "utilization_range": "utilization above 1 (not a fraction)",
    "bound_inconsistent": "bound does not contain the estimate",
}


# --------------------------------------------------------------------------------------------
# The result object
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class RunTable:
    """A validated run table with everything that was left out and why.

    Attributes
    ----------
    runs
        The usable runs, canonical columns (:data:`flopcast.runs.schema.CANONICAL_COLUMNS`),
        sorted by date then system, with a fresh ``RangeIndex``.
    excluded
        One row per input row that is not in ``runs`` (:data:`EXCLUDED_COLUMNS`).
    problems
        Every problem found, one row per cell (:data:`PROBLEM_COLUMNS`).
    source
        Path of the file read.
    sha256
        SHA-256 of the file's bytes.
    format
        ``"epoch"`` or ``"canonical"``.
    n_input_rows
        Number of data rows in the file (``len(runs) + len(excluded)``).
    ignored_columns
        Input columns that flopcast does not use.
    note
        Free text about where the data comes from (set for the bundled data).
    """

    runs: pd.DataFrame
    excluded: pd.DataFrame
    problems: pd.DataFrame
    source: str
    sha256: str
    format: str
    n_input_rows: int
    ignored_columns: tuple[str, ...] = ()
    note: str = ""

    @property
    def ok(self) -> bool:
        """True when no problem was found (expected exclusions do not count)."""
        return self.problems.empty

    def check(self) -> RunTable:
        """Raise :class:`DataValidationError` listing the problems, if there are any.

        Examples
        --------
        >>> load_runs().check().format
        'canonical'
        """
        if not self.ok:
            raise DataValidationError(
                f"{self.source}: {len(self.problems)} problem(s) in "
                f"{self.problems['row'].nunique()} row(s):\n" + format_problems(self.problems),
                problems=self.problems,
            )
        return self

    def _headline(self) -> str:
        runs = self.runs
        if len(runs):
            span = f"{runs['date'].min():%Y-%m-%d} to {runs['date'].max():%Y-%m-%d}"
            lo, hi = runs["compute_flop"].min(), runs["compute_flop"].max()
            rng = f"compute {lo:.3g} to {hi:.3g} FLOP"
        else:
            span, rng = "no dates", "no compute"
        return (
            f"{len(runs)} usable runs ({span}; {rng}), {len(self.excluded)} excluded, "
            f"{len(self.problems)} problems; {self.format} format"
        )

    def __repr__(self) -> str:
        lines = [
            f"RunTable(source={self.source!r}, sha256={self.sha256[:12]}...)",
            f"  {self._headline()}",
        ]
        if len(self.runs):
            counts = self.runs["method"].value_counts().reindex(list(METHODS), fill_value=0)
            lines.append("  by method: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        if len(self.excluded):
            lines.append("  exclusions: " + _exclusion_counts_text(self.excluded))
        if self.note:
            lines.append(f"  {self.note}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        esc = html.escape
        parts = [
            "<div class='flopcast-runtable'>",
            f"<strong>RunTable</strong> <code>{esc(self.source)}</code> "
            f"(sha256 <code>{esc(self.sha256[:12])}</code>)<br>",
            f"{esc(self._headline())}<br>",
        ]
        if self.note:
            parts.append(f"<em>{esc(self.note)}</em><br>")
        parts.append(self.runs.head(10).to_html(index=False, max_cols=8, escape=True))
        if len(self.excluded):
            parts.append(f"<p>Exclusions: {esc(_exclusion_counts_text(self.excluded))}</p>")
            cols = ["row", "system", "column", "value", "reason"]
            parts.append(self.excluded[cols].head(10).to_html(index=False, escape=True))
        parts.append("</div>")
        return "".join(parts)


def _exclusion_counts_text(excluded: pd.DataFrame) -> str:
    counts = _exclusion_counts(excluded)
    return ", ".join(f"{r} {n}" for r, n in zip(counts["reason"], counts["rows"], strict=True))


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def read_runs(
    path: str | Path,
    format: Format = "auto",
    *,
    today: dt.date | str | None = None,
) -> RunTable:
    """Read and validate a runs file (an Epoch export or a canonical CSV).

    Parameters
    ----------
    path
        The CSV file.
    format
        ``"epoch"``, ``"canonical"``, or ``"auto"`` (default) to decide from the header:
        a ``compute_flop`` column means canonical, Epoch's "Training compute (FLOP)" means Epoch.
    today
        Dates after this day are reported as being in the future (default: today's date).

    Returns
    -------
    RunTable
        Usable runs, exclusions with reasons, and every problem found.

    Raises
    ------
    DataValidationError
        When the file as a whole is unusable: empty, header only, binary, not UTF-8, not
        comma-separated, a required column missing, or not parsable as CSV.
    FileNotFoundError
        When ``path`` does not exist.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "runs.csv"
    >>> _ = p.write_text("system,date,compute_flop\\nA,2020-01-01,1e21\\nB,2021-01-01,-5\\n")
    >>> table = read_runs(p)
    >>> len(table.runs), table.excluded["reason"].tolist()
    (1, ['compute_flop is negative (compute must be > 0)'])
    """
    path = Path(path)
    data = path.read_bytes()
    return _read_bytes(data, str(path), format=format, today=today)


def load_runs(*, include_excluded: bool = True) -> RunTable:
    """Load the bundled, curated run table (Epoch AI snapshot; see ``data/README.md``).

    Parameters
    ----------
    include_excluded
        Also load the snapshot rows that the curation left out (``.excluded``, with reasons
        and line numbers in Epoch's original file; the default, so fits and reports count
        them). With ``False`` ``.excluded`` is empty.

    Returns
    -------
    RunTable

    Examples
    --------
    >>> table = load_runs()
    >>> len(table.runs) > 900
    True
    >>> bool(load_runs(include_excluded=True).excluded["reason"].str.contains("no training").any())
    True
    """
    path = bundled_data_path("runs.csv")
    table = read_runs(path, format="canonical")
    meta = _bundled_metadata()
    note = ""
    if meta:
        note = (
            f"bundled data: curated from Epoch AI '{meta.get('source_file', '?')}' "
            f"(snapshot {meta.get('snapshot_date', '?')}); "
            f"{meta.get('source_rows', '?')} snapshot rows, {meta.get('usable_runs', '?')} usable"
        )
    excluded = _empty_excluded()
    n_rows = table.n_input_rows
    if include_excluded:
        excluded = _read_excluded_file(bundled_data_path("excluded.csv"))
        n_rows += len(excluded)
    return RunTable(
        runs=table.runs,
        excluded=excluded,
        problems=table.problems,
        source=table.source,
        sha256=table.sha256,
        format=table.format,
        n_input_rows=n_rows,
        ignored_columns=table.ignored_columns,
        note=note,
    )


def runs_to_csv(runs: pd.DataFrame) -> str:
    """Serialise a run table as canonical CSV text, byte-for-byte reproducible.

    Columns are :data:`~flopcast.runs.schema.CANONICAL_COLUMNS` (missing optional ones are written
    empty, extra ones dropped), rows sorted by date then system, dates as ``YYYY-MM-DD``,
    floats in their shortest round-trip form, ``\\n`` line endings.

    Examples
    --------
    >>> df = pd.DataFrame({"system": ["A"], "date": pd.to_datetime(["2020-01-02"]),
    ...                    "compute_flop": [1e21]})
    >>> runs_to_csv(df).splitlines()[1][:27]
    'A,2020-01-02,1e+21,,,,,,,,,'
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in runs.columns]
    if missing:
        raise DataValidationError(
            f"cannot serialise runs: missing required column(s) {missing}; "
            f"columns found: {list(runs.columns)}"
        )
    out = runs.reindex(columns=list(CANONICAL_COLUMNS)).copy()
    out["date"] = pd.to_datetime(out["date"])
    out = out.sort_values(["date", "system"], kind="stable")
    out["date"] = out["date"].dt.strftime("%Y-%m-%d")
    for col in ("compute_flop", *NUMERIC_OPTIONAL_COLUMNS):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    return out.to_csv(index=False, lineterminator="\n")


def write_runs(runs: pd.DataFrame, path: str | Path) -> Path:
    """Write a run table as a canonical CSV file (UTF-8, see :func:`runs_to_csv`).

    Examples
    --------
    >>> import tempfile
    >>> out = write_runs(load_runs().runs, Path(tempfile.mkdtemp()) / "runs.csv")
    >>> len(read_runs(out).runs) == len(load_runs().runs)
    True
    """
    path = Path(path)
    path.write_bytes(runs_to_csv(runs).encode("utf-8"))
    return path


def data_hash(runs: pd.DataFrame) -> str:
    """SHA-256 of a run table's canonical CSV serialisation (:func:`runs_to_csv`).

    Independent of row order and of extra (non-canonical) columns, so a fit can record
    exactly which data it saw.

    Examples
    --------
    >>> runs = load_runs().runs
    >>> data_hash(runs) == data_hash(runs.iloc[::-1])
    True
    >>> len(data_hash(runs))
    64
    """
    return hashlib.sha256(runs_to_csv(runs).encode("utf-8")).hexdigest()


def summarize_runs(
    table: RunTable, error_model: ErrorModel | None = None
) -> dict[str, pd.DataFrame]:
    """Counts that describe a run table, as DataFrames (used by ``flopcast data summary``).

    Parameters
    ----------
    table
        A table from :func:`read_runs` or :func:`load_runs`.
    error_model
        Decides the era boundary and the error groups (default :class:`ErrorModel()`).

    Returns
    -------
    dict of str to pandas.DataFrame
        ``overview`` (item, value), ``era``, ``method``, ``confidence``, ``domain`` (first
        listed domain) with a ``runs`` count each; ``error_groups`` (groups present, with
        factor, sigma_log10, runs, and how many of those use explicit bounds instead);
        ``exclusions`` (reason, rows; a row with several reasons counts under each) and
        ``ignored_values`` (problems that only blanked one optional value).

    Examples
    --------
    >>> s = summarize_runs(load_runs())
    >>> sorted(s)[:4]
    ['confidence', 'domain', 'era', 'error_groups']
    >>> int(s["method"]["runs"].sum()) == len(load_runs().runs)
    True
    """
    model = error_model or ErrorModel()
    runs = table.runs
    out: dict[str, pd.DataFrame] = {}

    overview = [
        ("file", table.source),
        ("sha256", table.sha256),
        ("format", table.format),
        ("input rows", table.n_input_rows),
        ("usable runs", len(runs)),
        ("excluded rows", len(table.excluded)),
        ("problems", len(table.problems)),
    ]
    if len(runs):
        overview += [
            ("first date", f"{runs['date'].min():%Y-%m-%d}"),
            ("last date", f"{runs['date'].max():%Y-%m-%d}"),
            ("min compute (FLOP)", f"{runs['compute_flop'].min():.3g}"),
            ("max compute (FLOP)", f"{runs['compute_flop'].max():.3g}"),
        ]
    if table.note:
        overview.append(("note", table.note))
    out["overview"] = pd.DataFrame(overview, columns=["item", "value"]).astype({"value": str})

    boundary = model.era_boundary
    b_text = f"{boundary:g}"
    early = decimal_year(runs["date"]) < boundary if len(runs) else np.zeros(0, dtype=bool)
    era_labels = [f"before {b_text}", f"{b_text} and after"]
    out["era"] = pd.DataFrame({"era": era_labels, "runs": [int(early.sum()), int((~early).sum())]})
    out["method"] = _label_counts(runs.get("method"), METHODS, "method")
    out["confidence"] = _label_counts(runs.get("confidence"), CONFIDENCES, "confidence")

    domains = runs["domain"] if "domain" in runs else pd.Series("", index=runs.index)
    first_domain = domains.fillna("").astype("str").str.split(",", n=1).str[0].str.strip()
    first_domain = first_domain.where(first_domain.ne(""), "(none)").astype("str")
    dom = first_domain.value_counts().rename_axis("domain").reset_index(name="runs")
    out["domain"] = dom.sort_values(["runs", "domain"], ascending=[False, True], kind="stable")
    out["domain"] = out["domain"].reset_index(drop=True)

    if len(runs):
        groups = assign_error_groups(runs, model)
        per = (
            groups.assign(explicit=groups["sigma_source"].eq("explicit bounds"))
            .groupby("error_group", sort=False)
            .agg(runs=("error_group", "size"), explicit_bounds=("explicit", "sum"))
        )
        table_groups = model.groups().set_index("group").join(per, how="inner")
        table_groups = table_groups.reset_index().rename(columns={"index": "group"})
        table_groups = table_groups[
            [
                "group",
                "era",
                "method",
                "confidence",
                "factor",
                "sigma_log10",
                "runs",
                "explicit_bounds",
            ]
        ]
        table_groups["explicit_bounds"] = table_groups["explicit_bounds"].astype(int)
        out["error_groups"] = table_groups.reset_index(drop=True)
    else:
        out["error_groups"] = pd.DataFrame(
            columns=[
                "group",
                "era",
                "method",
                "confidence",
                "factor",
                "sigma_log10",
                "runs",
                "explicit_bounds",
            ]
        )

    out["exclusions"] = _exclusion_counts(table.excluded)
    ignored = table.problems[table.problems["action"].eq(_VALUE_IGNORED)]
    out["ignored_values"] = (
        ignored.groupby(["column", "check"], sort=True)
        .size()
        .rename("values")
        .reset_index()
        .assign(reason=lambda d: d["check"].map(CHECK_LABELS).fillna(d["check"]))[
            ["column", "reason", "values"]
        ]
    )
    return out


def format_problems(problems: pd.DataFrame, max_rows: int | None = None) -> str:
    """Plain-text table of problems or exclusions (file, row, column, value, reason).

    Examples
    --------
    >>> p = pd.DataFrame({"file": ["a.csv"], "row": [3], "system": ["X"], "column": ["date"],
    ...                   "value": ["2020-13-01"], "reason": ["not a date"]})
    >>> "a.csv" in format_problems(p)
    True
    """
    cols = [c for c in ("file", "row", "system", "column", "value", "reason") if c in problems]
    shown = problems[cols]
    extra = 0
    if max_rows is not None and len(shown) > max_rows:
        extra = len(shown) - max_rows
        shown = shown.head(max_rows)
    shown = shown.copy()
    for col in ("system", "value"):
        if col in shown:
            shown[col] = shown[col].map(_short)
    text = format_table(shown) if len(shown) else "(none)"
    if extra:
        text += f"\n... and {extra} more"
    return text


def format_table(table: pd.DataFrame) -> str:
    """A DataFrame as a plain-text table: text left-aligned, numbers right-aligned, no index.

    Examples
    --------
    >>> print(format_table(pd.DataFrame({"method": ["counted", "other"], "runs": [522, 9]})))
    method   runs
    counted   522
    other       9
    """
    columns = [str(c) for c in table.columns]
    numeric = [pd.api.types.is_numeric_dtype(table[c]) for c in table.columns]
    body = [
        ["" if pd.isna(v) else str(v) for v in row]
        for row in table.itertuples(index=False, name=None)
    ]
    widths = [max([len(columns[i]), *(len(r[i]) for r in body)]) for i in range(len(columns))]

    def line(cells: list[str]) -> str:
        parts = [
            c.rjust(w) if num else c.ljust(w)
            for c, w, num in zip(cells, widths, numeric, strict=True)
        ]
        return "  ".join(parts).rstrip()

    return "\n".join([line(columns), *(line(r) for r in body)])


# --------------------------------------------------------------------------------------------
# File-level checks
# --------------------------------------------------------------------------------------------


def _whole_file_error(
    name: str, message: str, *, row: int | None = None, column: str = "", value: str = ""
) -> DataValidationError:
    problems = pd.DataFrame(
        {
            "file": [name],
            "row": pd.array([row], dtype="Int64"),
            "system": [""],
            "column": [column],
            "value": [value],
            "reason": [message],
            "check": ["file"],
            "action": ["file rejected"],
        }
    )
    return DataValidationError(f"{name}: {message}", problems=problems)


def _decode(data: bytes, name: str) -> str:
    if not data.strip():
        raise _whole_file_error(
            name,
            "row 1: the file is empty; expected a CSV with a header row naming the columns "
            f"(at least {', '.join(REQUIRED_COLUMNS)}, or an Epoch AI export)",
            row=1,
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _whole_file_error(
            name,
            "the file is UTF-16 encoded; flopcast reads UTF-8: re-save it as UTF-8 "
            "(e.g. Excel: 'CSV UTF-8 (Comma delimited)')",
            row=1,
        )
    for magic, what in _BINARY_MAGIC:
        if data.startswith(magic):
            raise _whole_file_error(
                name, f"not a CSV text file: it looks like {what}", row=1, column="(whole file)"
            )
    nul = data.find(b"\x00", 0, 65536)
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise _whole_file_error(
            name,
            f"not a CSV text file: binary content (a NUL byte at byte offset {nul}, row {line}); "
            "flopcast expects a comma-separated UTF-8 text file",
            row=line,
            column="(whole file)",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        offset = exc.start
        line = data.count(b"\n", 0, offset) + 1
        column = _column_at_offset(data, offset)
        bad = data[offset : offset + 1].hex()
        raise _whole_file_error(
            name,
            f"not valid UTF-8: byte 0x{bad} at byte offset {offset} (row {line}, column "
            f"{column!r}) cannot be decoded; the file is probably in a legacy encoding such as "
            "Windows-1252 or Latin-1. Re-save it as UTF-8 (e.g. Excel: 'CSV UTF-8 (Comma "
            "delimited)'; Python: open(..., encoding='cp1252') then write with encoding='utf-8')",
            row=line,
            column=column,
            value=f"0x{bad}",
        ) from None


def _column_at_offset(data: bytes, offset: int) -> str:
    """Best-effort name of the column in which byte ``offset`` lies (for error messages)."""
    header_end = data.find(b"\n")
    header_bytes = data if header_end < 0 else data[:header_end]
    if offset <= len(header_bytes):
        return "(header)"
    header = next(csv.reader([header_bytes.decode("utf-8-sig", "replace").rstrip("\r")]), [])
    line_start = data.rfind(b"\n", 0, offset) + 1
    prefix = data[line_start:offset].decode("utf-8", "replace")
    index = len(next(csv.reader([prefix]), [""])) - 1 if prefix else 0
    return header[index] if 0 <= index < len(header) else f"field {index + 1}"


def _check_delimiter(header_line: str, name: str) -> None:
    counts = {d: header_line.count(d) for d in (",", ";", "\t", "|")}
    best = max((";", "\t", "|"), key=lambda d: counts[d])
    if counts[best] > counts[","]:
        label = {"\t": "tab", ";": "';'", "|": "'|'"}[best]
        raise _whole_file_error(
            name,
            f"row 1 (the header) looks like {label}-delimited; flopcast expects "
            "comma-separated values. Re-save the file as CSV with ',' as the separator "
            "(in pandas: df.to_csv(path, index=False))",
            row=1,
            column="(header)",
            value=_short(header_line),
        )


def _norm(name: str) -> str:
    return " ".join(str(name).split()).casefold()


def _record_lines(data: bytes, text: str, n_rows: int) -> np.ndarray:
    """1-based line on which each data record starts (header excluded), vectorised.

    A newline ends a record when an even number of double quotes precedes it (RFC 4180
    escaping keeps the parity right); blank lines are skipped as pandas skips them. If the
    count disagrees with the parser's (unusual quoting), fall back to the csv module.
    """
    b = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(b == 10)
    quotes = np.flatnonzero(b == 34)
    if len(quotes):
        quotes_before = np.searchsorted(quotes, newlines)
        terminators = newlines[quotes_before % 2 == 0]
    else:
        terminators = newlines
    starts = np.concatenate(([0], terminators + 1))
    ends = np.concatenate((terminators, [len(b)]))
    length = ends - starts
    trailing_cr = (length > 0) & (b[np.clip(ends - 1, 0, max(len(b) - 1, 0))] == 13)
    nonblank = (length - trailing_cr) > 0
    lines = np.searchsorted(newlines, starts[nonblank]) + 1
    if len(lines) == n_rows + 1:
        return lines[1:].astype(np.int64)
    # Slow but exact fallback.
    reader = csv.reader(io.StringIO(text))
    out: list[int] = []
    start = 1
    for record in reader:
        if record:
            out.append(start)
        start = reader.line_num + 1
    return np.asarray(out[1 : n_rows + 1], dtype=np.int64)


def _parse_csv(text: str, name: str) -> tuple[list[str], pd.DataFrame]:
    header_line = text.split("\n", 1)[0].rstrip("\r")
    _check_delimiter(header_line, name)
    header = next(csv.reader(io.StringIO(text)), [])
    header = [h if h.strip() else f"(unnamed column {i + 1})" for i, h in enumerate(header)]
    seen: set[str] = set()
    for col in header:
        key = _norm(col)
        if key in seen:
            raise _whole_file_error(
                name,
                f"row 1 (the header): column {col!r} appears more than once; "
                "give every column a distinct name",
                row=1,
                column=col,
            )
        seen.add(key)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            df = pd.read_csv(
                io.StringIO(text),
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=True,
                index_col=False,
            )
    except (pd.errors.ParserError, pd.errors.ParserWarning) as exc:
        row, fields = _first_long_record(text, len(header))
        where = f"row {row} has {fields} fields but the header has {len(header)}" if row else ""
        raise _whole_file_error(
            name,
            f"not parsable as comma-separated values: {where or exc}. Check the quoting "
            "(fields containing commas must be in double quotes) and the number of fields",
            row=row,
            column="(row)",
        ) from None
    except pd.errors.EmptyDataError:
        raise _whole_file_error(name, "row 1: the file has no header row", row=1) from None
    df.columns = header
    if len(df) == 0:
        raise _whole_file_error(
            name,
            "has a header (row 1) but no data rows; add one row per training run from row 2 on",
            row=1,
            column="(header)",
        )
    return header, df


def _first_long_record(text: str, n_fields: int) -> tuple[int | None, int]:
    """Line and field count of the first record with more fields than the header."""
    reader = csv.reader(io.StringIO(text))
    start = 1
    for record in reader:
        if len(record) > n_fields:
            return start, len(record)
        start = reader.line_num + 1
    return None, 0


def _detect_format(headers: list[str], requested: Format) -> str:
    if requested in ("epoch", "canonical"):
        return requested
    if requested != "auto":
        raise DataValidationError(
            f"format must be 'auto', 'epoch' or 'canonical', got {requested!r}"
        )
    names = {_norm(h) for h in headers}
    if "compute_flop" in names:
        return "canonical"
    epoch_names = {_norm(a) for aliases in EPOCH_COLUMN_ALIASES.values() for a in aliases}
    distinctive = epoch_names - {_norm(c) for c in CANONICAL_COLUMNS}
    if names & distinctive:
        return "epoch"
    return "canonical"


def _map_columns(headers: list[str], fmt: str, name: str) -> tuple[dict[str, str], list[str]]:
    """Canonical column -> input header, and the unused input headers."""
    by_norm = {_norm(h): h for h in headers}
    mapping: dict[str, str] = {}
    if fmt == "canonical":
        for col in CANONICAL_COLUMNS:
            if col in by_norm:
                mapping[col] = by_norm[col]
        required = {c: (c,) for c in REQUIRED_COLUMNS}
    else:
        for col, aliases in EPOCH_COLUMN_ALIASES.items():
            for alias in aliases:
                if _norm(alias) in by_norm:
                    mapping[col] = by_norm[_norm(alias)]
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
        raise _whole_file_error(
            name,
            f"row 1 (the header): missing required column{plural} "
            f"{', '.join(repr(w) for w in wanted)}. flopcast read the file as {kind}. "
            f"Columns found: {found}." + (" " + " ".join(hints) if hints else ""),
            row=1,
            column=", ".join(wanted),
        )
    used = set(mapping.values())
    return mapping, [h for h in headers if h not in used]


# --------------------------------------------------------------------------------------------
# Cell-level checks (pandera)
# --------------------------------------------------------------------------------------------


class _Cells:
    """Parsed views of one raw string column, computed once and shared by all its checks."""

    def __init__(self, s: pd.Series, money: bool = False) -> None:
        self.s = s
        self.money = money

    @cached_property
    def stripped(self) -> pd.Series:
        return self.s.str.strip()

    @cached_property
    def blank(self) -> pd.Series:
        return self.stripped.eq("")

    @cached_property
    def number(self) -> pd.Series:
        return _number(self.s, self.money)

    @cached_property
    def nan_text(self) -> pd.Series:
        out = pd.Series(False, index=self.s.index)
        maybe = self.number.isna() & ~self.blank
        if maybe.any():
            out[maybe] = self.stripped[maybe].str.casefold().eq(_NAN_TEXT)
        return out

    @cached_property
    def date(self) -> pd.Series:
        return _parse_date(self.s)

    @cached_property
    def label(self) -> pd.Series:
        return self.stripped.str.casefold()


@dataclass(frozen=True)
class _CellCheck:
    key: str
    test: Callable[[_Cells], pd.Series]  # True where the cell passes
    reason: str
    action: str = _ROW_EXCLUDED


def _number(s: pd.Series, money: bool = False) -> pd.Series:
    """Numbers from strings (surrounding blanks allowed); anything else becomes NaN."""
    if money:
        s = s.str.replace(r"^\s*\$|,", "", regex=True)
    return pd.to_numeric(s, errors="coerce").astype("float64")


def _parse_date(s: pd.Series) -> pd.Series:
    """``YYYY-MM-DD`` (an ISO time part is allowed and dropped); anything else becomes NaT."""
    parsed = pd.to_datetime(s, format="%Y-%m-%d", errors="coerce")
    retry = parsed.isna() & s.str.contains(r"\d", regex=True)
    if retry.any():
        core = s[retry].str.extract(_DATE_RE, expand=False)
        parsed[retry] = pd.to_datetime(core, format="%Y-%m-%d", errors="coerce")
    lo, hi = pd.Timestamp("1678-01-01"), pd.Timestamp("2261-12-31")
    return parsed.where((parsed >= lo) & (parsed <= hi))


def _finite(x: pd.Series) -> pd.Series:
    return pd.Series(np.isfinite(x.to_numpy(dtype=float)), index=x.index)


_REQUIRED_COMPUTE_CHECKS: tuple[_CellCheck, ...] = (
    _CellCheck(
        "compute_text",
        lambda c: c.blank | c.nan_text | c.number.notna(),
        "is text, not a number (write e.g. 3.1e23)",
    ),
    _CellCheck("compute_nan", lambda c: ~c.nan_text, "is NaN (compute must be a number > 0)"),
    _CellCheck("compute_inf", lambda c: _finite(c.number) | c.number.isna(), "is infinite"),
    _CellCheck("compute_zero", lambda c: c.number.ne(0.0), "is zero (compute must be > 0)"),
    _CellCheck(
        "compute_negative",
        lambda c: ~(c.number < 0) | ~_finite(c.number),
        "is negative (compute must be > 0)",
    ),
)
_COMPUTE_MISSING = _CellCheck("compute_missing", lambda c: ~c.blank, "is missing")
_SYSTEM_MISSING = _CellCheck(
    "system_missing", lambda c: ~c.blank, "is missing (every run needs a system name)"
)
_OPTIONAL_NUMBER_CHECKS: tuple[_CellCheck, ...] = (
    _CellCheck(
        "number_text",
        lambda c: c.blank | c.number.notna(),
        "is not a number (value ignored)",
        _VALUE_IGNORED,
    ),
    _CellCheck(
        "number_nonpositive",
        lambda c: c.number.isna() | ((c.number > 0) & _finite(c.number)),
        "is not a positive finite number (value ignored)",
        _VALUE_IGNORED,
    ),
)
_UTILIZATION_RANGE = _CellCheck(
    "utilization_range",
    lambda c: ~(c.number > 1.0) | ~_finite(c.number),
    "is above 1 (value ignored: utilization is a fraction, 0.4 not 40)",
    _VALUE_IGNORED,
)


def _date_checks(today: dt.date) -> list[_CellCheck]:
    limit = pd.Timestamp(today)
    return [
        _CellCheck("date_missing", lambda c: ~c.blank, "is missing"),
        _CellCheck(
            "date_unparsable",
            lambda c: c.blank | c.date.notna(),
            "is not a valid YYYY-MM-DD date",
        ),
        _CellCheck(
            "date_future",
            lambda c: ~(c.date > limit),
            f"is in the future (after {today:%Y-%m-%d})",
        ),
    ]


def _label_check(key: str, allowed: tuple[str, ...], what: str) -> _CellCheck:
    return _CellCheck(
        key,
        lambda c: c.blank | c.label.isin(allowed),
        f"is not a known {what} label (allowed: {', '.join(allowed)}, or empty)",
    )


def _cell_checks(fmt: str, columns: list[str], today: dt.date) -> dict[str, list[_CellCheck]]:
    """The declarative check table: canonical column -> its checks."""
    compute = list(_REQUIRED_COMPUTE_CHECKS)
    if fmt == "canonical":  # in Epoch exports a blank estimate is an expected exclusion
        compute.insert(0, _COMPUTE_MISSING)
    checks: dict[str, list[_CellCheck]] = {
        "system": [_SYSTEM_MISSING],
        "date": _date_checks(today),
        "compute_flop": compute,
    }
    if "confidence" in columns:
        checks["confidence"] = [_label_check("confidence_unknown", CONFIDENCES, "confidence")]
    if fmt == "canonical" and "method" in columns:
        checks["method"] = [_label_check("method_unknown", METHODS, "method")]
    for col in NUMERIC_OPTIONAL_COLUMNS:
        if col in columns:
            checks[col] = list(_OPTIONAL_NUMBER_CHECKS)
            if col == "utilization":
                checks[col].append(_UTILIZATION_RANGE)
    return checks


def _run_cell_checks(
    raw: pd.DataFrame,
    checks: dict[str, list[_CellCheck]],
    cells: Mapping[str, _Cells],
    skip: np.ndarray,
) -> pd.DataFrame:
    """Run the checks as one lazy pandera schema; (index, column, check) of every failure.

    ``cells`` holds the parsed views of ``raw``'s columns (shared with the importer so each
    column is parsed once); rows where ``skip`` is true pass every check.
    """
    by_key = {(col, c.key): c for col, cs in checks.items() for c in cs}
    skipped = pd.Series(skip, index=raw.index)

    def to_pandera(col: str, check: _CellCheck) -> pa.Check:
        def test(s: pd.Series) -> pd.Series:
            return check.test(cells[col]) | skipped

        return pa.Check(test, name=check.key)

    schema = pa.DataFrameSchema(
        {
            col: pa.Column(
                None,
                checks=[to_pandera(col, c) for c in cs],
                required=False,
                nullable=True,
            )
            for col, cs in checks.items()
        },
        strict=False,
        coerce=False,
    )
    empty = pd.DataFrame(columns=["index", "col", "check", "reason", "action"])
    try:
        schema.validate(raw, lazy=True)
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        keys = [by_key.get((c, k)) for c, k in zip(fc["column"], fc["check"], strict=True)]
        unknown = [k for k, c in zip(fc["check"], keys, strict=True) if c is None]
        if unknown:  # a pandera-level failure (a check raised): surface it, never hide it
            raise DataValidationError(f"internal validation error: {unknown[:3]}") from exc
        if not keys:
            return empty
        return pd.DataFrame(
            {
                "index": fc["index"].astype(np.int64).to_numpy(),
                "col": fc["column"].astype(str).to_numpy(),
                "check": [c.key for c in keys],
                "reason": [c.reason for c in keys],
                "action": [c.action for c in keys],
            }
        )
    return empty


# --------------------------------------------------------------------------------------------
# The importer
# --------------------------------------------------------------------------------------------


def _as_date(today: dt.date | str | None) -> dt.date:
    if today is None:
        return dt.date.today()
    if isinstance(today, dt.datetime):
        return today.date()
    if isinstance(today, dt.date):
        return today
    try:
        return dt.date.fromisoformat(str(today))
    except ValueError:
        raise DataValidationError(f"today must be a date (YYYY-MM-DD), got {today!r}") from None


def _read_bytes(data: bytes, name: str, *, format: Format, today: dt.date | str | None) -> RunTable:
    today_d = _as_date(today)
    sha = hashlib.sha256(data).hexdigest()
    text = _decode(data, name)
    headers, df = _parse_csv(text, name)
    fmt = _detect_format(headers, format)
    mapping, ignored = _map_columns(headers, fmt, name)
    lines = _record_lines(data, text, len(df))
    n = len(df)

    raw = pd.DataFrame(
        {col: df[src].astype(str) for col, src in mapping.items()}, index=pd.RangeIndex(n)
    )
    system = raw["system"].str.replace(r"\s+", " ", regex=True).str.strip()
    cells = {col: _Cells(raw[col], money=col == "cost_usd") for col in raw.columns}

    # Epoch rows without any estimate are expected: excluded, but not problems.
    if fmt == "epoch":
        no_compute = cells["compute_flop"].blank.to_numpy()
    else:
        no_compute = np.zeros(n, dtype=bool)
    fails = _run_cell_checks(raw, _cell_checks(fmt, list(raw.columns), today_d), cells, no_compute)

    # Duplicated names among the candidate rows: keep the first, exclude the others.
    names = system.loc[~no_compute]
    names = names[names.ne("")]
    dup_mask = names.duplicated(keep="first").to_numpy()
    if dup_mask.any():
        first_index = names.index.to_series().groupby(names.to_numpy(), sort=False).transform("min")
        first_line = lines[first_index.to_numpy()[dup_mask]]
        dups = pd.DataFrame(
            {
                "index": names.index.to_numpy(dtype=np.int64)[dup_mask],
                "col": "system",
                "check": "duplicate",
                "reason": [
                    f"is a duplicate name (first at row {r}, which is kept)" for r in first_line
                ],
                "action": _ROW_EXCLUDED,
            }
        )
        fails = pd.concat([fails, dups], ignore_index=True) if len(fails) else dups

    # Parsed values.
    values = _parsed_values(raw, cells, system, fmt)

    # Bounds that do not contain the estimate (beyond rounding) are ignored.
    bound_fails = _bound_checks(values, ~no_compute)
    if len(bound_fails):
        fails = pd.concat([fails, bound_fails], ignore_index=True) if len(fails) else bound_fails

    problems = _problems_frame(fails, raw, mapping, system, lines, name)

    # Values reported as ignored are blanked.
    ignored_fails = fails[fails["action"].eq(_VALUE_IGNORED)]
    for col, idx in ignored_fails.groupby("col")["index"]:
        values.loc[idx.to_numpy(dtype=np.int64), col] = np.nan

    excluded_idx = np.unique(
        fails.loc[fails["action"].eq(_ROW_EXCLUDED), "index"].to_numpy(dtype=np.int64)
    )
    keep = ~no_compute.copy()
    keep[excluded_idx] = False

    runs = values.loc[keep].copy()
    runs = runs.sort_values(["date", "system"], kind="stable").reset_index(drop=True)
    runs = runs.astype({"date": "datetime64[ns]"})

    excluded = _excluded_frame(problems, raw, mapping, system, lines, no_compute, name)
    assert len(runs) + len(excluded) == n, "every row is either usable or excluded"
    return RunTable(
        runs=runs,
        excluded=excluded,
        problems=problems.drop(columns=["_order"]),
        source=name,
        sha256=sha,
        format=fmt,
        n_input_rows=n,
        ignored_columns=tuple(ignored),
    )


def _parsed_values(
    raw: pd.DataFrame, cells: Mapping[str, _Cells], system: pd.Series, fmt: str
) -> pd.DataFrame:
    """Canonical columns from the raw strings; unparsable numbers become NaN."""
    nothing = pd.Series(np.nan, index=raw.index, dtype=_TEXT_DTYPE)

    def text(col: str) -> pd.Series:
        if col not in cells:
            return nothing
        s = cells[col].stripped
        return s.where(~cells[col].blank).astype(_TEXT_DTYPE)

    def number(col: str) -> pd.Series:
        if col not in cells:
            return pd.Series(np.nan, index=raw.index, dtype="float64")
        v = cells[col].number
        return v.where(_finite(v) & (v > 0))

    out = pd.DataFrame(index=raw.index)
    out["system"] = system.astype("str")
    out["date"] = cells["date"].date
    out["compute_flop"] = cells["compute_flop"].number
    method_raw = text("method_raw")
    if fmt == "epoch":
        tokens = method_raw.fillna("")
        method = pd.Series(DEFAULT_METHOD, index=raw.index, dtype="str")
        for epoch_name, label in reversed(EPOCH_METHOD_PRIORITY):
            pattern = rf"(?:^|,)\s*{re.escape(epoch_name)}\s*(?:,|$)"
            method = method.mask(tokens.str.contains(pattern, case=False, regex=True), label)
        out["method"] = method
    else:
        m = cells["method"].label if "method" in cells else nothing
        out["method"] = m.where(m.isin(METHODS), DEFAULT_METHOD).astype("str")
    c = cells["confidence"].label if "confidence" in cells else nothing
    out["confidence"] = c.where(c.isin(CONFIDENCES), DEFAULT_CONFIDENCE).astype("str")
    for col in ("domain", "organization", "source", "hardware", "notability"):
        out[col] = text(col)
    out["method_raw"] = method_raw
    for col in NUMERIC_OPTIONAL_COLUMNS:
        out[col] = number(col)
    return out[list(CANONICAL_COLUMNS)]


def _bound_checks(values: pd.DataFrame, candidate: np.ndarray) -> pd.DataFrame:
    est = values["compute_flop"].to_numpy(dtype=float)
    lo = values["compute_lower"].to_numpy(dtype=float)
    hi = values["compute_upper"].to_numpy(dtype=float)
    tol = 1.0 + BOUND_ROUNDING_TOLERANCE
    with np.errstate(invalid="ignore"):
        ok_est = np.isfinite(est) & (est > 0) & candidate
        bad_lo = ok_est & np.isfinite(lo) & (lo > est * tol)
        bad_hi = ok_est & np.isfinite(hi) & (hi < est / tol)
    frames = []
    for col, bad, what in (
        ("compute_lower", bad_lo, "is above the compute estimate"),
        ("compute_upper", bad_hi, "is below the compute estimate"),
    ):
        if bad.any():
            frames.append(
                pd.DataFrame(
                    {
                        "index": np.flatnonzero(bad).astype(np.int64),
                        "col": col,
                        "check": "bound_inconsistent",
                        "reason": f"{what} (value ignored)",
                        "action": _VALUE_IGNORED,
                    }
                )
            )
    if not frames:
        return pd.DataFrame(columns=["index", "col", "check", "reason", "action"])
    return pd.concat(frames, ignore_index=True)


def _problems_frame(
    fails: pd.DataFrame,
    raw: pd.DataFrame,
    mapping: Mapping[str, str],
    system: pd.Series,
    lines: np.ndarray,
    name: str,
) -> pd.DataFrame:
    if len(fails) == 0:
        empty = pd.DataFrame({c: pd.Series(dtype="str") for c in PROBLEM_COLUMNS})
        empty["row"] = pd.Series(dtype="int64")
        empty["_order"] = pd.Series(dtype="int64")
        return empty[[*PROBLEM_COLUMNS, "_order"]]
    idx = fails["index"].to_numpy(dtype=np.int64)
    cols = fails["col"].to_numpy()
    order = {c: i for i, c in enumerate(CANONICAL_COLUMNS)}
    value = np.empty(len(fails), dtype=object)
    for col in np.unique(cols):
        m = cols == col
        value[m] = raw[col].to_numpy()[idx[m]]
    out = pd.DataFrame(
        {
            "file": name,
            "row": lines[idx],
            "system": system.to_numpy()[idx],
            "column": [mapping[c] for c in cols],
            "value": value,
            "reason": [f"{mapping[c]} {r}" for c, r in zip(cols, fails["reason"], strict=True)],
            "check": fails["check"].to_numpy(),
            "action": fails["action"].to_numpy(),
            "_order": [order[c] for c in cols],
            "_index": idx,
        }
    )
    out = out.sort_values(["row", "_order"], kind="stable").reset_index(drop=True)
    out["value"] = out["value"].astype("str")
    return out.drop(columns=["_index"])


def _empty_excluded() -> pd.DataFrame:
    out = pd.DataFrame({c: pd.Series(dtype="str") for c in EXCLUDED_COLUMNS})
    out["row"] = pd.Series(dtype="int64")
    return out


def _excluded_frame(
    problems: pd.DataFrame,
    raw: pd.DataFrame,
    mapping: Mapping[str, str],
    system: pd.Series,
    lines: np.ndarray,
    no_compute: np.ndarray,
    name: str,
) -> pd.DataFrame:
    parts = []
    if no_compute.any():
        idx = np.flatnonzero(no_compute)
        parts.append(
            pd.DataFrame(
                {
                    "file": name,
                    "row": lines[idx],
                    "system": system.to_numpy()[idx],
                    "column": mapping["compute_flop"],
                    "value": raw["compute_flop"].to_numpy()[idx],
                    "reason": NO_COMPUTE_REASON,
                    "check": "no_compute",
                }
            )
        )
    bad = problems[problems["action"].eq(_ROW_EXCLUDED)]
    if len(bad):
        grouped = bad.groupby("row", sort=False).agg(
            file=("file", "first"),
            system=("system", "first"),
            column=("column", "; ".join),
            value=("value", "; ".join),
            reason=("reason", "; ".join),
            check=("check", "; ".join),
        )
        parts.append(grouped.reset_index())
    if not parts:
        return _empty_excluded()
    out = pd.concat(parts, ignore_index=True)[list(EXCLUDED_COLUMNS)]
    out = out.sort_values("row", kind="stable").reset_index(drop=True)
    out["row"] = out["row"].astype("int64")
    for col in ("file", "system", "column", "value", "reason", "check"):
        out[col] = out[col].astype("str")
    return out


def _exclusion_counts(excluded: pd.DataFrame) -> pd.DataFrame:
    if excluded.empty:
        return pd.DataFrame({"reason": pd.Series(dtype="str"), "rows": pd.Series(dtype="int64")})
    per_row = excluded[["row", "check"]].assign(check=excluded["check"].str.split("; "))
    per_row = per_row.explode("check").drop_duplicates()
    counts = per_row["check"].value_counts()
    out = pd.DataFrame(
        {
            "reason": [CHECK_LABELS.get(k, k) for k in counts.index],
            "rows": counts.to_numpy(dtype=np.int64),
        }
    )
    return out.sort_values(["rows", "reason"], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )


def _label_counts(values: pd.Series | None, labels: tuple[str, ...], name: str) -> pd.DataFrame:
    counts = (values.value_counts() if values is not None else pd.Series(dtype="int64")).reindex(
        list(labels), fill_value=0
    )
    return pd.DataFrame({name: list(labels), "runs": counts.to_numpy(dtype=np.int64)})


def _short(value: object, width: int = 60) -> str:
    text = " ".join(str(value).split()) if value is not None else ""
    return text if len(text) <= width else text[: width - 3] + "..."


def _read_excluded_file(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    missing = [c for c in EXCLUDED_COLUMNS if c not in df.columns]
    if missing:
        raise DataValidationError(f"{path}: missing column(s) {missing} in the exclusions file")
    df = df[list(EXCLUDED_COLUMNS)].copy()
    df["row"] = df["row"].astype("int64")
    return df


def _bundled_metadata() -> dict:
    try:
        return json.loads(bundled_data_path("snapshot.json").read_text(encoding="utf-8"))
    except (DataValidationError, OSError, ValueError):
        return {}
