"""Figures of a fit and a forecast, for reports and notebooks.

Every chart takes a :class:`~flopcast.fitting.Fit` (and, for the forecast charts, a
:class:`~flopcast.forecasting.Forecast`) and returns a :class:`matplotlib.figure.Figure`.
Like ArviZ's plots, every chart takes an optional ``ax``: given, the chart draws into it
(one Axes per panel for the posterior histograms) and returns its figure; by default it
makes a new figure at its native size. Figures are built with the object-oriented API on
an Agg canvas: no pyplot, no display, no global state, so they are safe in scripts,
servers and tests, and a figure is freed as soon as it is no longer referenced.
:func:`to_png` renders one to PNG bytes.

Conventions:

* colours are the Okabe-Ito palette (safe for the common colour-vision deficiencies) and
  estimation methods differ by marker shape as well as colour, so charts also read in grey;
* compute axes are logarithmic, FLOP on the left and petaflop/s-days on the right
  (1 pfs-day = 8.64e19 FLOP);
* every band says in the title or legend what it is: a *90% credible interval* of the
  trend (5th to 95th percentile of the posterior) or a *90% predictive interval* for one
  run;
* text is at least 10 pt at the figure's native size.

Modules: ``style`` (palette, method markers, fonts, axes helpers, :func:`to_png`), ``fit``
(the classic chart, break-date and doubling-time posteriors), ``frontier`` (the frontier
chart), ``forecast`` (compute and cost fan charts with thresholds), ``study`` (the tornado
chart of a sensitivity study).

Examples
--------
>>> from flopcast.figures import classic_chart, to_png
>>> fig = classic_chart(fit)                # doctest: +SKIP
>>> png = to_png(fig)                       # doctest: +SKIP
"""

from flopcast.figures.fit import break_date_posteriors, classic_chart, doubling_time_posteriors
from flopcast.figures.forecast import forecast_compute_chart, forecast_cost_chart
from flopcast.figures.frontier import frontier_chart
from flopcast.figures.study import tornado_chart
from flopcast.figures.style import (
    FONT,
    METHOD_STYLES,
    OKABE_ITO,
    PNG_DPI,
    SMALL,
    TITLE,
    MethodStyle,
    to_png,
)

__all__ = [
    "FONT",
    "METHOD_STYLES",
    "OKABE_ITO",
    "PNG_DPI",
    "SMALL",
    "TITLE",
    "MethodStyle",
    "break_date_posteriors",
    "classic_chart",
    "doubling_time_posteriors",
    "forecast_compute_chart",
    "forecast_cost_chart",
    "frontier_chart",
    "to_png",
    "tornado_chart",
]
