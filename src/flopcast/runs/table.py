"""The run table: reading a runs file into a :class:`RunTable`, and writing one back.

Two formats are read into the canonical run table of :mod:`flopcast.runs.schema`:

* **Epoch** exports (the "all ML systems", "notable" and "large-scale" CSVs of Epoch AI's
  database), whose column names are looked up through an alias table
  (:data:`flopcast.runs.epoch.EPOCH_COLUMN_ALIASES`). Rows without any training-compute
  estimate are normal in these files: they are *excluded* with the reason
  ``"no training compute estimate"`` (counted, never silently dropped) but are not *problems*.
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

:func:`read_runs` runs the steps in order: bytes to text and a table of strings
(:mod:`~flopcast.runs.decode`), headers to canonical columns (:mod:`~flopcast.runs.epoch`), cell
checks and parsed values (:mod:`~flopcast.runs.checks`), problem and exclusion tables
(:mod:`~flopcast.runs.problems`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from flopcast.atomic import write_bytes_atomic
from flopcast.dates import parse_date
from flopcast.exceptions import DataValidationError, FlopcastError
from flopcast.runs.bundled import bundled_data_path
from flopcast.runs.checks import (
    Cells,
    bound_checks,
    cell_checks,
    duplicate_name_checks,
    parsed_values,
    run_cell_checks,
)
from flopcast.runs.decode import decode_text, parse_csv, record_lines
from flopcast.runs.epoch import Format, detect_format, map_columns
from flopcast.runs.problems import (
    EXCLUDED_COLUMNS,
    ROW_EXCLUDED,
    ROW_KEPT,
    VALUE_IGNORED,
    empty_excluded,
    empty_undisclosed,
    excluded_frame,
    exclusion_counts_text,
    problems_frame,
    undisclosed_frame,
)
from flopcast.runs.schema import (
    CANONICAL_COLUMNS,
    METHODS,
    NUMERIC_OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
)
from flopcast.runs.summary import format_problems


@dataclass(frozen=True, eq=False)
class RunTable:
    """A validated run table with everything that was left out and why.

    Attributes
    ----------
    runs
        The usable runs, canonical columns (:data:`flopcast.runs.schema.CANONICAL_COLUMNS`),
        sorted by date then system, with a fresh ``RangeIndex``.
    excluded
        One row per input row that is not in ``runs``
        (:data:`~flopcast.runs.problems.EXCLUDED_COLUMNS`).
    problems
        Every problem found, one row per cell (:data:`~flopcast.runs.problems.PROBLEM_COLUMNS`).
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
    undisclosed
        Runs listed without any training-compute estimate (their developers did not disclose
        it), one row each (:data:`~flopcast.runs.problems.UNDISCLOSED_COLUMNS`). They are
        also in ``excluded`` (every input row is accounted for there), but they are not data
        problems: :meth:`undisclosed_counts` counts them per year and developer, and a spec
        can let them enter a fit as censored observations (``data.undisclosed``).
    origin
        Where a downloaded copy came from (``url``, ``downloaded``, ``sha256``, ``dataset``;
        see :mod:`flopcast.runs.update`); empty for other files.
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
    undisclosed: pd.DataFrame = field(default_factory=empty_undisclosed)
    origin: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no problem was found (expected exclusions and plausibility warnings,
        whose rows are kept, do not count)."""
        return not self.problems["action"].ne(ROW_KEPT).any()

    @property
    def warnings(self) -> pd.DataFrame:
        """The plausibility warnings: rows kept whose date (before 1940) or compute (below
        1e3 FLOP) looks implausible (part of :attr:`problems`)."""
        return self.problems[self.problems["action"].eq(ROW_KEPT)]

    def undisclosed_counts(self, by: str = "year") -> pd.DataFrame:
        """Runs without a disclosed compute estimate, counted per ``"year"`` or
        ``"developer"`` (see :func:`~flopcast.runs.summary.undisclosed_counts`)."""
        from flopcast.runs.summary import undisclosed_counts

        return undisclosed_counts(self, by)

    def check(self) -> RunTable:
        """Raise :class:`DataValidationError` listing the problems, if there are any.

        Examples
        --------
        >>> load_runs().check().format
        'canonical'
        """
        if not self.ok:
            bad = self.problems[self.problems["action"].ne(ROW_KEPT)]
            raise DataValidationError(
                f"{self.source}: {len(bad)} problem(s) in "
                f"{bad['row'].nunique()} row(s):\n" + format_problems(bad),
                problems=bad,
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
            lines.append("  exclusions: " + exclusion_counts_text(self.excluded))
        if len(self.undisclosed):
            lines.append(f"  {len(self.undisclosed)} runs without a disclosed compute estimate")
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
            parts.append(f"<p>Exclusions: {esc(exclusion_counts_text(self.excluded))}</p>")
            cols = ["row", "system", "column", "value", "reason"]
            parts.append(self.excluded[cols].head(10).to_html(index=False, escape=True))
        parts.append("</div>")
        return "".join(parts)


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
        The CSV file. ``"latest"`` (or ``"latest:DATASET"``), when no such file exists, reads
        the copy that ``flopcast data update`` downloaded
        (:func:`flopcast.runs.update.load_latest`), so a spec's ``data.source = "latest"``
        works wherever a runs path does.
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
    text = str(path)
    if (text == "latest" or text.startswith("latest:")) and not Path(path).exists():
        from flopcast.runs.update import load_latest

        return load_latest(text.partition(":")[2] or None)
    path = Path(path)
    data = path.read_bytes()
    table = _read_bytes(data, str(path), format=format, today=today)
    from flopcast.runs.update import download_record

    record = download_record(path, table.sha256)
    if record:
        table = replace(table, origin=record, note=_download_note(record))
    return table


def _download_note(record: dict[str, Any]) -> str:
    return (
        f"downloaded from {record.get('url', '?')} on {record.get('downloaded', '?')} "
        f"(Epoch AI dataset {record.get('dataset', '?')!r}, sha256 "
        f"{str(record.get('sha256', '?'))[:12]})"
    )


def load_runs(source: str = "bundled", *, include_excluded: bool = True) -> RunTable:
    """Load the bundled, curated run table (Epoch AI snapshot; see ``data/README.md``).

    Parameters
    ----------
    source
        ``"bundled"`` (default): the snapshot shipped with flopcast. ``"latest"``: the copy
        that ``flopcast data update`` downloaded last (:func:`flopcast.runs.update.load_latest`;
        its ``origin`` records URL, download time and hash). A dataset name
        (``"all"``, ``"notable"``, ``"large-scale"``, ``"frontier"``): the downloaded copy of
        that dataset.
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
    if source != "bundled":
        from flopcast.runs.update import load_latest

        return load_latest(None if source == "latest" else source)
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
    excluded = empty_excluded()
    undisclosed = empty_undisclosed()
    n_rows = table.n_input_rows
    if include_excluded:
        excluded = _read_excluded_file(bundled_data_path("excluded.csv"))
        n_rows += len(excluded)
        # The curated exclusions file keeps names and line numbers only (no dates).
        no_estimate = excluded[excluded["check"].eq("no_compute")]
        undisclosed = pd.DataFrame(
            {
                "file": no_estimate["file"],
                "row": no_estimate["row"],
                "system": no_estimate["system"],
                "date": pd.NaT,
            }
        ).reindex(columns=list(undisclosed.columns))
        undisclosed[["organization", "domain"]] = ""
        undisclosed = undisclosed.astype(empty_undisclosed().dtypes.to_dict())
        undisclosed = undisclosed.reset_index(drop=True)
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
        undisclosed=undisclosed,
    )


#: First characters that make a spreadsheet run a cell as a formula (OWASP, "CSV Injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot run as spreadsheet formulas (OWASP's advice).

    A text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets
    a leading single quote (``=HYPERLINK(...)`` -> ``'=HYPERLINK(...)``), unless the whole
    cell is a number (``-1.5`` stays a number). Numeric columns are left as they are.

    Examples
    --------
    >>> escape_formulas(pd.DataFrame({"a": ["=1+1", "-1.5", "ok"]}))["a"].tolist()
    ["'=1+1", '-1.5', 'ok']
    """
    out = frame.copy()
    for col in out.columns:
        values = out[col]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
            continue
        text = values.astype("string")
        risky = text.str.startswith(FORMULA_PREFIXES).fillna(False)
        risky &= pd.to_numeric(text.where(risky), errors="coerce").isna()
        if risky.any():
            out[col] = values.where(~risky, "'" + text)
    return out


def runs_to_csv(runs: pd.DataFrame, *, escape: bool = False) -> str:
    """Serialise a run table as canonical CSV text, byte-for-byte reproducible.

    Columns are :data:`~flopcast.runs.schema.CANONICAL_COLUMNS` (missing optional ones are written
    empty, extra ones dropped), rows sorted by date then system, dates as ``YYYY-MM-DD``,
    floats in their shortest round-trip form, ``\\n`` line endings. With ``escape``, text
    cells that a spreadsheet would run as formulas are quoted (:func:`escape_formulas`), as
    in every CSV file flopcast writes; the data hash uses the text unescaped.

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
    if escape:
        out = escape_formulas(out)
    return out.to_csv(index=False, lineterminator="\n")


def write_runs(runs: pd.DataFrame, path: str | Path) -> Path:
    """Write a run table as a canonical CSV file (UTF-8, see :func:`runs_to_csv`).

    Written atomically (a reader never sees half a file), with formula-like text cells
    escaped (:func:`escape_formulas`).

    Examples
    --------
    >>> import tempfile
    >>> out = write_runs(load_runs().runs, Path(tempfile.mkdtemp()) / "runs.csv")
    >>> len(read_runs(out).runs) == len(load_runs().runs)
    True
    """
    return write_bytes_atomic(Path(path), runs_to_csv(runs, escape=True).encode("utf-8"))


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write any table flopcast outputs as CSV: atomically, formula-like cells escaped."""
    text = escape_formulas(frame).to_csv(index=False, lineterminator="\n")
    return write_bytes_atomic(Path(path), text.encode("utf-8"))


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


def _as_date(today: dt.date | str | None) -> dt.date:
    if today is None:
        return dt.date.today()
    try:
        return parse_date(today, what="today")
    except FlopcastError as exc:
        raise DataValidationError(str(exc)) from None


def _read_bytes(data: bytes, name: str, *, format: Format, today: dt.date | str | None) -> RunTable:
    """The importer behind :func:`read_runs`: ``data`` are the bytes of the file ``name``."""
    today_d = _as_date(today)
    sha = hashlib.sha256(data).hexdigest()
    text = decode_text(data, name)
    headers, df = parse_csv(text, name)
    fmt = detect_format(headers, format)
    mapping, ignored = map_columns(headers, fmt, name)
    lines = record_lines(data, text, len(df))
    n = len(df)

    raw = pd.DataFrame(
        {col: df[src].astype(str) for col, src in mapping.items()}, index=pd.RangeIndex(n)
    )
    system = raw["system"].str.replace(r"\s+", " ", regex=True).str.strip()
    cells = {col: Cells(raw[col], money=col == "cost_usd") for col in raw.columns}

    # Epoch rows without any estimate are expected: excluded, but not problems.
    if fmt == "epoch":
        no_compute = cells["compute_flop"].blank.to_numpy()
    else:
        no_compute = np.zeros(n, dtype=bool)
    fails = run_cell_checks(raw, cell_checks(fmt, list(raw.columns), today_d), cells, no_compute)

    # Duplicated names among the candidate rows: keep the first, exclude the others.
    dups = duplicate_name_checks(system, no_compute, lines)
    if len(dups):
        fails = pd.concat([fails, dups], ignore_index=True) if len(fails) else dups

    # Parsed values.
    values = parsed_values(raw, cells, system, fmt)

    # Bounds that do not contain the estimate (beyond rounding) are ignored.
    bound_fails = bound_checks(values, ~no_compute)
    if len(bound_fails):
        fails = pd.concat([fails, bound_fails], ignore_index=True) if len(fails) else bound_fails

    problems = problems_frame(fails, raw, mapping, system, lines, name)

    # Values reported as ignored are blanked.
    ignored_fails = fails[fails["action"].eq(VALUE_IGNORED)]
    for col, idx in ignored_fails.groupby("col")["index"]:
        values.loc[idx.to_numpy(dtype=np.int64), col] = np.nan

    excluded_idx = np.unique(
        fails.loc[fails["action"].eq(ROW_EXCLUDED), "index"].to_numpy(dtype=np.int64)
    )
    keep = ~no_compute.copy()
    keep[excluded_idx] = False

    runs = values.loc[keep].copy()
    runs = runs.sort_values(["date", "system"], kind="stable").reset_index(drop=True)
    runs = runs.astype({"date": "datetime64[ns]"})

    excluded = excluded_frame(problems, raw, mapping, system, lines, no_compute, name)
    undisclosed = undisclosed_frame(raw, system, lines, no_compute, name)
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
        undisclosed=undisclosed,
    )


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
