"""What "the frontier" is in a forecast: a frontier fit's trend or a population quantile.

From a fit whose spec has a frontier rule (``models/frontier.toml``: runs that were among the
10 largest when published), the frontier *is* the fit's trend. From a full-population fit it
is a high population quantile: if a share ``s`` of the recent runs were top-10 when
published, the frontier runs are the top ``s`` of the population, whose median lies at the
quantile ``q = 1 - s / 2`` (``s`` is measured on the fit's runs of the last
:data:`FRONTIER_WINDOW_YEARS` years; about 0.075 on the bundled data, so ``q`` is about
0.96). An individual frontier run is then a draw from the top ``s`` of the population.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from flopcast.dates import decimal_year
from flopcast.exceptions import FlopcastError
from flopcast.fitting import Fit
from flopcast.runs.selection import top_n_at_publication

__all__ = [
    "FRONTIER_N",
    "FRONTIER_WINDOW_YEARS",
    "FrontierDefinition",
    "frontier_definition",
    "frontier_share",
    "scatter_quantile",
]

#: Frontier rule used to derive a frontier from a full-population fit: top N when published.
FRONTIER_N: int = 10
#: The frontier share is measured on the runs of the last this many years of data.
FRONTIER_WINDOW_YEARS: float = 5.0


@dataclass(frozen=True)
class FrontierDefinition:
    """What "the frontier" means in a forecast.

    Attributes
    ----------
    kind : {"fit", "quantile"}
        ``"fit"``: the fit's own trend (its spec selects frontier runs). ``"quantile"``: the
        population quantile ``quantile`` of a full-population fit.
    quantile : float or None
        The population quantile of the frontier's median run (``1 - share / 2``).
    share : float or None
        Share of the population counted as frontier (the top ``share``).
    description : str
        One line for reports.
    spec_name : str or None
        The spec of the fit the frontier comes from (the frontier model).
    data_sha256 : str or None
        The sha256 of that fit's data.
    separate : bool
        True when the frontier comes from a frontier fit separate from the fit that gives
        the typical run and the counts (:mod:`~flopcast.forecasting.frontier_source`).
    """

    kind: str
    quantile: float | None
    share: float | None
    description: str
    spec_name: str | None = None
    data_sha256: str | None = None
    separate: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Plain values for JSON: ``kind``, ``quantile``, ``share``, ``description``,
        ``spec`` and ``data_sha256`` (the model the frontier comes from) and
        ``separate_fit``."""
        return {
            "kind": self.kind,
            "quantile": self.quantile,
            "share": self.share,
            "description": self.description,
            "spec": self.spec_name,
            "data_sha256": self.data_sha256,
            "separate_fit": self.separate,
        }


def frontier_share(
    runs: pd.DataFrame, n: int = FRONTIER_N, window_years: float = FRONTIER_WINDOW_YEARS
) -> float:
    """Share of the runs of the last ``window_years`` that were top ``n`` when published.

    Parameters
    ----------
    runs : pandas.DataFrame
        Runs with ``date`` and ``compute_flop`` (the rank counts every run given).
    n : int, default 10
        Frontier rule: among the ``n`` largest by compute when published.
    window_years : float, default 5
        Window, ending at the last run, in which the share is measured.

    Returns
    -------
    float

    Examples
    --------
    >>> runs = pd.DataFrame({"date": pd.date_range("2020-01-01", periods=40, freq="MS"),
    ...                      "compute_flop": np.arange(40.0, 0.0, -1.0)})
    >>> frontier_share(runs, n=10, window_years=10)
    0.25
    """
    if len(runs) == 0:
        raise FlopcastError("frontier_share: no runs")
    mask = top_n_at_publication(runs, n)
    years = decimal_year(pd.to_datetime(runs["date"]))
    recent = years >= years.max() - window_years
    return float(mask[recent].mean())


def frontier_definition(fit: Fit, frontier: str | float = "auto") -> FrontierDefinition:
    """Decide what the frontier is for a fit.

    Parameters
    ----------
    fit : Fit
    frontier : "auto", "fit" or float
        ``"auto"``: the fit's trend when its spec has a frontier rule, else the population
        quantile matching the top-10-at-publication share (:func:`frontier_share`).
        ``"fit"``: the fit's trend (requires a frontier rule). A float in (0.5, 1): that
        population quantile (full-population fits only).

    Returns
    -------
    FrontierDefinition

    Examples
    --------
    >>> frontier_definition(fit).description    # doctest: +SKIP
    'population quantile 0.962 of the full-population fit (...)'
    """
    rule = fit.spec.frontier.rule
    if rule != "none":
        if not (isinstance(frontier, str) and frontier in ("auto", "fit")):
            raise FlopcastError(
                f"frontier={frontier!r}: this fit's spec already selects frontier runs "
                f"(frontier.rule = {rule!r}); its trend is the frontier. Use frontier='auto'."
            )
        what = (
            f"top {fit.spec.frontier.n} by compute when published"
            if rule == "top_n"
            else f"more than {fit.spec.frontier.threshold_dex} dex above a first fit's trend"
        )
        return FrontierDefinition(
            "fit",
            None,
            None,
            f"trend of the frontier fit (runs {what}), spec {fit.spec.name!r}",
            *_source(fit),
        )
    if isinstance(frontier, str):
        if frontier == "fit":
            raise FlopcastError(
                "frontier='fit' needs a fit whose spec has a frontier rule (e.g. the shipped "
                "spec 'frontier'); this is a full-population fit. Use 'auto' or a quantile."
            )
        if frontier != "auto":
            raise FlopcastError(
                f"frontier={frontier!r}: use 'auto', 'fit' or a quantile between 0.5 and 1"
            )
        share = frontier_share(fit.runs)
        if share <= 0:
            raise FlopcastError("frontier: no run of the last years was top-10 when published")
        q = 1.0 - share / 2.0
        return FrontierDefinition(
            "quantile",
            q,
            share,
            f"population quantile {q:.3f} of the full-population fit: {share:.1%} of the runs "
            f"of the last {FRONTIER_WINDOW_YEARS:g} years were top {FRONTIER_N} when published, "
            f"and {q:.3f} is the median of that top share",
            *_source(fit),
        )
    q = float(frontier)
    if not 0.5 < q < 1.0:
        raise FlopcastError(f"frontier={frontier!r}: a quantile must lie between 0.5 and 1")
    share = 2.0 * (1.0 - q)
    return FrontierDefinition(
        "quantile",
        q,
        share,
        f"population quantile {q:.3f} of the full-population fit (given), the median of the "
        f"top {share:.1%}",
        *_source(fit),
    )


def _source(fit: Fit) -> tuple[str, str | None]:
    """The spec name and data sha256 of the fit a frontier comes from."""
    sha = fit.provenance.get("data_sha256")
    return fit.spec.name, None if sha is None else str(sha)


def scatter_quantile(u: np.ndarray, nu: np.ndarray | None) -> np.ndarray:
    """Standardised scatter quantiles (Normal, or Student-t with ``nu`` per draw)."""
    if nu is None:
        return stats.norm.ppf(u)
    return stats.t.ppf(u, nu)
