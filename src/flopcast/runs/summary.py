"""What ``flopcast data`` prints: counts that describe a run table, and plain-text tables."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from flopcast.dates import decimal_year
from flopcast.runs.error_groups import ErrorModel, assign_error_groups
from flopcast.runs.problems import CHECK_LABELS, VALUE_IGNORED, exclusion_counts, shorten
from flopcast.runs.schema import CONFIDENCES, METHODS

if TYPE_CHECKING:
    from flopcast.runs.table import RunTable


def summarize_runs(
    table: RunTable, error_model: ErrorModel | None = None
) -> dict[str, pd.DataFrame]:
    """Counts that describe a run table, as DataFrames (used by ``flopcast data summary``).

    Parameters
    ----------
    table
        A table from :func:`~flopcast.runs.read_runs` or :func:`~flopcast.runs.load_runs`.
    error_model
        Decides the era boundary and the error groups (default :class:`ErrorModel()`).

    Returns
    -------
    dict of str to pandas.DataFrame
        ``overview`` (item, value), ``era``, ``method``, ``confidence``, ``domain`` (first
        listed domain) with a ``runs`` count each; ``error_groups`` (groups present, with
        factor, sigma_log10, runs, and how many of those use explicit bounds instead);
        ``exclusions`` (reason, rows; a row with several reasons counts under each),
        ``ignored_values`` (problems that only blanked one optional value), and
        ``undisclosed_by_year`` / ``undisclosed_by_developer`` (runs listed without a
        compute estimate; :func:`undisclosed_counts`).

    Examples
    --------
    >>> from flopcast.runs import load_runs
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

    out["exclusions"] = exclusion_counts(table.excluded)
    ignored = table.problems[table.problems["action"].eq(VALUE_IGNORED)]
    out["ignored_values"] = (
        ignored.groupby(["column", "check"], sort=True)
        .size()
        .rename("values")
        .reset_index()
        .assign(reason=lambda d: d["check"].map(CHECK_LABELS).fillna(d["check"]))[
            ["column", "reason", "values"]
        ]
    )
    out["undisclosed_by_year"] = undisclosed_counts(table, "year")
    out["undisclosed_by_developer"] = undisclosed_counts(table, "developer")
    return out


def _developers(organization: pd.Series) -> pd.Series:
    """Each row's developers: Epoch joins several organisations with commas."""
    return (
        organization.fillna("")
        .astype("str")
        .str.split(",")
        .map(lambda names: [n.strip() for n in names if n.strip()] or ["(unknown)"])
    )


def undisclosed_counts(table: RunTable, by: str = "year") -> pd.DataFrame:
    """Runs listed without a compute estimate, counted per publication year or developer.

    Parameters
    ----------
    table
        A run table; its :attr:`~flopcast.runs.RunTable.undisclosed` rows are counted.
    by
        ``"year"`` (columns year, runs; ``"unknown"`` when the date is missing, as in the
        bundled snapshot's exclusions file) or ``"developer"`` (developer, runs; a run with
        several developers counts under each), most recent year or most runs first.

    Examples
    --------
    >>> from flopcast.runs import load_runs
    >>> int(undisclosed_counts(load_runs())["runs"].sum())
    904
    """
    rows = table.undisclosed
    if by == "year":
        years = rows["date"].dt.year.map(lambda y: "unknown" if pd.isna(y) else str(int(y)))
        counts = years.value_counts().rename_axis("year").reset_index(name="runs")
        return counts.sort_values("year", ascending=False, kind="stable").reset_index(drop=True)
    if by == "developer":
        devs = _developers(rows["organization"]).explode()
        counts = devs.value_counts().rename_axis("developer").reset_index(name="runs")
        counts = counts.sort_values(["runs", "developer"], ascending=[False, True], kind="stable")
        return counts.reset_index(drop=True).astype({"developer": "str", "runs": "int64"})
    raise ValueError(f"by must be 'year' or 'developer', got {by!r}")


#: A developer counts as a frontier developer when it had a top-10 run (by compute when
#: published) within this many years before the ``since`` date of
#: :func:`undisclosed_at_frontier`, or after it.
FRONTIER_WINDOW_YEARS = 3


@dataclass(frozen=True)
class UndisclosedFrontier:
    """Recent runs without a compute estimate by developers that had a top-10 run.

    ``count`` runs published on or after ``since`` by one of ``developers`` (every developer
    with a run among the 10 largest by compute when published, published within
    :data:`FRONTIER_WINDOW_YEARS` before ``since`` or later) have no compute estimate;
    ``runs`` lists them (system, date, organization).
    """

    count: int
    since: dt.date
    developers: tuple[str, ...]
    runs: pd.DataFrame

    def sentence(self) -> str:
        """``"N runs published since DATE by developers with a top-10 run have no ..."``."""
        return (
            f"{self.count} run{'s' if self.count != 1 else ''} published since "
            f"{self.since:%Y-%m-%d} by developers with a top-10 run "
            f"{'have' if self.count != 1 else 'has'} no compute estimate"
        )


def undisclosed_at_frontier(table: RunTable, since: dt.date | None = None) -> UndisclosedFrontier:
    """Count undisclosed runs by frontier developers (those with a top-10 run when published).

    Parameters
    ----------
    table
        A run table with dates on its undisclosed rows (an Epoch export; the bundled
        snapshot keeps no dates for them, so its count is 0).
    since
        First publication date counted (default: 1 January of the year before the newest
        date in the table).

    Examples
    --------
    >>> from flopcast.runs import load_runs
    >>> undisclosed_at_frontier(load_runs()).sentence()[:40]
    '0 runs published since 2024-01-01 by dev'
    """
    from flopcast.runs.selection import top_n_at_publication  # selection imports the spec

    runs = table.runs
    rows = table.undisclosed
    if since is None:
        newest = pd.concat([runs["date"], rows["date"]]).max()
        year = (newest.year if pd.notna(newest) else dt.date.today().year) - 1
        since = dt.date(year, 1, 1)
    developers: set[str] = set()
    if len(runs) and "organization" in runs:
        top = top_n_at_publication(runs, 10)
        window = runs["date"].ge(pd.Timestamp(since) - pd.DateOffset(years=FRONTIER_WINDOW_YEARS))
        for names in _developers(runs.loc[top & window.to_numpy(), "organization"]):
            developers.update(names)
    developers.discard("(unknown)")
    recent = rows[rows["date"].ge(pd.Timestamp(since))]
    by_frontier = _developers(recent["organization"]).map(
        lambda names: bool(set(names) & set(developers))
    )
    chosen = recent.loc[by_frontier.to_numpy(dtype=bool), ["system", "date", "organization"]]
    chosen = chosen.sort_values(["date", "system"], kind="stable").reset_index(drop=True)
    return UndisclosedFrontier(len(chosen), since, tuple(sorted(developers)), chosen)


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
            shown[col] = shown[col].map(shorten)
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


def _label_counts(values: pd.Series | None, labels: tuple[str, ...], name: str) -> pd.DataFrame:
    counts = (values.value_counts() if values is not None else pd.Series(dtype="int64")).reindex(
        list(labels), fill_value=0
    )
    return pd.DataFrame({name: list(labels), "runs": counts.to_numpy(dtype=np.int64)})
