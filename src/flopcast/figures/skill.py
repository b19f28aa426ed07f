"""Charts of a backtest: log score by lead time, and PIT histograms, model against baselines.

Both read only a :class:`~flopcast.backtesting.BacktestResult`'s ``scores`` and ``pit``
tables, so they also draw a result read back from its JSON.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from flopcast.backtesting.tables import LEAD_GROUPS
from flopcast.exceptions import FlopcastError
from flopcast.figures.style import (
    OKABE_ITO,
    SMALL,
    TITLE,
    figure_and_axes,
    figure_of,
    new_figure,
    panel_axes,
    style_axes,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from flopcast.backtesting.result import BacktestResult

__all__ = ["pit_histograms", "scores_by_lead", "skill_chart"]

_COLOURS = [
    OKABE_ITO["blue"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["bluish_green"],
    OKABE_ITO["orange"],
    OKABE_ITO["reddish_purple"],
    OKABE_ITO["sky_blue"],
    OKABE_ITO["black"],
]
_MARKERS = ["o", "s", "^", "D", "v", "P", "X"]


def _models(result: BacktestResult) -> list[str]:
    names = list(dict.fromkeys(result.scores["model"]))
    first = [n for n in names if n == result.spec_name]
    return first + [n for n in names if n != result.spec_name]


def scores_by_lead(
    result: BacktestResult,
    *,
    target: str = "frontier",
    origin_set: str = "test",
    score: str = "log_score",
    ax: Axes | None = None,
) -> Figure:
    """Mean score by lead-time group, one line per model (the spec's model solid).

    Parameters
    ----------
    result : BacktestResult
    target : {"frontier", "all"}
    origin_set : {"test", "development"}
    score : str, default "log_score"
        A column of ``result.scores`` (``log_score``: higher is better; ``crps``: lower).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = scores_by_lead(flopcast.backtest(spec="frontier", baselines=True))  # doctest: +SKIP
    """
    table = result.scores.query("target == @target and origin_set == @origin_set")
    if table.empty:
        raise FlopcastError(f"scores_by_lead: no scores for target {target!r}, {origin_set}")
    fig, ax, _own = figure_and_axes(ax, 6.4, 4.0)
    leads = [g[0] for g in LEAD_GROUPS]
    x = np.arange(len(leads))
    for k, model in enumerate(_models(result)):
        rows = table.loc[table["model"] == model].set_index("lead").reindex(leads)
        if rows[score].isna().all():
            continue
        ax.plot(
            x,
            rows[score].to_numpy(dtype=float),
            marker=_MARKERS[k % len(_MARKERS)],
            color=_COLOURS[k % len(_COLOURS)],
            linestyle="-" if model == result.spec_name else "--",
            linewidth=2.2 if model == result.spec_name else 1.3,
            label=model,
        )
    ax.set_xticks(x, [f"{lead} y" for lead in leads])
    ax.set_xlabel("Lead time (years after the origin)", fontsize=SMALL)
    better = "higher is better" if score == "log_score" else "lower is better"
    ax.set_ylabel(f"Mean {score.replace('_', ' ')} ({better})", fontsize=SMALL)
    ax.set_title(f"{target.capitalize()} runs, {origin_set} origins", fontsize=TITLE)
    style_axes(ax, years=False)
    ax.legend(fontsize=SMALL, frameon=False)
    return fig


def pit_histograms(
    result: BacktestResult,
    *,
    target: str = "frontier",
    origin_set: str = "test",
    ax: Axes | Sequence[Axes] | None = None,
) -> Figure:
    """PIT histograms, one panel per model: flat when the forecasts are calibrated.

    A hump in the middle: intervals too wide; a U shape: too narrow; mass on the right:
    later runs came out larger than forecast.

    Parameters
    ----------
    result : BacktestResult
    target, origin_set : str
    ax : matplotlib Axes or sequence of Axes, optional
        One Axes per model.

    Returns
    -------
    matplotlib.figure.Figure
    """
    table = result.pit.query("target == @target and origin_set == @origin_set")
    if table.empty:
        raise FlopcastError(f"pit_histograms: no PIT values for {target!r}, {origin_set}")
    models = [m for m in _models(result) if m in set(table["model"])]
    if ax is None:
        fig = new_figure(2.3 * len(models) + 0.6, 2.8)
        axes = list(np.atleast_1d(fig.subplots(1, len(models), sharey=True)))
    else:
        axes = panel_axes(ax, len(models), "pit_histograms")
        fig = figure_of(axes[0])
    for k, (model, axis) in enumerate(zip(models, axes, strict=True)):
        counts = np.asarray(table.loc[table["model"] == model, "counts"].iloc[0], dtype=float)
        density = counts / counts.sum() * len(counts)
        edges = np.linspace(0.0, 1.0, len(counts) + 1)
        axis.bar(
            edges[:-1],
            density,
            width=np.diff(edges),
            align="edge",
            color=_COLOURS[k % len(_COLOURS)],
            alpha=0.8,
            edgecolor="white",
        )
        axis.axhline(1.0, color="black", linewidth=0.8, linestyle=":")
        axis.set_title(model, fontsize=SMALL)
        axis.set_xlabel("PIT", fontsize=SMALL)
        style_axes(axis, years=False)
    axes[0].set_ylabel("Density (1 = calibrated)", fontsize=SMALL)
    return fig


def skill_chart(result: BacktestResult, **kwargs: Any) -> Figure:
    """Scores by lead time (left) and the spec model's and baselines' PIT histograms (right).

    ``kwargs`` (``target``, ``origin_set``) go to both charts.
    """
    models = _models(result)
    fig = new_figure(6.0 + 2.0 * len(models), 3.6)
    grid = fig.add_gridspec(1, len(models) + 3)
    left = fig.add_subplot(grid[0, :3])
    scores_by_lead(result, ax=left, **kwargs)
    table = result.pit.query(
        "target == @t and origin_set == @s",
        local_dict={"t": kwargs.get("target", "frontier"), "s": kwargs.get("origin_set", "test")},
    )
    present = [m for m in models if m in set(table["model"])]
    right = [fig.add_subplot(grid[0, 3 + k]) for k in range(len(present))]
    if right:
        pit_histograms(result, ax=right, **kwargs)
    return fig
