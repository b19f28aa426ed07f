"""The frontier chart: runs among the largest when published, and the frontier trend."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from flopcast.exceptions import FlopcastError
from flopcast.figures.style import (
    FONT,
    FRONTIER_COLOR,
    PCT,
    SMALL,
    TITLE,
    TREND_COLOR,
    TYPICAL_COLOR,
    band,
    figure_and_axes,
    log_limits,
    pfs_axis,
    style_axes,
)
from flopcast.fitting import Fit, stack_draws
from flopcast.runs.selection import top_n_at_publication

__all__ = ["frontier_chart"]


def frontier_offset(fit: Fit, years: np.ndarray, quantile: float) -> np.ndarray:
    """Draws of the frontier's offset above the trend: the scatter quantile, (samples, n)."""
    from scipy import stats

    from flopcast.fitting import scatter_draws

    scatter = scatter_draws(fit.posterior, years)
    if "nu" in fit.posterior:
        z = stats.t.ppf(quantile, stack_draws(fit.posterior, "nu"))[:, None]
    else:
        z = stats.norm.ppf(quantile)
    return z * scatter


def frontier_quantile(fit: Fit) -> tuple[float | None, str]:
    """The population quantile that stands for the frontier of a full-population fit."""
    if fit.spec.frontier.rule != "none":
        return None, f"trend of the frontier fit (spec {fit.spec.name!r})"
    try:
        from flopcast.forecasting import frontier_definition
    except ImportError:  # pragma: no cover - forecast ships with flopcast
        return None, ""
    try:
        definition = frontier_definition(fit)
    except FlopcastError:
        return None, ""
    return definition.quantile, (
        f"population quantile {definition.quantile:.3f} of the fit (the median of the "
        f"top {definition.share:.1%})"
    )


def with_year(runs: pd.DataFrame) -> pd.DataFrame:
    """``runs`` with a decimal ``year`` column (computed from ``date`` when missing)."""
    if "year" in runs.columns:
        return runs
    from flopcast.dates import decimal_year

    return runs.assign(year=decimal_year(pd.to_datetime(runs["date"])))


def frontier_chart(
    fit: Fit,
    *,
    frontier_fit: Fit | None = None,
    n: int = 10,
    runs: pd.DataFrame | None = None,
    ax: Axes | None = None,
) -> Figure:
    """The frontier: runs that were among the ``n`` largest when published, highlighted.

    Parameters
    ----------
    fit : Fit
        The main fit. For a full-population fit the frontier line is the population
        quantile that the forecast uses for the frontier
        (:func:`flopcast.forecasting.frontier_definition`); for a frontier fit it is the
        fit's own trend.
    frontier_fit : Fit, optional
        A fit of the frontier runs (e.g. spec ``frontier``); its trend and 90% credible
        band are drawn instead.
    n : int, default 10
        Frontier rule: top ``n`` by compute when published
        (:func:`flopcast.runs.selection.top_n_at_publication`).
    runs : pandas.DataFrame, optional
        Runs to draw (default: the fit's runs).
    ax : matplotlib.axes.Axes, optional
        Draw into these axes (the legend goes on them) and return their figure; by default
        a new 10 x 6 inch figure with the legend below the axes.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = frontier_chart(fit, n=10)        # doctest: +SKIP
    """
    runs = with_year(fit.runs if runs is None else runs).sort_values("year")
    mask = top_n_at_publication(runs, n)
    fig, ax, own = figure_and_axes(ax, 10.0, 6.0)
    style_axes(ax)
    ax.set_yscale("log")
    others, front = runs.loc[~mask], runs.loc[mask]
    if len(others):
        ax.scatter(
            others["year"],
            others["compute_flop"],
            s=14,
            color="#9e9e9e",
            alpha=0.5,
            linewidths=0,
            label=f"other runs ({len(others)})",
            zorder=2,
        )
    ax.scatter(
        front["year"],
        front["compute_flop"],
        s=34,
        marker="D",
        color=FRONTIER_COLOR,
        edgecolors="black",
        linewidths=0.5,
        label=f"top {n} when published ({len(front)})",
        zorder=4,
    )
    record = np.maximum.accumulate(runs["compute_flop"].to_numpy(dtype=float))
    ax.step(
        runs["year"],
        record,
        where="post",
        color=TREND_COLOR,
        linewidth=1.0,
        label="largest run so far",
        zorder=3,
    )
    first, last = float(runs["year"].min()), float(runs["year"].max())
    source = frontier_fit
    if source is not None:
        f_first = float(source.runs["year"].min())
        grid = np.linspace(f_first, float(source.runs["year"].max()), 300)
        lo, med, hi = band(source.trend(grid))
        what = f"frontier fit ({source.spec.name!r})"
    else:
        grid = np.linspace(first, last, 300)
        draws = fit.trend(grid)
        quantile, what = frontier_quantile(fit)
        if quantile is not None:
            t_med = np.median(draws, axis=0)
            ax.plot(
                grid,
                10.0**t_med,
                color=TYPICAL_COLOR,
                linewidth=1.4,
                linestyle="--",
                label="typical run: posterior median trend",
                zorder=5,
            )
            draws = draws + frontier_offset(fit, grid, quantile)
            what = "frontier (high population quantile)"
        else:
            what = f"frontier fit ({fit.spec.name!r})"
        lo, med, hi = band(draws)
    ax.fill_between(
        grid,
        10.0**lo,
        10.0**hi,
        color=FRONTIER_COLOR,
        alpha=0.2,
        linewidth=0,
        zorder=1,
        label=f"{PCT}% credible interval",
    )
    ax.plot(
        grid,
        10.0**med,
        color=FRONTIER_COLOR,
        linewidth=2.0,
        zorder=5,
        label=f"{what}: posterior median trend",
    )
    ymin, ymax = log_limits(runs["compute_flop"].to_numpy(dtype=float), pad=0.5)
    ax.set_ylim(ymin, ymax)
    ax.set_xlim(first - 1.0, last + 1.0)
    ax.set_xlabel("publication date (year)", fontsize=FONT)
    ax.set_ylabel("training compute (FLOP)", fontsize=FONT)
    pfs_axis(ax)
    ax.set_title(
        f"The frontier: runs among the top {n} by compute when published\n"
        f"line: posterior median frontier trend; band: its {PCT}% credible interval",
        fontsize=TITLE,
        loc="left",
    )
    if own:
        fig.legend(loc="outside lower center", ncols=2, fontsize=SMALL, frameon=False)
    else:
        ax.legend(loc="lower right", fontsize=SMALL, framealpha=0.9)
    return fig
