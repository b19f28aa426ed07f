"""Problem and exclusion tables: one row per bad cell, one row per row left out.

A *problem* is one cell that failed a check (:data:`PROBLEM_COLUMNS`); its ``action`` says
whether the whole row was excluded or only that value ignored. An *exclusion* is one input row
that is not among the usable runs (:data:`EXCLUDED_COLUMNS`), with every reason it was left
out. Row numbers are 1-based line numbers in the file (the header is line 1).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from flopcast.exceptions import DataValidationError
from flopcast.runs.schema import CANONICAL_COLUMNS

#: Columns of :attr:`RunTable.problems`: one row per problem cell. ``row`` is the 1-based line
#: number in the file (header = 1); ``check`` a stable identifier of the failed check;
#: ``action`` is ``"row excluded"``, ``"value ignored"`` or, for a plausibility warning
#: (a date before 1940, compute below 1e3 FLOP), ``"row kept (check the value)"``.
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

#: Columns of :attr:`RunTable.undisclosed`: runs listed without a compute estimate. ``date``
#: is parsed leniently (``NaT`` when missing or unparsable), ``compute_lower`` is Epoch's
#: "Training compute lower bound" when given (FLOP, else NaN).
UNDISCLOSED_COLUMNS: tuple[str, ...] = (
    "file",
    "row",
    "system",
    "date",
    "organization",
    "domain",
    "compute_lower",
)

#: ``action`` of a problem that removes its row from the usable runs.
ROW_EXCLUDED = "row excluded"
#: ``action`` of a problem that only blanks the one optional value.
VALUE_IGNORED = "value ignored"
#: ``action`` of a plausibility warning: the row is kept and used; check the value.
ROW_KEPT = "row kept (check the value)"

#: Short labels for each check, used when counting exclusions by reason.
CHECK_LABELS: dict[str, str] = {
    "no_compute": NO_COMPUTE_REASON,
    "system_missing": "system name missing",
    "date_missing": "date missing",
    "date_unparsable": "date not parsable (expected YYYY-MM-DD)",
    "date_future": "date in the future",
    "date_range": "date out of range",
    "date_early": "date before 1940 (kept; check it)",
    "compute_tiny": "compute below 1e3 FLOP (kept; check it)",
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


def file_error(
    name: str, message: str, *, row: int | None = None, column: str = "", value: str = ""
) -> DataValidationError:
    """The error for a file that is unusable as a whole, with a one-row problem table."""
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


def shorten(value: object, width: int = 60) -> str:
    """``value`` on one line, cut to ``width`` characters (for messages and printed tables)."""
    text = " ".join(str(value).split()) if value is not None else ""
    return text if len(text) <= width else text[: width - 3] + "..."


def problems_frame(
    fails: pd.DataFrame,
    raw: pd.DataFrame,
    mapping: Mapping[str, str],
    system: pd.Series,
    lines: np.ndarray,
    name: str,
) -> pd.DataFrame:
    """One row per failed check (:data:`PROBLEM_COLUMNS` plus ``_order``), by row then column.

    ``fails`` has columns index, col (canonical name), check, reason, action; ``mapping`` gives
    the input header of each canonical column and ``lines`` the file line of each row.
    """
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


def empty_excluded() -> pd.DataFrame:
    """An exclusion table without rows, with the column types of a full one."""
    out = pd.DataFrame({c: pd.Series(dtype="str") for c in EXCLUDED_COLUMNS})
    out["row"] = pd.Series(dtype="int64")
    return out


def empty_undisclosed() -> pd.DataFrame:
    """An undisclosed-runs table without rows (:data:`UNDISCLOSED_COLUMNS`)."""
    return pd.DataFrame(
        {
            "file": pd.Series(dtype="str"),
            "row": pd.Series(dtype="int64"),
            "system": pd.Series(dtype="str"),
            "date": pd.Series(dtype="datetime64[ns]"),
            "organization": pd.Series(dtype="str"),
            "domain": pd.Series(dtype="str"),
            "compute_lower": pd.Series(dtype="float64"),
        }
    )


def undisclosed_frame(
    raw: pd.DataFrame, system: pd.Series, lines: np.ndarray, no_compute: np.ndarray, name: str
) -> pd.DataFrame:
    """One row per input row without a compute estimate (runs whose compute is undisclosed).

    Their cells are not checked (they are not candidates for a fit), so the date and the
    lower bound are parsed leniently: a bad value becomes ``NaT``/``NaN``.
    """
    if not no_compute.any():
        return empty_undisclosed()
    idx = np.flatnonzero(no_compute)

    def text(col: str) -> np.ndarray:
        if col not in raw:
            return np.full(len(idx), "", dtype=object)
        return raw[col].to_numpy()[idx]

    dates = pd.to_datetime(pd.Series(text("date")).str.strip(), errors="coerce", format="mixed")
    lower = pd.to_numeric(pd.Series(text("compute_lower")).str.strip(), errors="coerce")
    out = pd.DataFrame(
        {
            "file": name,
            "row": lines[idx].astype("int64"),
            "system": system.to_numpy()[idx],
            "date": dates.to_numpy(dtype="datetime64[ns]"),
            "organization": pd.Series(text("organization")).fillna("").astype("str").to_numpy(),
            "domain": pd.Series(text("domain")).fillna("").astype("str").to_numpy(),
            "compute_lower": lower.where(lower > 0).to_numpy(dtype="float64"),
        }
    )
    return out.astype(empty_undisclosed().dtypes.to_dict()).reset_index(drop=True)


def excluded_frame(
    problems: pd.DataFrame,
    raw: pd.DataFrame,
    mapping: Mapping[str, str],
    system: pd.Series,
    lines: np.ndarray,
    no_compute: np.ndarray,
    name: str,
) -> pd.DataFrame:
    """One row per input row left out: Epoch rows without an estimate, rows with problems."""
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
    bad = problems[problems["action"].eq(ROW_EXCLUDED)]
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
        return empty_excluded()
    out = pd.concat(parts, ignore_index=True)[list(EXCLUDED_COLUMNS)]
    out = out.sort_values("row", kind="stable").reset_index(drop=True)
    out["row"] = out["row"].astype("int64")
    for col in ("file", "system", "column", "value", "reason", "check"):
        out[col] = out[col].astype("str")
    return out


def exclusion_counts(excluded: pd.DataFrame) -> pd.DataFrame:
    """Rows excluded per reason (a row with several reasons counts under each), most first."""
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


def exclusion_counts_text(excluded: pd.DataFrame) -> str:
    """The exclusion counts on one line: ``"reason n, reason n"``."""
    counts = exclusion_counts(excluded)
    return ", ".join(f"{r} {n}" for r, n in zip(counts["reason"], counts["rows"], strict=True))
