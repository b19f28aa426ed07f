"""Cell checks and parsing: every cell of the table judged on its own, plus bounds and duplicates.

The per-cell checks are declared as a pandera ``DataFrameSchema`` and run with
``lazy=True``: pandera is a declarative, well-maintained validation library whose lazy mode
collects *all* failures (column, check, row index) in one pass instead of stopping at the first,
which is exactly the "report everything at once" contract; each check is a vectorised function
of a whole column, so a 100,000-row file validates in well under a second. Checks that relate
several columns or rows (bounds against the estimate, duplicate names) are plain vectorised
pandas.

Cell-level failures never raise: each becomes one row of a failure frame (index, col, check,
reason, action) and the caller moves the row to the exclusions (``action`` ``"row
excluded"``) or blanks the value (``"value ignored"``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import pandera.pandas as pa

from flopcast.exceptions import DataValidationError
from flopcast.runs.epoch import epoch_methods
from flopcast.runs.problems import ROW_EXCLUDED, ROW_KEPT, VALUE_IGNORED
from flopcast.runs.schema import (
    CANONICAL_COLUMNS,
    CONFIDENCES,
    DEFAULT_CONFIDENCE,
    DEFAULT_METHOD,
    METHODS,
    NUMERIC_OPTIONAL_COLUMNS,
)

#: Explicit bounds may miss the estimate by this relative amount (rounding in the source)
#: before they are reported as inconsistent and ignored.
BOUND_ROUNDING_TOLERANCE = 0.01

#: The default text dtype of the installed pandas ("str" in pandas 3, object before); casting
#: to it keeps missing values missing, where ``astype(str)`` in pandas 2 writes "nan".
_TEXT_DTYPE = pd.Series(["text"]).dtype
#: A date, optionally followed by an ISO time of day and zone (both dropped).
_DATE_RE = (
    r"^\s*(\d{4}-\d{1,2}-\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d*)?)?)?"
    r"(?:Z|[+-]\d{2}(?::?\d{2})?)?\s*$"
)
#: Dates a run table can hold (pandas' nanosecond timestamps).
DATE_MIN, DATE_MAX = pd.Timestamp("1678-01-01"), pd.Timestamp("2261-12-31")
#: Plausibility limits: earlier dates and smaller compute are kept with a warning.
PLAUSIBLE_DATE_MIN = pd.Timestamp("1940-01-01")
PLAUSIBLE_COMPUTE_MIN = 1e3
_NAN_TEXT = "nan"
#: Columns of the failure frames every check returns (``index`` is the row's position).
_FAILURE_COLUMNS = ["index", "col", "check", "reason", "action"]


class Cells:
    """Parsed views of one raw string column, computed once and shared by all its checks.

    ``money`` columns may carry a leading ``$`` and thousands separators.
    """

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
    def date_out_of_range(self) -> pd.Series:
        """A real calendar date (YYYY-MM-DD) that a run table cannot hold."""
        out = pd.Series(False, index=self.s.index)
        maybe = self.date.isna() & self.s.str.contains(r"\d{4}-", regex=True)
        if maybe.any():
            core = self.s[maybe].str.extract(_DATE_RE, expand=False)
            out[maybe] = core.map(_is_calendar_date).astype(bool)
        return out

    @cached_property
    def label(self) -> pd.Series:
        return self.stripped.str.casefold()


@dataclass(frozen=True)
class CellCheck:
    """One check of a column's cells: ``key`` names it (see ``CHECK_LABELS``), ``test`` is True
    where a cell passes, ``reason`` completes the message after the column name, and
    ``action`` says what a failure does to the row."""

    key: str
    test: Callable[[Cells], pd.Series]  # True where the cell passes
    reason: str
    action: str = ROW_EXCLUDED


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
    return parsed.where((parsed >= DATE_MIN) & (parsed <= DATE_MAX))


def _is_calendar_date(text: object) -> bool:
    try:
        dt.date.fromisoformat(str(text))
    except ValueError:
        return False
    return True


def _finite(x: pd.Series) -> pd.Series:
    return pd.Series(np.isfinite(x.to_numpy(dtype=float)), index=x.index)


_REQUIRED_COMPUTE_CHECKS: tuple[CellCheck, ...] = (
    CellCheck(
        "compute_text",
        lambda c: c.blank | c.nan_text | c.number.notna(),
        "is text, not a number (write e.g. 3.1e23)",
    ),
    CellCheck("compute_nan", lambda c: ~c.nan_text, "is NaN (compute must be a number > 0)"),
    CellCheck("compute_inf", lambda c: _finite(c.number) | c.number.isna(), "is infinite"),
    CellCheck("compute_zero", lambda c: c.number.ne(0.0), "is zero (compute must be > 0)"),
    CellCheck(
        "compute_tiny",
        lambda c: ~((c.number > 0) & (c.number < PLAUSIBLE_COMPUTE_MIN)),
        "is below 1e3 FLOP: implausibly small (row kept; check the value)",
        ROW_KEPT,
    ),
    CellCheck(
        "compute_negative",
        lambda c: ~(c.number < 0) | ~_finite(c.number),
        "is negative (compute must be > 0)",
    ),
)
_COMPUTE_MISSING = CellCheck("compute_missing", lambda c: ~c.blank, "is missing")
_SYSTEM_MISSING = CellCheck(
    "system_missing", lambda c: ~c.blank, "is missing (every run needs a system name)"
)
_OPTIONAL_NUMBER_CHECKS: tuple[CellCheck, ...] = (
    CellCheck(
        "number_text",
        lambda c: c.blank | c.number.notna(),
        "is not a number (value ignored)",
        VALUE_IGNORED,
    ),
    CellCheck(
        "number_nonpositive",
        lambda c: c.number.isna() | ((c.number > 0) & _finite(c.number)),
        "is not a positive finite number (value ignored)",
        VALUE_IGNORED,
    ),
)
_UTILIZATION_RANGE = CellCheck(
    "utilization_range",
    lambda c: ~(c.number > 1.0) | ~_finite(c.number),
    "is above 1 (value ignored: utilization is a fraction, 0.4 not 40)",
    VALUE_IGNORED,
)


def _date_checks(today: dt.date) -> list[CellCheck]:
    limit = pd.Timestamp(today)
    return [
        CellCheck("date_missing", lambda c: ~c.blank, "is missing"),
        CellCheck(
            "date_unparsable",
            lambda c: c.blank | c.date.notna() | c.date_out_of_range,
            "is not a valid YYYY-MM-DD date",
        ),
        CellCheck(
            "date_range",
            lambda c: ~c.date_out_of_range,
            f"is out of range (dates from {DATE_MIN:%Y-%m-%d} to {DATE_MAX:%Y-%m-%d} can be read)",
        ),
        CellCheck(
            "date_early",
            lambda c: ~(c.date < PLAUSIBLE_DATE_MIN),
            "is before 1940: implausibly early for a training run (row kept; check the date)",
            ROW_KEPT,
        ),
        CellCheck(
            "date_future",
            lambda c: ~(c.date > limit),
            f"is in the future (after {today:%Y-%m-%d})",
        ),
    ]


def _label_check(key: str, allowed: tuple[str, ...], what: str) -> CellCheck:
    return CellCheck(
        key,
        lambda c: c.blank | c.label.isin(allowed),
        f"is not a known {what} label (allowed: {', '.join(allowed)}, or empty)",
    )


def cell_checks(fmt: str, columns: list[str], today: dt.date) -> dict[str, list[CellCheck]]:
    """The declarative check table: canonical column -> its checks."""
    compute = list(_REQUIRED_COMPUTE_CHECKS)
    if fmt == "canonical":  # in Epoch exports a blank estimate is an expected exclusion
        compute.insert(0, _COMPUTE_MISSING)
    checks: dict[str, list[CellCheck]] = {
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


def run_cell_checks(
    raw: pd.DataFrame,
    checks: dict[str, list[CellCheck]],
    cells: Mapping[str, Cells],
    skip: np.ndarray,
) -> pd.DataFrame:
    """Run the checks as one lazy pandera schema; (index, column, check) of every failure.

    ``cells`` holds the parsed views of ``raw``'s columns (shared with the importer so each
    column is parsed once); rows where ``skip`` is true pass every check.
    """
    by_key = {(col, c.key): c for col, cs in checks.items() for c in cs}
    skipped = pd.Series(skip, index=raw.index)

    def to_pandera(col: str, check: CellCheck) -> pa.Check:
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
    empty = pd.DataFrame(columns=_FAILURE_COLUMNS)
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
        known = [c for c in keys if c is not None]  # every key is known (checked above)
        return pd.DataFrame(
            {
                "index": fc["index"].astype(np.int64).to_numpy(),
                "col": fc["column"].astype(str).to_numpy(),
                "check": [c.key for c in known],
                "reason": [c.reason for c in known],
                "action": [c.action for c in known],
            }
        )
    return empty


def duplicate_name_checks(
    system: pd.Series, no_compute: np.ndarray, lines: np.ndarray
) -> pd.DataFrame:
    """Duplicated names among the candidate rows: the first is kept, the others excluded.

    ``system`` holds the normalised names, ``no_compute`` marks rows that are not candidates
    and ``lines`` the file line of each row (for the "first at row" message).
    """
    names = system.loc[~no_compute]
    names = names[names.ne("")].str.casefold()  # specs match names ignoring case
    dup_mask = names.duplicated(keep="first").to_numpy()
    if not dup_mask.any():
        return pd.DataFrame(columns=_FAILURE_COLUMNS)
    first_index = names.index.to_series().groupby(names.to_numpy(), sort=False).transform("min")
    first_line = lines[first_index.to_numpy()[dup_mask]]
    return pd.DataFrame(
        {
            "index": names.index.to_numpy(dtype=np.int64)[dup_mask],
            "col": "system",
            "check": "duplicate",
            "reason": [
                f"is a duplicate name (first at row {r}, which is kept; names are compared "
                "ignoring case)"
                for r in first_line
            ],
            "action": ROW_EXCLUDED,
        }
    )


def parsed_values(
    raw: pd.DataFrame, cells: Mapping[str, Cells], system: pd.Series, fmt: str
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
        out["method"] = epoch_methods(method_raw)
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


def bound_checks(values: pd.DataFrame, candidate: np.ndarray) -> pd.DataFrame:
    """Explicit bounds that miss the estimate by more than rounding (the values are ignored)."""
    est = values["compute_flop"].to_numpy(dtype=float)
    lo = values["compute_lower"].to_numpy(dtype=float)
    hi = values["compute_upper"].to_numpy(dtype=float)
    tol = 1.0 + BOUND_ROUNDING_TOLERANCE
    with np.errstate(invalid="ignore", over="ignore"):  # compute near 1.8e308 may overflow
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
                        "action": VALUE_IGNORED,
                    }
                )
            )
    if not frames:
        return pd.DataFrame(columns=_FAILURE_COLUMNS)
    return pd.concat(frames, ignore_index=True)
