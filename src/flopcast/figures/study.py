"""The tornado chart of a study: how far each variation moves the headline outputs.

Self-contained (it reads only ``result.table()`` and ``result.study.name``), so it can move
into :mod:`flopcast.figures` unchanged. :func:`tornado_chart` draws one panel per metric of
:data:`HEADLINE_METRICS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from flopcast.exceptions import FlopcastError
from flopcast.figures.style import figure_of
from flopcast.study.columns import STATUS_DIAGNOSTICS, STATUS_ERROR_PREFIX, interval_names
from flopcast.validation_messages import did_you_mean

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from flopcast.study.result import StudyResult

__all__ = ["DEFAULT_TORNADO", "HEADLINE_METRICS", "tornado_chart"]

#: Metrics the tornado chart can show: column, title, unit of the shift, log scale.
HEADLINE_METRICS: dict[str, tuple[str, str, bool]] = {
    "doubling_latest": ("Doubling time, latest era (post-break)", "months", False),
    "compute_2030": ("Frontier training compute, mid-2030", "dex (1 = 10x)", True),
    "date_1e27_flop": ("Date the frontier reaches 1e27 FLOP", "years", False),
    "cost_2030": ("Frontier training cost, mid-2030", "dex (1 = 10x)", True),
    "date_1b_usd": ("Date a frontier run costs $1B", "years", False),
    "break_1": ("First break date", "years", False),
    "doubling_era_1": ("Doubling time, first era", "months", False),
}
#: What :func:`tornado_chart` shows by default (the brief's headline outputs).
DEFAULT_TORNADO: tuple[str, ...] = ("doubling_latest", "compute_2030", "date_1e27_flop")

# Okabe-Ito colours (safe for the common colour-vision deficiencies).
_UP = "#0072B2"  # blue: the variant's value is above the base
_DOWN = "#D55E00"  # vermillion: below the base
_BASE_BAND = "#BBBBBB"
_WHISKER = "#000000"


def tornado_chart(
    result: StudyResult,
    metric: str | Sequence[str] | None = None,
    *,
    ax: Axes | Sequence[Axes] | None = None,
) -> Figure:
    """How each variation of a study moves the headline outputs relative to the base.

    One panel per metric; one horizontal bar per variant: the shift of its posterior
    median from the base's median, with the variant's 90% credible interval (also
    relative to the base median) as whiskers. The grey band is the base's own 90%
    interval. Bars are blue when the variant is above the base and vermillion below
    (Okabe-Ito, colour-blind safe); hatched when the variant's diagnostics failed;
    variants that raised, or whose value is beyond the forecast's search, get no bar.
    Variants are sorted by the size of their shift on the first metric.

    Parameters
    ----------
    result : StudyResult
        A study run (:func:`flopcast.study.run_study`).
    metric : str or list of str, optional
        Keys of :data:`HEADLINE_METRICS`; default the latest era's doubling time, the
        frontier's compute in mid-2030 and the date it reaches 1e27 FLOP.
    ax : matplotlib Axes or sequence of Axes, optional
        Draw into these (one per metric) instead of a new figure; the legend then goes on
        the last panel and no figure title is added.

    Returns
    -------
    matplotlib.figure.Figure
        The new figure, or the one holding ``ax``.

    Raises
    ------
    FlopcastError
        Unknown metric, the wrong number of axes, or the base row failed (there is
        nothing to compare with).

    Examples
    --------
    >>> fig = tornado_chart(result)                              # doctest: +SKIP
    >>> fig = tornado_chart(result, "cost_2030", ax=my_axes)     # doctest: +SKIP
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    metrics = (
        list(DEFAULT_TORNADO)
        if metric is None
        else ([metric] if isinstance(metric, str) else list(metric))
    )
    for m in metrics:
        if m not in HEADLINE_METRICS:
            raise FlopcastError(
                f"metric={m!r}{did_you_mean(m, HEADLINE_METRICS)}; "
                f"metrics: {list(HEADLINE_METRICS)}"
            )
    table = result.table()
    base = table.iloc[0]
    if str(base["status"]).startswith(STATUS_ERROR_PREFIX):
        raise FlopcastError(f"the base row failed ({base['status']}); no tornado chart")
    variants = table.iloc[1:].reset_index(drop=True)

    def shifts(m: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
        log = HEADLINE_METRICS[m][2]

        def tr(x: Any) -> np.ndarray:
            v = pd.to_numeric(pd.Series(x), errors="coerce").to_numpy(dtype=float)
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.log10(v) if log else v

        low, high = interval_names(m)
        ref = float(tr([base[m]])[0])
        med = tr(variants[m]) - ref
        lo = tr(variants[low]) - ref
        hi = tr(variants[high]) - ref
        base_lo = float(tr([base[low]])[0]) - ref
        base_hi = float(tr([base[high]])[0]) - ref
        return med, lo, hi, base_lo, base_hi

    first = shifts(metrics[0])[0]
    order = np.argsort(-np.where(np.isfinite(first), np.abs(first), -1.0), kind="stable")
    n = len(variants)
    if ax is None:
        height = max(2.5, 0.34 * n + 1.6)
        fig = Figure(figsize=(4.2 * len(metrics) + 2.4, height), dpi=100, layout="constrained")
        FigureCanvasAgg(fig)
        axes = list(fig.subplots(1, len(metrics), sharey=True, squeeze=False)[0])
    else:
        axes = list(np.ravel(np.asarray(ax, dtype=object)))
        if len(axes) != len(metrics):
            raise FlopcastError(
                f"ax: got {len(axes)} axes for {len(metrics)} metric(s) {metrics}; give one "
                "Axes per metric"
            )
        fig = figure_of(axes[0])
    labels = []
    for i in order:
        r = variants.iloc[i]
        label = str(r["label"])
        if str(r["status"]).startswith(STATUS_ERROR_PREFIX):
            label += " (error)"
        elif r["status"] == STATUS_DIAGNOSTICS:
            label += " \u2020"
        labels.append(label)
    y = np.arange(n)[::-1]
    for panel, m in zip(axes, metrics, strict=True):
        med, lo, hi, base_lo, base_hi = shifts(m)
        med, lo, hi = med[order], lo[order], hi[order]
        title, unit, _ = HEADLINE_METRICS[m]
        if np.isfinite(base_lo) and np.isfinite(base_hi):
            panel.axvspan(base_lo, base_hi, color=_BASE_BAND, alpha=0.35, lw=0)
        panel.axvline(0.0, color="#333333", lw=1.0)
        value = np.where(np.isfinite(med), med, np.nan)
        colors = [_UP if v >= 0 else _DOWN for v in np.nan_to_num(value)]
        hatches = ["///" if variants.iloc[i]["status"] == STATUS_DIAGNOSTICS else "" for i in order]
        bars = panel.barh(y, value, height=0.62, color=colors, edgecolor="#333333", lw=0.5)
        for bar, hatch in zip(bars, hatches, strict=True):
            bar.set_hatch(hatch)
        finite = np.concatenate([v[np.isfinite(v)] for v in (med, lo, hi)] + [[0.0]])
        span = float(finite.max() - finite.min()) or 1.0
        right = float(finite.max()) + 0.08 * span
        left = float(finite.min()) - 0.08 * span
        for yi, m_, l_, h_ in zip(y, med, lo, hi, strict=True):
            if not np.isfinite(m_):
                panel.text(0.0, yi, " n/a", va="center", fontsize=9, color="#555555")
                continue
            l_v = l_ if np.isfinite(l_) else left
            h_v = h_ if np.isfinite(h_) else right
            panel.plot([l_v, h_v], [yi, yi], color=_WHISKER, lw=1.1)
            for end, ok in ((l_v, np.isfinite(l_)), (h_v, np.isfinite(h_))):
                panel.plot([end], [yi], marker="|" if ok else ">", color=_WHISKER, ms=7)
        panel.set_xlim(left, right)
        panel.set_title(title, fontsize=11)
        panel.set_xlabel(f"shift from the base median, {unit}", fontsize=10)
        panel.tick_params(labelsize=10)
        panel.grid(True, axis="x", color="#d0d0d0", lw=0.6)
        panel.set_axisbelow(True)
        panel.spines[["top", "right"]].set_visible(False)
    axes[0].set_yticks(y)
    axes[0].set_yticklabels(labels, fontsize=10)
    handles = [
        Patch(facecolor=_UP, edgecolor="#333333", label="variant above base"),
        Patch(facecolor=_DOWN, edgecolor="#333333", label="variant below base"),
        Patch(facecolor=_BASE_BAND, alpha=0.35, label="base 90% credible interval"),
        Patch(
            facecolor="white",
            edgecolor="#333333",
            hatch="///",
            label="\u2020 diagnostics failed",
        ),
    ]
    if ax is not None:  # the caller's figure: no figure-level legend or title
        for panel in axes[1:]:
            panel.set_yticks(y)
            panel.tick_params(labelleft=False)
        axes[-1].legend(handles=handles, loc="best", fontsize=8)
        return fig
    fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=9, frameon=False)
    fig.suptitle(
        f"Sensitivity study {result.study.name!r}: shift of each variant from the base "
        "(bar: median; whiskers: the variant's 90% credible interval)",
        fontsize=11,
    )
    return fig
