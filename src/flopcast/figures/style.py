"""The look shared by every chart: palette, method markers, fonts, axes helpers, PNG output.

Figures are built with the object-oriented API on an Agg canvas: no pyplot, no display, no
global state. :func:`figure_and_axes` is how a chart gets its canvas: the caller's
``ax`` when one is given (ArviZ-style), else a new figure of the chart's native size.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from flopcast.dates import decimal_year_to_date
from flopcast.exceptions import FlopcastError
from flopcast.intervals import CI_LEVEL, central_interval, interval_quantiles, level_percent
from flopcast.units import PFS_DAY_FLOP

__all__ = [
    "FONT",
    "METHOD_STYLES",
    "OKABE_ITO",
    "PNG_DPI",
    "SMALL",
    "TITLE",
    "MethodStyle",
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

TREND_COLOR = OKABE_ITO["black"]
BAND_COLOR = "#7f7f7f"
ERA_TINTS = ("#fdf6c9", "#dcecf8")  # light yellow and light sky blue, alternating
BREAK_COLOR = "#555555"
FRONTIER_COLOR = OKABE_ITO["vermillion"]
TYPICAL_COLOR = OKABE_ITO["blue"]

#: Lower, middle and upper quantile of every band (5%, 50%, 95% at the 90% level).
BAND_QUANTILES = interval_quantiles(CI_LEVEL)
#: The band level as a whole percentage, for titles and legends.
PCT = level_percent(CI_LEVEL)


def new_figure(width: float, height: float) -> Figure:
    """An empty figure of ``width`` x ``height`` inches on its own Agg canvas."""
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def figure_and_axes(ax: Axes | None, width: float, height: float) -> tuple[Figure, Axes, bool]:
    """``(figure, axes, own)``: the caller's ``ax`` and its figure, or a new figure.

    ``own`` is True when the figure is new, so the chart may put its legend on the figure;
    with the caller's axes the legend goes on the axes.
    """
    if ax is None:
        fig = new_figure(width, height)
        return fig, fig.add_subplot(), True
    return figure_of(ax), ax, False


def place_legend(fig: Figure, ax: Axes, own: bool) -> None:
    """The legend below the plot on a chart's own figure (``own``, from
    :func:`figure_and_axes`), in the upper left of the caller's axes otherwise."""
    if own:
        fig.legend(loc="outside lower center", ncols=2, fontsize=SMALL, frameon=False)
    else:
        ax.legend(loc="upper left", fontsize=SMALL, framealpha=0.9)


def panel_axes(
    ax: Axes | Sequence[Axes] | np.ndarray | None,
    n: int,
    what: str,
) -> list[Axes]:
    """The caller's axes for a chart of ``n`` panels, checked: one Axes per panel."""
    axes = [ax] if isinstance(ax, Axes) else list(np.ravel(np.asarray(ax, dtype=object)))
    if len(axes) != n or not all(isinstance(a, Axes) for a in axes):
        raise FlopcastError(
            f"{what}: ax must be {n} matplotlib Axes (one per panel), got {len(axes)} "
            f"item(s); pass ax=None for a new figure"
        )
    return axes


def style_axes(ax: Axes, *, years: bool = True) -> None:
    """Tick sizes, a light grid and no top spine; integer year ticks when ``years``."""
    ax.tick_params(labelsize=SMALL)
    if years:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=9, integer=True))
    ax.grid(True, which="major", color="#d0d0d0", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top",):
        ax.spines[side].set_visible(False)


def figure_of(ax: Axes) -> Figure:
    """The figure an Axes given as ``ax=`` belongs to."""
    fig = ax.get_figure(root=True)
    if not isinstance(fig, Figure):
        raise FlopcastError("the Axes given as ax= belongs to no figure")
    return fig


def _flop_to_pfs_days(flop: Any) -> Any:
    return np.asarray(flop, dtype=float) / PFS_DAY_FLOP


def _pfs_days_to_flop(pfs_days: Any) -> Any:
    return np.asarray(pfs_days, dtype=float) * PFS_DAY_FLOP


def pfs_axis(ax: Axes) -> None:
    """A right-hand axis in petaflop/s-days for a log FLOP axis."""
    sec = ax.secondary_yaxis(
        "right",
        functions=(_flop_to_pfs_days, _pfs_days_to_flop),
    )
    sec.set_ylabel("petaflop/s-days", fontsize=FONT)
    sec.tick_params(labelsize=SMALL)


def band(draws: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(low, median, high)`` over the draws (axis 0) at the band level."""
    med, lo, hi = central_interval(draws, CI_LEVEL, axis=0)
    return lo, med, hi


def month_year(year: float) -> str:
    """A decimal year as ``Jul 2030``."""
    return decimal_year_to_date(float(year)).strftime("%b %Y")


def log_limits(values: np.ndarray, pad: float = 0.4) -> tuple[float, float]:
    """Axis limits around the positive finite ``values``, ``pad`` dex beyond each end."""
    logs = np.log10(values[np.isfinite(values) & (values > 0)])
    return 10.0 ** (logs.min() - pad), 10.0 ** (logs.max() + pad)


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
