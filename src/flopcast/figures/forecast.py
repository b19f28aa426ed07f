"""Fan charts of a forecast: frontier compute and the cost of a frontier run, with thresholds."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from flopcast.dates import decimal_year_to_date
from flopcast.exceptions import FlopcastError
from flopcast.figures.frontier import with_year
from flopcast.figures.style import (
    BREAK_COLOR,
    FONT,
    FRONTIER_COLOR,
    OKABE_ITO,
    PCT,
    SMALL,
    TITLE,
    TYPICAL_COLOR,
    band,
    figure_and_axes,
    log_limits,
    pfs_axis,
    place_legend,
    style_axes,
)
from flopcast.fitting import Fit
from flopcast.runs.selection import top_n_at_publication

if TYPE_CHECKING:
    from flopcast.forecasting import Forecast

__all__ = ["forecast_compute_chart", "forecast_cost_chart"]


def fan(
    ax: Axes,
    years: np.ndarray,
    trend: np.ndarray,
    run: np.ndarray,
    color: str,
    label: str,
    *,
    predictive: bool = True,
) -> None:
    """A fan: the trend's median and credible band, and (``predictive``) one run's band."""
    t_lo, t_med, t_hi = band(trend)
    if predictive:
        r_lo, _, r_hi = band(run)
        ax.fill_between(
            years,
            10.0**r_lo,
            10.0**r_hi,
            color=color,
            alpha=0.14,
            linewidth=0,
            label=f"{label}: {PCT}% predictive interval, one run",
        )
    ax.fill_between(
        years,
        10.0**t_lo,
        10.0**t_hi,
        color=color,
        alpha=0.38,
        linewidth=0,
        label=f"{label}: {PCT}% credible interval of the trend",
    )
    ax.plot(years, 10.0**t_med, color=color, linewidth=2.0, label=f"{label}: posterior median")


def usd_label(value: float) -> str:
    """A round money threshold as a label: 1e9 -> ``$1 billion``, 2.5e5 -> ``$250,000``.

    Examples
    --------
    >>> usd_label(1e9), usd_label(1e8), usd_label(2.5e5)
    ('$1 billion', '$100 million', '$250,000')
    """
    for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if value >= size:
            return f"${value / size:g} {word}"
    return f"${value:,.0f}"


def draw_thresholds(ax: Axes, values: Sequence[float], unit: str, x: float) -> None:
    """Dotted horizontal lines at the thresholds inside the y range, labelled at ``x``."""
    lo, hi = ax.get_ylim()
    for value in values:
        if lo < value < hi:
            ax.axhline(value, color="#6b6b6b", linestyle=":", linewidth=1.0, zorder=1)
            label = f"1e{math.log10(value):.0f} {unit}" if unit == "FLOP" else usd_label(value)
            ax.text(x, value * 1.15, label, fontsize=SMALL, color="#404040", ha="left", va="bottom")


def draw_ceiling(ax: Axes, fc: Forecast, name: str) -> None:
    """The lowest ceiling of each sample (limits on): its median as a dashed line and its
    90% interval as a hatched band, from the draws variable ``name``."""
    if name not in fc.draws:
        return
    years = _forecast_years(fc)
    values = fc.draws[name].values
    finite = np.isfinite(values).all(axis=0)
    if not finite.any():
        return
    lo, med, hi = band(values[:, finite])
    x = years[finite]
    ax.fill_between(
        x,
        10.0**lo,
        10.0**hi,
        facecolor="none",
        edgecolor="#4d4d4d",
        hatch="//",
        linewidth=0,
        alpha=0.5,
        label=f"lowest ceiling (limits): {PCT}% interval",
    )
    ax.plot(
        x,
        10.0**med,
        color="#4d4d4d",
        linewidth=1.6,
        linestyle=(0, (6, 2)),
        label="lowest ceiling (limits): median",
    )


def history_cost(fit: Fit, fc: Forecast, years: np.ndarray) -> np.ndarray | None:
    """log10 cost draws of the modelled frontier over ``years`` of the data (samples, n):
    the fitted frontier trend priced with the forecast's own price-performance and
    utilization draws; None when the forecast has none."""
    price = getattr(fc, "price", None)
    if price is None:
        return None
    trend = fc.fitted_frontier(fit, years)
    if trend.shape[0] != len(price.utilization):
        return None
    return price.log10_cost_paths(trend, years)


def _forecast_years(fc: Forecast) -> np.ndarray:
    return np.asarray(fc.draws["year"].values, dtype=float)


def forecast_compute_chart(
    fit: Fit, fc: Forecast, *, history_years: float = 15.0, ax: Axes | None = None
) -> Figure:
    """Fan chart of frontier (and typical-run) training compute to the forecast horizon.

    Dark band: 90% credible interval of the trend (where the median frontier run lies).
    Light band: 90% predictive interval for one frontier run at that date. The fitted
    frontier trend over the data is drawn too, with the runs of the last ``history_years``
    years; dotted lines mark the compute thresholds of the forecast. With limits on, the
    lowest ceiling of the draws is drawn as a dashed line with a hatched 90% band.

    Parameters
    ----------
    fit : Fit
        The fit the forecast was made from.
    fc : Forecast
        From :func:`flopcast.forecasting.forecast`.
    history_years : float, default 15
        Years of data shown before the forecast.
    ax : matplotlib.axes.Axes, optional
        Draw into these axes (the legend goes on them) and return their figure; by default
        a new 10 x 6.2 inch figure with the legend below the axes.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from flopcast.forecasting import forecast
    >>> forecast_compute_chart(fit, forecast(fit, until=2030))   # doctest: +SKIP
    """
    years = _forecast_years(fc)
    draws = fc.draws
    runs = fit.runs
    start = max(float(runs["year"].min()), fc.last_data - history_years)
    fig, ax, own = figure_and_axes(ax, 10.0, 6.2)
    style_axes(ax)
    ax.set_yscale("log")
    shown = runs.loc[runs["year"] >= start]
    mask = top_n_at_publication(runs, 10)[runs["year"].to_numpy() >= start]
    if (~mask).any():
        ax.scatter(
            shown.loc[~mask, "year"],
            shown.loc[~mask, "compute_flop"],
            s=12,
            color="#9e9e9e",
            alpha=0.5,
            linewidths=0,
            label="other runs in the data",
            zorder=2,
        )
    ax.scatter(
        shown.loc[mask, "year"],
        shown.loc[mask, "compute_flop"],
        s=26,
        marker="D",
        color=FRONTIER_COLOR,
        edgecolors="black",
        linewidths=0.4,
        label="top 10 when published",
        zorder=3,
    )
    # The fitted frontier trend over the data, joined to the first forecast date.
    hist = np.linspace(start, years[0], 200)
    trend = fit.trend(hist)
    front_hist = fc.fitted_frontier(fit, hist)
    h_lo, h_med, h_hi = band(front_hist)
    ax.fill_between(hist, 10.0**h_lo, 10.0**h_hi, color=FRONTIER_COLOR, alpha=0.38, linewidth=0)
    ax.plot(
        hist,
        10.0**h_med,
        color=FRONTIER_COLOR,
        linewidth=1.6,
        linestyle="--",
        label="frontier trend fitted to the data",
    )
    if "log10_compute_flop_trend" in draws:
        t_med = np.median(trend, axis=0)
        ax.plot(hist, 10.0**t_med, color=TYPICAL_COLOR, linewidth=1.4, linestyle="--")
        fan(
            ax,
            years,
            draws["log10_compute_flop_trend"].values,
            draws["log10_compute_flop_run"].values,
            TYPICAL_COLOR,
            "typical run",
            predictive=False,
        )
    fan(
        ax,
        years,
        draws["log10_frontier_compute_flop_trend"].values,
        draws["log10_frontier_compute_flop_run"].values,
        FRONTIER_COLOR,
        "frontier",
    )
    draw_ceiling(ax, fc, "log10_ceiling_compute_flop")
    ax.axvline(fc.last_data, color=BREAK_COLOR, linewidth=1.0, linestyle="-.")
    values = np.concatenate(
        [
            shown["compute_flop"].to_numpy(dtype=float),
            10.0
            ** np.quantile(
                draws["log10_frontier_compute_flop_run"].values, [0.05, 0.95], axis=0
            ).ravel(),
        ]
    )
    ax.set_ylim(*log_limits(values, pad=0.3))
    ax.set_xlim(start - 0.5, fc.horizon + 0.8)
    ax.text(
        fc.last_data,
        0.02,
        " last run in the data",
        fontsize=SMALL,
        color=BREAK_COLOR,
        ha="left",
        va="bottom",
        transform=ax.get_xaxis_transform(),
    )
    draw_thresholds(ax, list(fit.spec.forecast.thresholds_flop), "FLOP", start - 0.4)
    ax.set_xlabel("date (year)", fontsize=FONT)
    ax.set_ylabel("training compute (FLOP)", fontsize=FONT)
    pfs_axis(ax)
    horizon = decimal_year_to_date(fc.horizon).isoformat()
    ax.set_title(
        f"Training compute forecast to {horizon}\n"
        f"dark: {PCT}% credible interval of the trend; light: {PCT}% predictive interval "
        "for one frontier run",
        fontsize=TITLE,
        loc="left",
    )
    place_legend(fig, ax, own)
    return fig


def forecast_cost_chart(
    fit: Fit, fc: Forecast, *, runs: pd.DataFrame | None = None, ax: Axes | None = None
) -> Figure:
    """Fan chart of the training cost of a frontier run to the forecast horizon.

    Dark band: 90% credible interval of the cost of the frontier trend; light band: 90%
    predictive interval for one frontier run (compute scatter, price-performance and
    utilization uncertainty all included). Recorded costs of runs in the data are drawn
    when ``runs`` has a ``cost_usd`` column, with the modelled frontier cost over the same
    years (the fitted frontier trend priced with the forecast's draws), and the lowest
    ceiling when limits are on.

    Parameters
    ----------
    fit : Fit
    fc : Forecast
        A forecast made with cost on.
    runs : pandas.DataFrame, optional
        Runs with ``date`` and ``cost_usd`` (e.g. ``flopcast.load_runs().runs``).
    ax : matplotlib.axes.Axes, optional
        Draw into these axes (the legend goes on them) and return their figure; by default
        a new 10 x 5.8 inch figure with the legend below the axes.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    FlopcastError
        When the forecast has no cost draws (made with ``cost=False``).

    Examples
    --------
    >>> forecast_cost_chart(fit, fc, runs=flopcast.load_runs().runs)   # doctest: +SKIP
    """
    draws = fc.draws
    if "log10_frontier_cost_usd_trend" not in draws:
        raise FlopcastError("forecast_cost_chart: the forecast was made without cost")
    years = _forecast_years(fc)
    start = fc.last_data - 10.0
    fig, ax, own = figure_and_axes(ax, 10.0, 5.8)
    style_axes(ax)
    ax.set_yscale("log")
    values = [
        10.0
        ** np.quantile(draws["log10_frontier_cost_usd_run"].values, [0.05, 0.95], axis=0).ravel()
    ]
    if runs is not None and "cost_usd" in runs.columns:
        cost_runs = with_year(runs)
        cost = pd.to_numeric(cost_runs["cost_usd"], errors="coerce")
        front = np.zeros(len(cost_runs), dtype=bool)
        if "compute_flop" in cost_runs.columns:
            front = top_n_at_publication(cost_runs, 10)
        keep = (cost.notna() & (cost > 0) & (cost_runs["year"] >= start)).to_numpy()
        groups: tuple[tuple[np.ndarray, dict[str, Any]], ...] = (
            (
                keep & ~front,
                {
                    "s": 18,
                    "color": "#8a8a8a",
                    "alpha": 0.7,
                    "linewidths": 0,
                    "label": "recorded cost, other runs",
                },
            ),
            (
                keep & front,
                {
                    "s": 30,
                    "marker": "D",
                    "color": FRONTIER_COLOR,
                    "edgecolors": "black",
                    "linewidths": 0.4,
                    "label": "recorded cost, top 10 when published",
                },
            ),
        )
        for sel, style in groups:
            if sel.any():
                ax.scatter(cost_runs.loc[sel, "year"], cost[sel], zorder=3, **style)
        if keep.any():
            values.append(cost[keep].to_numpy(dtype=float))
    hist_years = np.linspace(start, years[0], 120)
    hist = history_cost(fit, fc, hist_years)
    if hist is not None:
        h_lo, h_med, h_hi = band(hist)
        ax.fill_between(
            hist_years,
            10.0**h_lo,
            10.0**h_hi,
            color=OKABE_ITO["bluish_green"],
            alpha=0.2,
            linewidth=0,
        )
        ax.plot(
            hist_years,
            10.0**h_med,
            color=OKABE_ITO["bluish_green"],
            linewidth=1.6,
            linestyle="--",
            label="modelled frontier cost over the data",
        )
    fan(
        ax,
        years,
        draws["log10_frontier_cost_usd_trend"].values,
        draws["log10_frontier_cost_usd_run"].values,
        OKABE_ITO["bluish_green"],
        "frontier run",
    )
    draw_ceiling(ax, fc, "log10_ceiling_cost_usd")
    ax.axvline(fc.last_data, color=BREAK_COLOR, linewidth=1.0, linestyle="-.")
    ax.set_ylim(*log_limits(np.concatenate(values), pad=0.3))
    ax.set_xlim(start - 0.5, fc.horizon + 0.8)
    ax.text(
        fc.last_data,
        0.98,
        "last run in the data ",
        fontsize=SMALL,
        color=BREAK_COLOR,
        ha="right",
        va="top",
        transform=ax.get_xaxis_transform(),
    )
    draw_thresholds(ax, list(fit.spec.forecast.thresholds_usd), "USD", start - 0.4)
    base = (fc.cost or {}).get("base_year") or "constant"
    ax.set_xlabel("date (year)", fontsize=FONT)
    ax.set_ylabel(f"training cost ({base} US dollars)", fontsize=FONT)
    horizon = decimal_year_to_date(fc.horizon).isoformat()
    ax.set_title(
        f"Training cost of a frontier run, forecast to {horizon}\n"
        f"dark: {PCT}% credible interval of the trend; light: {PCT}% predictive interval "
        "for one run",
        fontsize=TITLE,
        loc="left",
    )
    place_legend(fig, ax, own)
    return fig
