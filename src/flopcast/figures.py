"""Figures of a fit and a forecast, for reports and notebooks.

Every function takes a :class:`~flopcast.fitting.Fit` (and, for the forecast charts, a
:class:`~flopcast.forecasting.Forecast`) and returns a :class:`matplotlib.figure.Figure`.
Figures are built with the object-oriented API on an Agg canvas: no pyplot, no display,
no global state, so they are safe in scripts, servers and tests, and a figure is freed as
soon as it is no longer referenced. :func:`to_png` renders one to PNG bytes.

Conventions:

* colours are the Okabe-Ito palette (safe for the common colour-vision deficiencies) and
  estimation methods differ by marker shape as well as colour, so charts also read in grey;
* compute axes are logarithmic, FLOP on the left and petaflop/s-days on the right
  (1 pfs-day = 8.64e19 FLOP);
* every band says in the title or legend what it is: a *90% credible interval* of the
  trend (5th to 95th percentile of the posterior) or a *90% predictive interval* for one
  run;
* text is at least 10 pt at the figure's native size.

Examples
--------
>>> from flopcast.figures import classic_chart, to_png
>>> fig = classic_chart(fit)                # doctest: +SKIP
>>> png = to_png(fig)                       # doctest: +SKIP
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from flopcast.dates import decimal_year_to_date
from flopcast.exceptions import FlopcastError
from flopcast.fitting import Fit, stack_draws
from flopcast.intervals import CI_LEVEL
from flopcast.runs.selection import top_n_at_publication
from flopcast.units import PFS_DAY_FLOP

if TYPE_CHECKING:
    from flopcast.forecasting import Forecast

__all__ = [
    "METHOD_STYLES",
    "OKABE_ITO",
    "MethodStyle",
    "break_date_posteriors",
    "classic_chart",
    "doubling_time_posteriors",
    "forecast_compute_chart",
    "forecast_cost_chart",
    "frontier_chart",
    "to_png",
]

#: The Okabe-Ito colour-blind-safe palette.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}


@dataclass(frozen=True)
class MethodStyle:
    """How runs of one estimation method are drawn."""

    color: str
    marker: str
    label: str


#: Colour, marker and legend label of each estimation method.
METHOD_STYLES: dict[str, MethodStyle] = {
    "counted": MethodStyle(OKABE_ITO["blue"], "o", "operation counting"),
    "hardware": MethodStyle(OKABE_ITO["vermillion"], "s", "hardware x time"),
    "reported": MethodStyle(OKABE_ITO["bluish_green"], "^", "reported by developer"),
    "other": MethodStyle(OKABE_ITO["reddish_purple"], "D", "other or unspecified"),
}

#: Resolution of :func:`to_png` (a 10-inch figure is 1300 pixels wide).
PNG_DPI = 130

#: Font sizes (points) at the figures' native size.
FONT = 11.0
SMALL = 10.0
TITLE = 12.0

_TREND = OKABE_ITO["black"]
_BAND = "#7f7f7f"
_ERA_TINTS = ("#fdf6c9", "#dcecf8")  # light yellow and light sky blue, alternating
_BREAK = "#555555"
_FRONTIER = OKABE_ITO["vermillion"]
_TYPICAL = OKABE_ITO["blue"]
_Q = ((1.0 - CI_LEVEL) / 2.0, 0.5, (1.0 + CI_LEVEL) / 2.0)
_PCT = round(CI_LEVEL * 100)


# --------------------------------------------------------------------------------------
# Helpers


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _style(ax: Axes, *, years: bool = True) -> None:
    ax.tick_params(labelsize=SMALL)
    if years:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=9, integer=True))
    ax.grid(True, which="major", color="#d0d0d0", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top",):
        ax.spines[side].set_visible(False)


def _pfs_axis(ax: Axes) -> None:
    """A right-hand axis in petaflop/s-days for a log FLOP axis."""
    sec = ax.secondary_yaxis(
        "right",
        functions=(lambda flop: flop / PFS_DAY_FLOP, lambda pfs: pfs * PFS_DAY_FLOP),
    )
    sec.set_ylabel("petaflop/s-days", fontsize=FONT)
    sec.tick_params(labelsize=SMALL)


def _quantiles(draws: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lo, med, hi = np.quantile(draws, _Q, axis=0)
    return lo, med, hi


def _month_year(year: float) -> str:
    return decimal_year_to_date(float(year)).strftime("%b %Y")


def _log_limits(values: np.ndarray, pad: float = 0.4) -> tuple[float, float]:
    logs = np.log10(values[np.isfinite(values) & (values > 0)])
    return 10.0 ** (logs.min() - pad), 10.0 ** (logs.max() + pad)


def _frontier_offset(fit: Fit, years: np.ndarray, quantile: float) -> np.ndarray:
    """Draws of the frontier's offset above the trend: the scatter quantile, (samples, n)."""
    from scipy import stats

    from flopcast.fitting import scatter_draws

    scatter = scatter_draws(fit.posterior, years)
    if "nu" in fit.posterior:
        z = stats.t.ppf(quantile, stack_draws(fit.posterior, "nu"))[:, None]
    else:
        z = stats.norm.ppf(quantile)
    return z * scatter


def _frontier_quantile(fit: Fit) -> tuple[float | None, str]:
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


def _runs_scatter(ax: Axes, runs: pd.DataFrame, *, size: float = 22.0) -> None:
    methods = runs["method"] if "method" in runs.columns else pd.Series("other", runs.index)
    for method, style in METHOD_STYLES.items():
        sel = runs.loc[methods.to_numpy() == method]
        if sel.empty:
            continue
        ax.scatter(
            sel["year"],
            sel["compute_flop"],
            s=size,
            marker=style.marker,
            color=style.color,
            alpha=0.7,
            linewidths=0,
            label=f"{style.label} ({len(sel)})",
            zorder=3,
        )


def _with_year(runs: pd.DataFrame) -> pd.DataFrame:
    if "year" in runs.columns:
        return runs
    from flopcast.dates import decimal_year

    return runs.assign(year=decimal_year(pd.to_datetime(runs["date"])))


def to_png(fig: Figure, dpi: int = PNG_DPI) -> bytes:
    """Render a figure to PNG bytes.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    dpi : int, default PNG_DPI (130)
        Resolution; the report figures are 10 inches wide, so 1300 pixels.

    Returns
    -------
    bytes

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> to_png(Figure(figsize=(1, 1)))[:4]
    b'\\x89PNG'
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


# --------------------------------------------------------------------------------------
# Fit figures


def classic_chart(fit: Fit, *, title: str | None = None) -> Figure:
    """The classic log-scale chart: every run by estimation method, trend, eras.

    Runs are coloured (and shaped) by how their compute was estimated. The black line is
    the posterior median of the trend; the grey band its 90% credible interval. Eras are
    shaded between the posterior median break dates; each break date's 90% credible
    interval is a hatched grey band. Each era is labelled with its doubling time (median
    and 90% credible interval).

    Parameters
    ----------
    fit : Fit
    title : str, optional
        Replaces the default title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = classic_chart(fit)                  # doctest: +SKIP
    >>> fig.savefig("classic.png")                # doctest: +SKIP
    """
    runs = fit.runs
    fig = _figure(10.0, 6.4)
    ax = fig.add_subplot()
    _style(ax)
    ax.set_yscale("log")
    first, last = float(runs["year"].min()), float(runs["year"].max())
    grid = np.linspace(first, last, 400)
    lo, med, hi = _quantiles(fit.trend(grid))

    edges = [first, last]
    if "breaks" in fit.posterior:
        breaks = stack_draws(fit.posterior, "breaks")
        b_lo, b_med, b_hi = _quantiles(breaks)
        edges = [first, *[float(b) for b in b_med], last]
        fixed = fit.spec.model.fixed_breaks is not None
        for k in range(breaks.shape[1]):
            if not fixed:
                ax.axvspan(
                    b_lo[k],
                    b_hi[k],
                    facecolor="#bdbdbd",
                    alpha=0.45,
                    hatch="//",
                    edgecolor="#8a8a8a",
                    linewidth=0,
                    zorder=1,
                )
            ax.axvline(b_med[k], color=_BREAK, linestyle="--", linewidth=1.2, zorder=2)
    for i in range(len(edges) - 1):
        ax.axvspan(edges[i], edges[i + 1], color=_ERA_TINTS[i % 2], alpha=1.0, zorder=0)

    _runs_scatter(ax, runs)
    ax.fill_between(grid, 10.0**lo, 10.0**hi, color=_BAND, alpha=0.45, linewidth=0, zorder=4)
    ax.plot(grid, 10.0**med, color=_TREND, linewidth=2.0, zorder=5)

    ymin, ymax = _log_limits(runs["compute_flop"].to_numpy(dtype=float), pad=0.3)
    # Headroom for the era labels: the top fifth of the axes.
    ax.set_ylim(ymin, 10.0 ** (np.log10(ymax) + 0.25 * np.log10(ymax / ymin)))
    ax.set_xlim(first - 1.0, last + 1.0)
    doubling = stack_draws(fit.posterior, "doubling_months")
    for i in range(len(edges) - 1):
        d_lo, d_med, d_hi = np.quantile(doubling[:, i], _Q)
        mid = 0.5 * (max(edges[i], first) + edges[i + 1])
        ax.text(
            mid,
            0.975,
            f"era {i + 1}: doubling {d_med:.1f} months\n"
            f"({_PCT}% credible interval {d_lo:.1f}–{d_hi:.1f})",
            ha="center",
            va="top",
            fontsize=SMALL,
            transform=ax.get_xaxis_transform(),
            bbox={"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": "#999999"},
            zorder=6,
        )
    ax.set_xlabel("publication date (year)", fontsize=FONT)
    ax.set_ylabel("training compute (FLOP)", fontsize=FONT)
    _pfs_axis(ax)
    ax.set_title(
        title
        or (
            f"Training compute of {len(runs)} runs (spec {fit.spec.name!r})\n"
            f"trend: posterior median and {_PCT}% credible band; eras split at the median "
            "break date"
        ),
        fontsize=TITLE,
        loc="left",
    )
    handles, labels = ax.get_legend_handles_labels()
    handles += [
        ax.lines[-1],
        Patch(facecolor=_BAND, alpha=0.45, label=f"trend {_PCT}% credible interval"),
    ]
    labels += ["posterior median trend", f"trend {_PCT}% credible interval"]
    if "breaks" in fit.posterior:
        handles.append(Patch(facecolor="#bdbdbd", hatch="//", edgecolor="#8a8a8a"))
        labels.append(f"break date {_PCT}% credible interval")
    fig.legend(
        handles,
        labels,
        loc="outside lower center",
        ncols=3,
        fontsize=SMALL,
        frameon=False,
        title="estimation method (runs)",
        title_fontsize=SMALL,
    )
    return fig


def break_date_posteriors(fit: Fit) -> Figure:
    """Histogram of each break date's posterior with its 90% credible interval shaded.

    The filled histogram pools every chain; thin step lines show each chain separately, so
    a multimodal or chain-dependent break date is visible at a glance.

    Parameters
    ----------
    fit : Fit

    Returns
    -------
    matplotlib.figure.Figure
        With a note instead of a histogram when the model has no inferred break.

    Examples
    --------
    >>> break_date_posteriors(fit).axes[0].get_xlabel()      # doctest: +SKIP
    'break date (year)'
    """
    k = fit.spec.model.breaks
    if k == 0 or "breaks" not in fit.posterior or fit.spec.model.fixed_breaks is not None:
        fig = _figure(10.0, 2.0)
        ax = fig.add_subplot()
        ax.set_axis_off()
        text = (
            "This model has no break: one trend over the whole period."
            if k == 0
            else f"Break dates fixed by the spec at {fit.spec.model.fixed_breaks}: no posterior."
        )
        ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=FONT)
        return fig
    values = fit.posterior["breaks"].values  # (chain, draw, break)
    fig = _figure(10.0, 3.0 * k + 0.9)
    axes = fig.subplots(k, 1, squeeze=False)[:, 0]
    for i, ax in enumerate(axes):
        _style(ax, years=False)
        pooled = values[:, :, i].ravel()
        lo, med, hi = np.quantile(pooled, _Q)
        span = np.quantile(pooled, [0.002, 0.998])
        pad = 0.1 * (span[1] - span[0]) + 0.05
        bins = np.linspace(span[0] - pad, span[1] + pad, 70)
        ax.hist(pooled, bins=bins, density=True, color=_BAND, alpha=0.55, label="all chains")
        for c in range(values.shape[0]):
            ax.hist(
                values[c, :, i],
                bins=bins,
                density=True,
                histtype="step",
                color=OKABE_ITO["blue"],
                linewidth=0.9,
                alpha=0.8,
                label="each chain" if c == 0 else None,
            )
        ax.axvspan(
            lo, hi, color=OKABE_ITO["orange"], alpha=0.18, label=f"{_PCT}% credible interval"
        )
        ax.axvline(med, color=_TREND, linewidth=1.6, label="median")
        ax.set_title(
            f"Break {i + 1}: median {med:.1f} ({_month_year(med)}), {_PCT}% credible interval "
            f"{lo:.1f}–{hi:.1f}",
            fontsize=TITLE,
            loc="left",
        )
        ax.set_ylabel("posterior density", fontsize=FONT)
        ax.set_xlabel("break date (year)", fontsize=FONT)
        ax.legend(fontsize=SMALL, frameon=False, loc="upper right")
    return fig


def doubling_time_posteriors(fit: Fit) -> Figure:
    """Histogram of each era's doubling time (months) with its 90% credible interval.

    The horizontal range is the central 99.4% of the draws, so a near-flat early era with
    very long doubling times does not squash the plot.

    Parameters
    ----------
    fit : Fit

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> len(doubling_time_posteriors(fit).axes)     # one panel per era  # doctest: +SKIP
    2
    """
    doubling = stack_draws(fit.posterior, "doubling_months")
    n_eras = doubling.shape[1]
    edges = [float(fit.runs["year"].min())]
    if "breaks" in fit.posterior:
        edges += [float(b) for b in np.median(stack_draws(fit.posterior, "breaks"), axis=0)]
    edges.append(float(fit.runs["year"].max()))
    fig = _figure(10.0, 3.6)
    axes = fig.subplots(1, n_eras, squeeze=False)[0]
    for i, ax in enumerate(axes):
        _style(ax, years=False)
        d = doubling[:, i]
        lo, med, hi = np.quantile(d, _Q)
        span = np.quantile(d, [0.003, 0.997])
        inside = d[(d >= span[0]) & (d <= span[1])]
        ax.hist(inside, bins=50, density=True, color=_BAND, alpha=0.6)
        ax.axvspan(lo, hi, color=OKABE_ITO["orange"], alpha=0.2)
        ax.axvline(med, color=_TREND, linewidth=1.6)
        ax.set_title(
            f"Era {i + 1} ({edges[i]:.0f}–{edges[i + 1]:.0f}): median {med:.1f} months\n"
            f"{_PCT}% credible interval {lo:.1f}–{hi:.1f}",
            fontsize=SMALL + 1,
            loc="left",
        )
        ax.set_xlabel("doubling time (months)", fontsize=FONT)
        if i == 0:
            ax.set_ylabel("posterior density", fontsize=FONT)
    fig.legend(
        [
            Patch(facecolor=_BAND, alpha=0.6),
            Patch(facecolor=OKABE_ITO["orange"], alpha=0.2),
            axes[0].lines[0],
        ],
        ["posterior draws", f"{_PCT}% credible interval", "median"],
        loc="outside lower center",
        ncols=3,
        fontsize=SMALL,
        frameon=False,
    )
    return fig


def frontier_chart(
    fit: Fit,
    *,
    frontier_fit: Fit | None = None,
    n: int = 10,
    runs: pd.DataFrame | None = None,
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

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = frontier_chart(fit, n=10)        # doctest: +SKIP
    """
    runs = _with_year(fit.runs if runs is None else runs).sort_values("year")
    mask = top_n_at_publication(runs, n)
    fig = _figure(10.0, 6.0)
    ax = fig.add_subplot()
    _style(ax)
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
        color=_FRONTIER,
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
        color=_TREND,
        linewidth=1.0,
        label="largest run so far",
        zorder=3,
    )
    first, last = float(runs["year"].min()), float(runs["year"].max())
    source = frontier_fit
    if source is not None:
        f_first = float(source.runs["year"].min())
        grid = np.linspace(f_first, float(source.runs["year"].max()), 300)
        lo, med, hi = _quantiles(source.trend(grid))
        what = f"frontier fit ({source.spec.name!r})"
    else:
        grid = np.linspace(first, last, 300)
        draws = fit.trend(grid)
        quantile, what = _frontier_quantile(fit)
        if quantile is not None:
            t_med = np.median(draws, axis=0)
            ax.plot(
                grid,
                10.0**t_med,
                color=_TYPICAL,
                linewidth=1.4,
                linestyle="--",
                label="typical run: posterior median trend",
                zorder=5,
            )
            draws = draws + _frontier_offset(fit, grid, quantile)
            what = "frontier (high population quantile)"
        else:
            what = f"frontier fit ({fit.spec.name!r})"
        lo, med, hi = _quantiles(draws)
    ax.fill_between(
        grid,
        10.0**lo,
        10.0**hi,
        color=_FRONTIER,
        alpha=0.2,
        linewidth=0,
        zorder=1,
        label=f"{_PCT}% credible interval",
    )
    ax.plot(
        grid,
        10.0**med,
        color=_FRONTIER,
        linewidth=2.0,
        zorder=5,
        label=f"{what}: posterior median trend",
    )
    ymin, ymax = _log_limits(runs["compute_flop"].to_numpy(dtype=float), pad=0.5)
    ax.set_ylim(ymin, ymax)
    ax.set_xlim(first - 1.0, last + 1.0)
    ax.set_xlabel("publication date (year)", fontsize=FONT)
    ax.set_ylabel("training compute (FLOP)", fontsize=FONT)
    _pfs_axis(ax)
    ax.set_title(
        f"The frontier: runs among the top {n} by compute when published\n"
        f"line: posterior median frontier trend; band: its {_PCT}% credible interval",
        fontsize=TITLE,
        loc="left",
    )
    fig.legend(loc="outside lower center", ncols=2, fontsize=SMALL, frameon=False)
    return fig


# --------------------------------------------------------------------------------------
# Forecast figures


def _fan(
    ax: Axes,
    years: np.ndarray,
    trend: np.ndarray,
    run: np.ndarray,
    color: str,
    label: str,
    *,
    predictive: bool = True,
) -> None:
    t_lo, t_med, t_hi = _quantiles(trend)
    if predictive:
        r_lo, _, r_hi = _quantiles(run)
        ax.fill_between(
            years,
            10.0**r_lo,
            10.0**r_hi,
            color=color,
            alpha=0.14,
            linewidth=0,
            label=f"{label}: {_PCT}% predictive interval, one run",
        )
    ax.fill_between(
        years,
        10.0**t_lo,
        10.0**t_hi,
        color=color,
        alpha=0.38,
        linewidth=0,
        label=f"{label}: {_PCT}% credible interval of the trend",
    )
    ax.plot(years, 10.0**t_med, color=color, linewidth=2.0, label=f"{label}: posterior median")


def _thresholds(ax: Axes, values: Sequence[float], unit: str, x: float) -> None:
    lo, hi = ax.get_ylim()
    for value in values:
        if lo < value < hi:
            ax.axhline(value, color="#6b6b6b", linestyle=":", linewidth=1.0, zorder=1)
            label = f"1e{math.log10(value):.0f} {unit}" if unit == "FLOP" else _usd(value)
            ax.text(x, value * 1.15, label, fontsize=SMALL, color="#404040", ha="left", va="bottom")


def _usd(value: float) -> str:
    for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if value >= size:
            return f"${value / size:g} {word}"
    return f"${value:,.0f}"


def _forecast_years(fc: Forecast) -> np.ndarray:
    return np.asarray(fc.draws["year"].values, dtype=float)


def forecast_compute_chart(fit: Fit, fc: Forecast, *, history_years: float = 15.0) -> Figure:
    """Fan chart of frontier (and typical-run) training compute to the forecast horizon.

    Dark band: 90% credible interval of the trend (where the median frontier run lies).
    Light band: 90% predictive interval for one frontier run at that date. The fitted
    frontier trend over the data is drawn too, with the runs of the last ``history_years``
    years; dotted lines mark the compute thresholds of the forecast.

    Parameters
    ----------
    fit : Fit
        The fit the forecast was made from.
    fc : Forecast
        From :func:`flopcast.forecasting.forecast`.
    history_years : float, default 15
        Years of data shown before the forecast.

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
    fig = _figure(10.0, 6.2)
    ax = fig.add_subplot()
    _style(ax)
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
        color=_FRONTIER,
        edgecolors="black",
        linewidths=0.4,
        label="top 10 when published",
        zorder=3,
    )
    # The fitted frontier trend over the data, joined to the first forecast date.
    hist = np.linspace(start, years[0], 200)
    trend = fit.trend(hist)
    if fc.frontier.kind == "quantile" and fc.frontier.quantile is not None:
        front_hist = trend + _frontier_offset(fit, hist, fc.frontier.quantile)
    else:
        front_hist = trend
    h_lo, h_med, h_hi = _quantiles(front_hist)
    ax.fill_between(hist, 10.0**h_lo, 10.0**h_hi, color=_FRONTIER, alpha=0.38, linewidth=0)
    ax.plot(
        hist,
        10.0**h_med,
        color=_FRONTIER,
        linewidth=1.6,
        linestyle="--",
        label="frontier trend fitted to the data",
    )
    if "log10_compute_flop_trend" in draws:
        t_med = np.median(trend, axis=0)
        ax.plot(hist, 10.0**t_med, color=_TYPICAL, linewidth=1.4, linestyle="--")
        _fan(
            ax,
            years,
            draws["log10_compute_flop_trend"].values,
            draws["log10_compute_flop_run"].values,
            _TYPICAL,
            "typical run",
            predictive=False,
        )
    _fan(
        ax,
        years,
        draws["log10_frontier_compute_flop_trend"].values,
        draws["log10_frontier_compute_flop_run"].values,
        _FRONTIER,
        "frontier",
    )
    ax.axvline(fc.last_data, color=_BREAK, linewidth=1.0, linestyle="-.")
    values = np.concatenate(
        [
            shown["compute_flop"].to_numpy(dtype=float),
            10.0
            ** np.quantile(
                draws["log10_frontier_compute_flop_run"].values, [0.05, 0.95], axis=0
            ).ravel(),
        ]
    )
    ax.set_ylim(*_log_limits(values, pad=0.3))
    ax.set_xlim(start - 0.5, fc.horizon + 0.8)
    ax.text(
        fc.last_data,
        0.02,
        " last run in the data",
        fontsize=SMALL,
        color=_BREAK,
        ha="left",
        va="bottom",
        transform=ax.get_xaxis_transform(),
    )
    _thresholds(ax, list(fit.spec.forecast.thresholds_flop), "FLOP", start - 0.4)
    ax.set_xlabel("date (year)", fontsize=FONT)
    ax.set_ylabel("training compute (FLOP)", fontsize=FONT)
    _pfs_axis(ax)
    horizon = decimal_year_to_date(fc.horizon).isoformat()
    ax.set_title(
        f"Training compute forecast to {horizon}\n"
        f"dark: {_PCT}% credible interval of the trend; light: {_PCT}% predictive interval "
        "for one frontier run",
        fontsize=TITLE,
        loc="left",
    )
    fig.legend(loc="outside lower center", ncols=2, fontsize=SMALL, frameon=False)
    return fig


def forecast_cost_chart(fit: Fit, fc: Forecast, *, runs: pd.DataFrame | None = None) -> Figure:
    """Fan chart of the training cost of a frontier run to the forecast horizon.

    Dark band: 90% credible interval of the cost of the frontier trend; light band: 90%
    predictive interval for one frontier run (compute scatter, price-performance and
    utilization uncertainty all included). Recorded costs of runs in the data are drawn
    when ``runs`` has a ``cost_usd`` column.

    Parameters
    ----------
    fit : Fit
    fc : Forecast
        A forecast made with cost on.
    runs : pandas.DataFrame, optional
        Runs with ``date`` and ``cost_usd`` (e.g. ``flopcast.load_runs().runs``).

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
    fig = _figure(10.0, 5.8)
    ax = fig.add_subplot()
    _style(ax)
    ax.set_yscale("log")
    values = [
        10.0
        ** np.quantile(draws["log10_frontier_cost_usd_run"].values, [0.05, 0.95], axis=0).ravel()
    ]
    if runs is not None and "cost_usd" in runs.columns:
        cost_runs = _with_year(runs)
        cost = pd.to_numeric(cost_runs["cost_usd"], errors="coerce")
        front = np.zeros(len(cost_runs), dtype=bool)
        if "compute_flop" in cost_runs.columns:
            front = top_n_at_publication(cost_runs, 10)
        keep = (cost.notna() & (cost > 0) & (cost_runs["year"] >= start)).to_numpy()
        for sel, style in (
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
                    "color": _FRONTIER,
                    "edgecolors": "black",
                    "linewidths": 0.4,
                    "label": "recorded cost, top 10 when published",
                },
            ),
        ):
            if sel.any():
                ax.scatter(cost_runs.loc[sel, "year"], cost[sel], zorder=3, **style)
        if keep.any():
            values.append(cost[keep].to_numpy(dtype=float))
    _fan(
        ax,
        years,
        draws["log10_frontier_cost_usd_trend"].values,
        draws["log10_frontier_cost_usd_run"].values,
        OKABE_ITO["bluish_green"],
        "frontier run",
    )
    ax.axvline(fc.last_data, color=_BREAK, linewidth=1.0, linestyle="-.")
    ax.set_ylim(*_log_limits(np.concatenate(values), pad=0.3))
    ax.set_xlim(start - 0.5, fc.horizon + 0.8)
    ax.text(
        fc.last_data,
        0.98,
        "last run in the data ",
        fontsize=SMALL,
        color=_BREAK,
        ha="right",
        va="top",
        transform=ax.get_xaxis_transform(),
    )
    _thresholds(ax, list(fit.spec.forecast.thresholds_usd), "USD", start - 0.4)
    base = (fc.cost or {}).get("base_year") or "constant"
    ax.set_xlabel("date (year)", fontsize=FONT)
    ax.set_ylabel(f"training cost ({base} US dollars)", fontsize=FONT)
    horizon = decimal_year_to_date(fc.horizon).isoformat()
    ax.set_title(
        f"Training cost of a frontier run, forecast to {horizon}\n"
        f"dark: {_PCT}% credible interval of the trend; light: {_PCT}% predictive interval "
        "for one run",
        fontsize=TITLE,
        loc="left",
    )
    fig.legend(loc="outside lower center", ncols=2, fontsize=SMALL, frameon=False)
    return fig
