"""The frontier from a separate frontier fit, next to a full-population fit.

A full-population fit (the default report's ``two_eras``) describes every run: its eras,
doubling times, the typical run and the counts of runs above thresholds. Its own frontier is
a high population quantile (:func:`~flopcast.forecasting.frontier.frontier_definition`).
On the backtest's development origins a fit of the frontier runs themselves (the report's
``models/frontier_2008_all.toml``: runs published since 2008 that were among the 10 largest
of all runs when published, one trend) forecast later frontier runs better (docs:
explanation/backtests).
``forecast(fit, frontier_fit=...)`` therefore takes the frontier from such a fit: frontier
compute, its cost, threshold crossings and limits come from the frontier fit's trend plus
scatter (kind ``"fit"``, with its own future regime changes), everything else from the
population fit.

The two fits' draws are paired by sample. When their numbers of draws differ, the frontier
fit's draws are cycled (or cut) to the population fit's number (:func:`align_draws`):
posterior draws are exchangeable, so pairing them in any fixed order is a valid joint draw
of two independent posteriors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from flopcast.exceptions import FlopcastError
from flopcast.fitting import Fit
from flopcast.forecasting.frontier import FrontierDefinition

__all__ = ["FRONTIER_STREAM", "FrontierSource", "align_draws", "n_draws"]

#: Third entropy word of the generator of a separate frontier fit's draws (its future
#: breaks and run scatter): ``default_rng([seed, RANDOM_STREAM, FRONTIER_STREAM])``, so the
#: population's draws are the same with or without a frontier fit.
FRONTIER_STREAM: int = 3


def n_draws(fit: Fit) -> int:
    """Posterior draws of a fit (chains x draws)."""
    post = fit.posterior
    return int(post.sizes["chain"] * post.sizes["draw"])


def align_draws(fit: Fit, n: int) -> Fit:
    """``fit`` with exactly ``n`` posterior draws (one chain): its own when it has ``n``.

    Draw ``i`` of the result is the fit's draw ``i mod N`` in chain-major order, so a fit
    with fewer draws repeats them in order and one with more is cut.

    Parameters
    ----------
    fit : Fit
    n : int

    Returns
    -------
    Fit
        The same spec, runs and provenance; only the ``posterior`` group (the forecast
        reads no other).
    """
    if n < 1:
        raise FlopcastError(f"align_draws: n must be positive, got {n}")
    if n_draws(fit) == n:
        return fit
    stacked = fit.posterior.stack(sample=("chain", "draw")).drop_vars(["chain", "draw", "sample"])
    picked = stacked.isel(sample=np.arange(n) % stacked.sizes["sample"])
    posterior = picked.rename({"sample": "draw"}).expand_dims(chain=[0])
    posterior = posterior.assign_coords(draw=np.arange(n)).transpose("chain", "draw", ...)
    return Fit(fit.spec, fit.runs, {"posterior": posterior}, fit.provenance)


def _describe(front: Fit, fit: Fit) -> str:
    rule = front.spec.frontier
    what = (
        f"that were top {rule.n} by compute when published"
        if rule.rule == "top_n"
        else f"more than {rule.threshold_dex} dex above a first fit's trend"
    )
    first, last = float(front.runs["year"].min()), float(front.runs["year"].max())
    sha = str(front.provenance.get("data_sha256", "?"))
    return (
        f"trend and scatter of the frontier model, spec {front.spec.name!r} ({len(front.runs)} "
        f"runs {what}, {first:.1f}-{last:.1f}; data sha256 {sha[:12]}); the typical run and "
        f"the counts come from the full-population fit {fit.spec.name!r}"
    )


@dataclass(frozen=True)
class FrontierSource:
    """Where a forecast's frontier comes from when it is a separate frontier fit.

    Attributes
    ----------
    fit : Fit
        The frontier fit, its draws aligned to the population fit's (:func:`align_draws`).
    definition : FrontierDefinition
        Kind ``"fit"``, ``separate=True``, with the frontier spec's name and data sha256.
    """

    fit: Fit
    definition: FrontierDefinition

    @classmethod
    def from_fits(cls, fit: Fit, frontier_fit: Any, frontier: Any = "auto") -> FrontierSource:
        """Check that ``frontier_fit`` can give ``fit``'s frontier, and align its draws.

        Parameters
        ----------
        fit : Fit
            The full-population fit (its spec has no frontier rule).
        frontier_fit : Fit
            A fit whose spec selects frontier runs, of the same data (sha256).
        frontier : "auto" or "fit"
            The forecast's ``frontier`` argument; a quantile makes no sense with a
            frontier fit.

        Raises
        ------
        FlopcastError
            Naming what does not fit.
        """
        if not isinstance(frontier_fit, Fit):
            raise FlopcastError(
                f"frontier_fit must be a Fit (a fit of a frontier spec such as "
                f"'frontier_2008'), got {type(frontier_fit).__name__}"
            )
        if not (isinstance(frontier, str) and frontier in ("auto", "fit")):
            raise FlopcastError(
                f"frontier={frontier!r} with frontier_fit: the frontier is the frontier fit's "
                "trend; leave frontier='auto'"
            )
        if fit.spec.frontier.rule != "none":
            raise FlopcastError(
                f"frontier_fit: the fit's spec {fit.spec.name!r} already selects frontier runs "
                f"(frontier.rule = {fit.spec.frontier.rule!r}); its own trend is the frontier"
            )
        if frontier_fit.spec.frontier.rule == "none":
            raise FlopcastError(
                f"frontier_fit: spec {frontier_fit.spec.name!r} has no frontier rule (it fits "
                "every run); give a fit of a frontier spec such as 'frontier_2008'"
            )
        ours, theirs = fit.provenance.get("data_sha256"), frontier_fit.provenance.get("data_sha256")
        if ours != theirs:
            raise FlopcastError(
                f"frontier_fit: fitted to other data than the fit (data sha256 "
                f"{str(theirs)[:12]}, the fit's {str(ours)[:12]}); fit both to the same runs"
            )
        aligned = align_draws(frontier_fit, n_draws(fit))
        definition = FrontierDefinition(
            "fit",
            None,
            None,
            _describe(frontier_fit, fit),
            spec_name=frontier_fit.spec.name,
            data_sha256=None if theirs is None else str(theirs),
            separate=True,
        )
        return cls(aligned, definition)
