"""Charts of a fit: the classic chart of every run, break-date and doubling-time posteriors."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from flopcast.figures.style import (
    BAND_COLOR,
    BAND_QUANTILES,
    BREAK_COLOR,
    ERA_TINTS,
    FONT,
    METHOD_STYLES,
    OKABE_ITO,
    PCT,
    SMALL,
    TITLE,
    TREND_COLOR,
    band,
    figure_and_axes,
    figure_of,
    log_limits,
    month_year,
    new_figure,
    panel_axes,
    pfs_axis,
    style_axes,
)
from flopcast.fitting import Fit, stack_draws

__all__ = ["break_date_posteriors", "classic_chart", "doubling_time_posteriors"]


def runs_scatter(ax: Axes, runs: pd.DataFrame, *, size: float = 22.0) -> None:
    """Every run as a point, coloured and shaped by its estimation method."""
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


def classic_chart(fit: Fit, *, title: str | None = None, ax: Axes | None = None) -> Figure:
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
    ax : matplotlib.axes.Axes, optional
        Draw into these axes (the legend goes on them) and return their figure; by default
        a new 10 x 6.4 inch figure with the legend below the axes.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = classic_chart(fit)                  # doctest: +SKIP
    >>> fig.savefig("classic.png")                # doctest: +SKIP
    """
    runs = fit.runs
    fig, ax, own = figure_and_axes(ax, 10.0, 6.4)
    style_axes(ax)
    ax.set_yscale("log")
    first, last = float(runs["year"].min()), float(runs["year"].max())
    grid = np.linspace(first, last, 400)
    lo, med, hi = band(fit.trend(grid))

    edges = [first, last]
    if "breaks" in fit.posterior:
        breaks = stack_draws(fit.posterior, "breaks")
        b_lo, b_med, b_hi = band(breaks)
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
            ax.axvline(b_med[k], color=BREAK_COLOR, linestyle="--", linewidth=1.2, zorder=2)
    for i in range(len(edges) - 1):
        ax.axvspan(edges[i], edges[i + 1], color=ERA_TINTS[i % 2], alpha=1.0, zorder=0)

    runs_scatter(ax, runs)
    ax.fill_between(grid, 10.0**lo, 10.0**hi, color=BAND_COLOR, alpha=0.45, linewidth=0, zorder=4)
    (trend_line,) = ax.plot(grid, 10.0**med, color=TREND_COLOR, linewidth=2.0, zorder=5)

    ymin, ymax = log_limits(runs["compute_flop"].to_numpy(dtype=float), pad=0.3)
    # Headroom for the era labels: the top fifth of the axes.
    ax.set_ylim(ymin, 10.0 ** (np.log10(ymax) + 0.25 * np.log10(ymax / ymin)))
    ax.set_xlim(first - 1.0, last + 1.0)
    doubling = stack_draws(fit.posterior, "doubling_months")
    for i in range(len(edges) - 1):
        d_lo, d_med, d_hi = np.quantile(doubling[:, i], BAND_QUANTILES)
        mid = 0.5 * (max(edges[i], first) + edges[i + 1])
        ax.text(
            mid,
            0.975,
            f"era {i + 1}: doubling {d_med:.1f} months\n"
            f"({PCT}% credible interval {d_lo:.1f}–{d_hi:.1f})",
            ha="center",
            va="top",
            fontsize=SMALL,
            transform=ax.get_xaxis_transform(),
            bbox={"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": "#999999"},
            zorder=6,
        )
    ax.set_xlabel("publication date (year)", fontsize=FONT)
    ax.set_ylabel("training compute (FLOP)", fontsize=FONT)
    pfs_axis(ax)
    ax.set_title(
        title
        or (
            f"Training compute of {len(runs)} runs (spec {fit.spec.name!r})\n"
            f"trend: posterior median and {PCT}% credible band; eras split at the median "
            "break date"
        ),
        fontsize=TITLE,
        loc="left",
    )
    handles, labels = ax.get_legend_handles_labels()
    handles += [
        trend_line,
        Patch(facecolor=BAND_COLOR, alpha=0.45, label=f"trend {PCT}% credible interval"),
    ]
    labels += ["posterior median trend", f"trend {PCT}% credible interval"]
    if "breaks" in fit.posterior:
        handles.append(Patch(facecolor="#bdbdbd", hatch="//", edgecolor="#8a8a8a"))
        labels.append(f"break date {PCT}% credible interval")
    legend = {
        "fontsize": SMALL,
        "title": "estimation method (runs)",
        "title_fontsize": SMALL,
    }
    if own:
        fig.legend(handles, labels, loc="outside lower center", ncols=3, frameon=False, **legend)
    else:
        ax.legend(handles, labels, loc="lower right", ncols=2, framealpha=0.9, **legend)
    return fig


def break_date_posteriors(fit: Fit, *, ax: Axes | Sequence[Axes] | None = None) -> Figure:
    """Histogram of each break date's posterior with its 90% credible interval shaded.

    The filled histogram pools every chain; thin step lines show each chain separately, so
    a multimodal or chain-dependent break date is visible at a glance.

    Parameters
    ----------
    fit : Fit
    ax : matplotlib.axes.Axes or sequence of Axes, optional
        One Axes per inferred break (one Axes for the note of a model without inferred
        breaks); draw into them and return their figure. By default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        With a note instead of a histogram when the model has no inferred break.

    Raises
    ------
    FlopcastError
        When ``ax`` does not hold one Axes per panel.

    Examples
    --------
    >>> break_date_posteriors(fit).axes[0].get_xlabel()      # doctest: +SKIP
    'break date (year)'
    """
    k = fit.spec.model.breaks
    if k == 0 or "breaks" not in fit.posterior or fit.spec.model.fixed_breaks is not None:
        if ax is None:
            fig = new_figure(10.0, 2.0)
            note = fig.add_subplot()
        else:
            (note,) = panel_axes(ax, 1, "break_date_posteriors")
            fig = figure_of(note)
        note.set_axis_off()
        text = (
            "This model has no break: one trend over the whole period."
            if k == 0
            else f"Break dates fixed by the spec at {fit.spec.model.fixed_breaks}: no posterior."
        )
        note.text(0.5, 0.5, text, ha="center", va="center", fontsize=FONT)
        return fig
    values = fit.posterior["breaks"].values  # (chain, draw, break)
    if ax is None:
        fig = new_figure(10.0, 3.0 * k + 0.9)
        axes = list(fig.subplots(k, 1, squeeze=False)[:, 0])
    else:
        axes = panel_axes(ax, k, "break_date_posteriors")
        fig = figure_of(axes[0])
    for i, panel in enumerate(axes):
        style_axes(panel, years=False)
        pooled = values[:, :, i].ravel()
        lo, med, hi = np.quantile(pooled, BAND_QUANTILES)
        span = np.quantile(pooled, [0.002, 0.998])
        pad = 0.1 * (span[1] - span[0]) + 0.05
        bins = np.linspace(span[0] - pad, span[1] + pad, 70)
        panel.hist(
            pooled, bins=bins, density=True, color=BAND_COLOR, alpha=0.55, label="all chains"
        )
        for c in range(values.shape[0]):
            panel.hist(
                values[c, :, i],
                bins=bins,
                density=True,
                histtype="step",
                color=OKABE_ITO["blue"],
                linewidth=0.9,
                alpha=0.8,
                label="each chain" if c == 0 else None,
            )
        panel.axvspan(
            lo, hi, color=OKABE_ITO["orange"], alpha=0.18, label=f"{PCT}% credible interval"
        )
        panel.axvline(med, color=TREND_COLOR, linewidth=1.6, label="median")
        panel.set_title(
            f"Break {i + 1}: median {med:.1f} ({month_year(med)}), {PCT}% credible interval "
            f"{lo:.1f}–{hi:.1f}",
            fontsize=TITLE,
            loc="left",
        )
        panel.set_ylabel("posterior density", fontsize=FONT)
        panel.set_xlabel("break date (year)", fontsize=FONT)
        panel.legend(fontsize=SMALL, frameon=False, loc="upper right")
    return fig


def doubling_time_posteriors(fit: Fit, *, ax: Axes | Sequence[Axes] | None = None) -> Figure:
    """Histogram of each era's doubling time (months) with its 90% credible interval.

    The horizontal range is the central 99.4% of the draws, so a near-flat early era with
    very long doubling times does not squash the plot.

    Parameters
    ----------
    fit : Fit
    ax : matplotlib.axes.Axes or sequence of Axes, optional
        One Axes per era; draw into them (the legend goes on the first) and return their
        figure. By default a new figure, one panel per era side by side.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    FlopcastError
        When ``ax`` does not hold one Axes per era.

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
    if ax is None:
        fig = new_figure(10.0, 3.6)
        axes = list(fig.subplots(1, n_eras, squeeze=False)[0])
    else:
        axes = panel_axes(ax, n_eras, "doubling_time_posteriors")
        fig = figure_of(axes[0])
    medians = []
    for i, panel in enumerate(axes):
        style_axes(panel, years=False)
        d = doubling[:, i]
        lo, med, hi = np.quantile(d, BAND_QUANTILES)
        span = np.quantile(d, [0.003, 0.997])
        inside = d[(d >= span[0]) & (d <= span[1])]
        panel.hist(inside, bins=50, density=True, color=BAND_COLOR, alpha=0.6)
        panel.axvspan(lo, hi, color=OKABE_ITO["orange"], alpha=0.2)
        medians.append(panel.axvline(med, color=TREND_COLOR, linewidth=1.6))
        panel.set_title(
            f"Era {i + 1} ({edges[i]:.0f}–{edges[i + 1]:.0f}): median {med:.1f} months\n"
            f"{PCT}% credible interval {lo:.1f}–{hi:.1f}",
            fontsize=SMALL + 1,
            loc="left",
        )
        panel.set_xlabel("doubling time (months)", fontsize=FONT)
        if i == 0:
            panel.set_ylabel("posterior density", fontsize=FONT)
    handles = [
        Patch(facecolor=BAND_COLOR, alpha=0.6),
        Patch(facecolor=OKABE_ITO["orange"], alpha=0.2),
        medians[0],
    ]
    labels = ["posterior draws", f"{PCT}% credible interval", "median"]
    if ax is None:
        fig.legend(
            handles, labels, loc="outside lower center", ncols=3, fontsize=SMALL, frameon=False
        )
    else:
        axes[0].legend(handles, labels, fontsize=SMALL, frameon=False, loc="upper right")
    return fig
