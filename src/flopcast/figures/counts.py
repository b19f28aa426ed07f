"""Charts of the runs above compute thresholds per year: the forecast and its checks."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from flopcast.exceptions import FlopcastError
from flopcast.figures.style import (
    FONT,
    OKABE_ITO,
    PCT,
    TITLE,
    figure_and_axes,
    place_legend,
    style_axes,
)
from flopcast.intervals import CI_LEVEL, interval_columns

if TYPE_CHECKING:
    from flopcast.forecasting import Forecast

__all__ = ["count_check_chart", "counts_chart"]

_LOW, _HIGH = interval_columns(CI_LEVEL)
_COLORS = (
    OKABE_ITO["blue"],
    OKABE_ITO["bluish_green"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["reddish_purple"],
    OKABE_ITO["orange"],
    OKABE_ITO["sky_blue"],
)


def _flop_label(value: float) -> str:
    return f"1e{math.log10(value):.0f} FLOP" if math.log10(value).is_integer() else f"{value:.1e}"


def counts_chart(
    fc: Forecast,
    *,
    runs: pd.DataFrame | None = None,
    since: int = 2016,
    cumulative: bool = False,
    ax: Axes | None = None,
) -> Figure:
    """Runs above each threshold per calendar year: observed counts as points, the
    forecast as bands (90% interval) around the median.

    Parameters
    ----------
    fc : Forecast
        A forecast with counts (:meth:`~flopcast.forecasting.Forecast.count_table`).
    runs : pandas.DataFrame, optional
        Runs with ``year`` (or ``date``) and ``compute_flop`` for the observed points of
        earlier years (default: only the years in the count table).
    since : int, default 2016
        First year of observed points.
    cumulative : bool, default False
        Draw cumulative counts instead of counts per year.
    ax : matplotlib.axes.Axes, optional
        Draw into these axes; by default a new 10 x 6 inch figure.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> counts_chart(forecast(fit), runs=fit.runs)     # doctest: +SKIP
    """
    table = fc.count_table()
    if table.empty:
        raise FlopcastError("counts_chart: the forecast has no counts")
    fig, ax, own = figure_and_axes(ax, 10.0, 6.0)
    style_axes(ax)
    ax.set_yscale("symlog", linthresh=1.0)
    prefix = "cumulative_" if cumulative else ""
    last_data = fc.last_data
    for k, (threshold, part) in enumerate(table.groupby("threshold_flop")):
        color = _COLORS[k % len(_COLORS)]
        years = part["year"].to_numpy(float) + 0.5
        ax.fill_between(
            years,
            part[f"{prefix}{_LOW}"],
            part[f"{prefix}{_HIGH}"],
            color=color,
            alpha=0.22,
            linewidth=0,
        )
        ax.plot(
            years,
            part[f"{prefix}median"],
            color=color,
            linewidth=2.0,
            label=f"above {_flop_label(threshold)}: forecast median and {PCT}% interval",
        )
        if runs is not None and not cumulative:
            year_of = np.floor(_years(runs))
            flop = runs["compute_flop"].to_numpy(float)
            shown = np.arange(since, math.floor(last_data) + 1)
            observed = [np.sum((year_of == y) & (flop > threshold)) for y in shown]
            partial = shown == math.floor(last_data)
            ax.scatter(
                shown[~partial] + 0.5,
                np.asarray(observed)[~partial],
                color=color,
                edgecolors="black",
                linewidths=0.5,
                s=36,
                zorder=3,
            )
            ax.scatter(
                shown[partial] + 0.5,
                np.asarray(observed)[partial],
                color="white",
                edgecolors=color,
                linewidths=1.5,
                s=36,
                zorder=3,
            )
    ax.axvline(last_data, color="#555555", linewidth=1.0, linestyle="-.")
    if runs is not None and not cumulative:
        ax.scatter([], [], color="#999999", edgecolors="black", s=36, label="observed in the data")
        ax.scatter(
            [],
            [],
            color="white",
            edgecolors="#999999",
            linewidths=1.5,
            s=36,
            label="observed, year covered only up to the last run",
        )
    ax.set_xlabel("year of publication", fontsize=FONT)
    what = "cumulative runs" if cumulative else "runs published in the year"
    ax.set_ylabel(f"{what} above the threshold", fontsize=FONT)
    ax.set_title(
        f"Training runs above compute thresholds, {'cumulative' if cumulative else 'per year'}"
        f"\nbands: {PCT}% predictive interval of the count; points: the data",
        fontsize=TITLE,
        loc="left",
    )
    place_legend(fig, ax, own)
    return fig


def _years(runs: pd.DataFrame) -> np.ndarray:
    if "year" in runs.columns:
        return runs["year"].to_numpy(float)
    from flopcast.dates import decimal_year

    return np.asarray(decimal_year(pd.to_datetime(runs["date"])), dtype=float)


def count_check_chart(check: pd.DataFrame, *, title: str = "", ax: Axes | None = None) -> Figure:
    """A count check (:func:`flopcast.forecasting.count_checks.count_check` or
    ``count_backtest``): observed counts as points, predictive 90% intervals as bars.

    For a backtest, each origin's predictions are drawn slightly offset, in its own shade.

    Parameters
    ----------
    check : pandas.DataFrame
    title : str, optional
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax, own = figure_and_axes(ax, 10.0, 6.0)
    style_axes(ax)
    ax.set_yscale("symlog", linthresh=1.0)
    origins = sorted(check["origin"].unique()) if "origin" in check else [None]
    for k, (threshold, part) in enumerate(check.groupby("threshold_flop")):
        color = _COLORS[k % len(_COLORS)]
        for m, origin in enumerate(origins):
            rows = part if origin is None else part[part["origin"] == origin]
            shift = 0.1 * (m - (len(origins) - 1) / 2) + 0.04 * (k - 1)
            x = rows["year"].to_numpy(float) + 0.5 + shift
            med = rows["median"].to_numpy(float)
            err = np.vstack([med - rows[_LOW].to_numpy(float), rows[_HIGH].to_numpy(float) - med])
            ax.errorbar(
                x,
                med,
                yerr=err,
                fmt="_",
                color=color,
                alpha=0.45 + 0.5 * (m + 1) / len(origins),
                linewidth=1.6,
                capsize=2,
                label=(
                    f"above {_flop_label(threshold)}: predicted, {PCT}% interval"
                    if m == len(origins) - 1
                    else None
                ),
            )
        first = part.drop_duplicates("year")
        ax.scatter(
            first["year"] + 0.5,
            first["observed"],
            color=color,
            edgecolors="black",
            marker="o",
            s=34,
            zorder=4,
            label=f"above {_flop_label(threshold)}: observed",
        )
    ax.set_xlabel("year of publication", fontsize=FONT)
    ax.set_ylabel("runs published in the year above the threshold", fontsize=FONT)
    ax.set_title(
        title or "Counts above thresholds: observed and predicted", fontsize=TITLE, loc="left"
    )
    place_legend(fig, ax, own)
    return fig
