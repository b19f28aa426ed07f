"""The charts of :mod:`flopcast.figures`: each draws into a given Axes, ArviZ-style.

They reuse the small fit and forecast of ``test_report.py`` (:func:`example_report`).
"""

from __future__ import annotations

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from conftest import example_report
from flopcast import figures
from flopcast.exceptions import FlopcastError

#: Each chart as a call on the example report, with its number of panels and default size.
CHARTS = {
    "classic_chart": (lambda r, **kw: figures.classic_chart(r.fit, **kw), 1, (10.0, 6.4)),
    "break_date_posteriors": (
        lambda r, **kw: figures.break_date_posteriors(r.fit, **kw),
        1,  # the example fit has one break
        (10.0, 3.9),
    ),
    "doubling_time_posteriors": (
        lambda r, **kw: figures.doubling_time_posteriors(r.fit, **kw),
        2,  # two eras
        (10.0, 3.6),
    ),
    "frontier_chart": (lambda r, **kw: figures.frontier_chart(r.fit, **kw), 1, (10.0, 6.0)),
    "forecast_compute_chart": (
        lambda r, **kw: figures.forecast_compute_chart(r.fit, r.forecast, **kw),
        1,
        (10.0, 6.2),
    ),
    "forecast_cost_chart": (
        lambda r, **kw: figures.forecast_cost_chart(r.fit, r.forecast, runs=r.table.runs, **kw),
        1,
        (10.0, 5.8),
    ),
}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    return example_report(tmp_path_factory.mktemp("report"))


def _grid(n: int) -> tuple[Figure, list]:
    fig = Figure(figsize=(8.0, 4.0 * n), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, list(fig.subplots(n, 1, squeeze=False)[:, 0])


#: Charts of other objects, tested with their objects: the study's tornado chart draws into
#: a given Axes in tests/test_study.py (test_the_tornado_chart_has_one_bar_per_variant).
TESTED_ELSEWHERE = {"tornado_chart"}


def test_every_public_chart_is_covered():
    charts = {name for name in figures.__all__ if name.endswith(("_chart", "_posteriors"))}
    assert charts == set(CHARTS) | TESTED_ELSEWHERE


@pytest.mark.parametrize("name", list(CHARTS))
def test_a_chart_draws_into_the_given_axes_and_returns_their_figure(report, name):
    chart, panels, _ = CHARTS[name]
    fig, axes = _grid(panels)
    out = chart(report, ax=axes[0] if panels == 1 else axes)
    assert out is fig
    assert len(fig.axes) == panels  # nothing added beside the caller's axes
    for ax in axes:
        assert ax.has_data()
        assert ax.get_title(loc="left")
    assert not fig.legends  # the legend goes on the caller's axes, not on their figure
    assert axes[0].get_legend() is not None
    assert figures.to_png(out)[:4] == b"\x89PNG"


@pytest.mark.parametrize("name", list(CHARTS))
def test_without_axes_a_chart_makes_its_own_figure(report, name):
    chart, panels, size = CHARTS[name]
    fig = chart(report)
    assert tuple(fig.get_size_inches()) == pytest.approx(size)
    assert len(fig.axes) == panels


def test_a_panel_chart_needs_one_axes_per_panel(report):
    _, axes = _grid(3)
    with pytest.raises(FlopcastError, match=r"2 matplotlib Axes \(one per panel\), got 3"):
        figures.doubling_time_posteriors(report.fit, ax=axes)
    with pytest.raises(FlopcastError, match="got 1"):
        figures.doubling_time_posteriors(report.fit, ax=axes[0])
