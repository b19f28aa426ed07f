"""Choosing the runs a fit uses: spec data filters and frontier rules.

Every run that a filter or a frontier rule leaves out is counted with the reason, so reports
can say exactly how the fitted sample was formed.
"""

from __future__ import annotations

import difflib

import numpy as np
import pandas as pd

from flopcast.exceptions import SpecError
from flopcast.spec import DataSpec, FrontierSpec, Selection


def _first_domain(domains: pd.Series) -> pd.Series:
    return domains.fillna("").astype(str).str.split(",").str[0].str.strip().str.lower()


def _domain_sets(domains: pd.Series) -> list[set[str]]:
    return [
        {d.strip().lower() for d in str(v).split(",") if d.strip()} if isinstance(v, str) else set()
        for v in domains
    ]


def _match_systems(runs: pd.DataFrame, names: list[str], what: str) -> np.ndarray:
    """Boolean mask of runs whose system is in ``names`` (case-insensitive); all must exist."""
    lower = runs["system"].astype(str).str.strip().str.lower()
    known = set(lower)
    missing = [n for n in names if n.strip().lower() not in known]
    if missing:
        hints = []
        for name in missing:
            close = difflib.get_close_matches(name, runs["system"].astype(str).tolist(), n=3)
            hints.append(f"{name!r} (closest: {close})" if close else repr(name))
        raise SpecError(f"data.select.{what}: no run named {', '.join(hints)}")
    wanted = {n.strip().lower() for n in names}
    return lower.isin(wanted).to_numpy()


def _closest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=3)
    if not close:
        close = difflib.get_close_matches(name.lower(), [k.lower() for k in known], n=3)
    return f"{name!r} (closest: {close})" if close else repr(name)


def check_selection(runs: pd.DataFrame, data: DataSpec) -> None:
    """Every domain, system and ``where`` value named in any block exists in the data.

    A misspelt name in one block would otherwise select nothing while another block still
    matches, and the fit would silently use fewer runs than meant.

    Raises
    ------
    SpecError
        Naming the block, the unknown values and the closest names in the data.
    """
    domains = sorted({d for s in _domain_sets(runs.get("domain", pd.Series(dtype=str))) for d in s})
    for i, block in enumerate(data.select):
        where = f"data.select[{i}]"
        for field in ("domains", "exclude_domains"):
            missing = [d for d in getattr(block, field) if d.strip().lower() not in domains]
            if missing:
                hints = ", ".join(_closest(d.lower(), domains) for d in missing)
                raise SpecError(f"{where}.{field}: no run has the domain {hints}")
        for field in ("systems", "exclude_systems"):
            if getattr(block, field):
                _match_systems(runs, getattr(block, field), f"{field} (block {i})")
        for column, values in block.where.items():
            if column not in runs.columns:
                raise SpecError(f"{where}.where: the data has no column {column!r}")
            present = runs[column].dropna()
            known = {str(v) for v in present}
            missing = [v for v in values if str(v) not in known and v not in set(present)]
            if missing:
                hints = ", ".join(_closest(str(v), sorted(known)) for v in missing)
                raise SpecError(f"{where}.where.{column}: no run has the value {hints}")


def check_breaks_in_data(runs: pd.DataFrame, years: np.ndarray, fixed: list[float] | None) -> None:
    """Fixed break dates must lie inside the span of the runs fitted (decimal ``years``)."""
    if not fixed or not len(years):
        return
    lo, hi = float(np.min(years)), float(np.max(years))
    outside = [b for b in fixed if not lo < b < hi]
    if outside:
        raise SpecError(
            f"model.fixed_breaks {outside}: outside the fitted runs ({lo:.2f} to {hi:.2f}); "
            "a break must fall between the first and the last run"
        )


def selection_mask(runs: pd.DataFrame, block: Selection) -> np.ndarray:
    """Runs that pass every filter of one selection block.

    Examples
    --------
    >>> runs = pd.DataFrame({"system": ["a", "b"], "date": pd.to_datetime(["2000-01-01",
    ...     "2020-01-01"]), "domain": ["Language", "Games"]})
    >>> selection_mask(runs, Selection(exclude_domains=["Games"])).tolist()
    [True, False]
    """
    mask = np.ones(len(runs), dtype=bool)
    dates = pd.to_datetime(runs["date"])
    if block.date_min is not None:
        mask &= (dates >= pd.Timestamp(block.date_min)).to_numpy()
    if block.date_max is not None:
        mask &= (dates <= pd.Timestamp(block.date_max)).to_numpy()
    if block.domains or block.exclude_domains:
        sets = _domain_sets(runs.get("domain", pd.Series([None] * len(runs))))
        if block.domains:
            wanted = {d.lower() for d in block.domains}
            mask &= np.array([bool(s & wanted) for s in sets], dtype=bool)
        if block.exclude_domains:
            unwanted = {d.lower() for d in block.exclude_domains}
            mask &= np.array([not (s & unwanted) for s in sets], dtype=bool)
    if block.confidences:
        mask &= runs["confidence"].isin(block.confidences).to_numpy()
    if block.methods:
        mask &= runs["method"].isin(block.methods).to_numpy()
    if block.systems:
        mask &= _match_systems(runs, block.systems, "systems")
    if block.exclude_systems:
        mask &= ~_match_systems(runs, block.exclude_systems, "exclude_systems")
    for column, values in block.where.items():
        if column not in runs.columns:
            raise SpecError(f"data.select.where: the data has no column {column!r}")
        mask &= runs[column].isin(values).to_numpy()
    return mask


def select_runs(runs: pd.DataFrame, data: DataSpec) -> tuple[pd.DataFrame, int]:
    """Apply a spec's selection blocks (their union); return the runs kept and how many not.

    With no block every run is kept.

    Examples
    --------
    >>> runs = pd.DataFrame({"system": ["a", "b"], "date": pd.to_datetime(["2000-01-01",
    ...     "2020-01-01"]), "domain": ["Language", "Games"]})
    >>> kept, n_left_out = select_runs(runs, DataSpec(select=[Selection(domains=["Games"])]))
    >>> kept["system"].tolist(), n_left_out
    (['b'], 1)
    """
    if not data.select:
        return runs.copy(), 0
    check_selection(runs, data)
    mask = np.zeros(len(runs), dtype=bool)
    for block in data.select:
        mask |= selection_mask(runs, block)
    return runs.loc[mask].copy(), int((~mask).sum())


def top_n_at_publication(runs: pd.DataFrame, n: int = 10) -> np.ndarray:
    """Runs that were among the ``n`` largest by compute when published (Epoch's rule).

    A run's rank counts every run published on or before its date (ties in date count as
    earlier), so the first ``n`` runs in the data are always on the frontier.

    Examples
    --------
    >>> runs = pd.DataFrame({"date": pd.to_datetime(["2000", "2001", "2002", "2003"]),
    ...                      "compute_flop": [10.0, 5.0, 20.0, 1.0]})
    >>> top_n_at_publication(runs, n=2).tolist()
    [True, True, True, False]
    """
    order = np.lexsort((-runs["compute_flop"].to_numpy(), pd.to_datetime(runs["date"]).to_numpy()))
    compute = runs["compute_flop"].to_numpy()[order]
    dates = pd.to_datetime(runs["date"]).to_numpy()[order]
    on_frontier_sorted = np.zeros(len(order), dtype=bool)
    for i in range(len(order)):
        # Everything published up to and including this run's date.
        last = np.searchsorted(dates, dates[i], side="right")
        rank = int((compute[:last] > compute[i]).sum()) + 1
        on_frontier_sorted[i] = rank <= n
    mask = np.zeros(len(order), dtype=bool)
    mask[order] = on_frontier_sorted
    return mask


def residual_frontier(residuals: np.ndarray, threshold_dex: float) -> np.ndarray:
    """Runs whose published value lies more than ``threshold_dex`` above the median trend.

    Examples
    --------
    >>> residual_frontier(np.array([0.1, 1.5, -2.0]), threshold_dex=1.0).tolist()
    [False, True, False]
    """
    return np.asarray(residuals, dtype=float) > threshold_dex


def apply_top_n(runs: pd.DataFrame, frontier: FrontierSpec) -> tuple[pd.DataFrame, int]:
    """Keep the top-N frontier when the spec asks for it; other rules pass runs through.

    Returns the runs kept and how many were left out.

    Examples
    --------
    >>> runs = pd.DataFrame({"date": pd.to_datetime(["2000", "2001", "2002"]),
    ...                      "compute_flop": [10.0, 5.0, 20.0]})
    >>> kept, n_left_out = apply_top_n(runs, FrontierSpec(rule="top_n", n=1))
    >>> kept["compute_flop"].tolist(), n_left_out
    ([10.0, 20.0], 1)
    """
    if frontier.rule != "top_n":
        return runs, 0
    mask = top_n_at_publication(runs, frontier.n)
    return runs.loc[mask].copy(), int((~mask).sum())
