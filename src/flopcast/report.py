"""The report: one folder with a self-contained HTML page, Markdown, JSON and the fit.

:func:`write_report` writes into ``out_dir``:

``index.html``
    Self-contained: figures embedded as base64 PNG, CSS inline, no script and no network
    (a Content-Security-Policy forbids both), prints cleanly (``@media print``, a page
    break before each section).
``report.md`` and ``figures/*.png``
    The same content as Markdown, with the figures as PNG files beside it.
``summary.json``
    The fit's :meth:`~flopcast.fitting.Fit.to_json_dict`, the forecast's block under
    ``forecast`` when there is one, and ``report_version``.
``fit.nc``
    The fit (:meth:`~flopcast.fitting.Fit.save`); ``spec.toml`` the resolved spec, from
    which ``flopcast report --spec spec.toml`` refits.

The content is built once as a small document model (sections of paragraphs, tables,
figures, code, banners and collapsible blocks) and rendered twice, so HTML and Markdown
cannot drift apart. Sections, in order: key findings; the classic chart; break-date and
doubling-time posteriors; the frontier; forecast fan charts; threshold crossings; a
sensitivity study (when given); diagnostics; data provenance; method notes; reproduction.

**Escaping.** Every string from the data (system names, organisations, notes, file
names) is plain text in the document model and is escaped by the renderer, never
concatenated into markup. HTML is rendered by a jinja2 template with ``autoescape=True``:
escaping is then the default for every value the template prints and a forgotten
``html.escape`` cannot open a hole; the only unescaped values are the base64 figure data,
which the renderer itself produces. Markdown has no such engine, so :func:`md_escape`
escapes HTML (``<``, ``>``, ``&``, since Markdown passes raw HTML through) and then the
Markdown metacharacters. The Content-Security-Policy of the page is a second line of
defence: even markup that slipped through could not run a script or load anything.

Examples
--------
>>> import flopcast
>>> from flopcast.forecasting import forecast
>>> from flopcast.report import write_report
>>> fit = flopcast.fit(spec="two_eras")                          # doctest: +SKIP
>>> write_report(fit, "reports/default", forecast=forecast(fit))  # doctest: +SKIP
PosixPath('reports/default/index.html')
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from flopcast import figures
from flopcast.dates import decimal_year_to_date
from flopcast.diagnostics import ESS_MIN, RHAT_MAX
from flopcast.exceptions import FitLoadError, FlopcastError
from flopcast.fitting import Fit, stack_draws
from flopcast.intervals import CI_LEVEL
from flopcast.runs.error_groups import z_for_coverage
from flopcast.runs.selection import top_n_at_publication
from flopcast.spec import T_REF, ModelSpec
from flopcast.units import PFS_DAY_FLOP

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from flopcast.forecasting import Forecast
    from flopcast.runs import RunTable

__all__ = [
    "REPORT_VERSION",
    "SECTION_TITLES",
    "Section",
    "build_sections",
    "key_findings",
    "load_or_fit",
    "md_escape",
    "render_html",
    "render_markdown",
    "spec_to_toml",
    "summary_dict",
    "write_report",
]

#: Version of the report layout and of ``summary.json``'s report keys.
REPORT_VERSION = 1

#: Section titles, in order. "Sensitivity study" appears only when a study is given.
SECTION_TITLES: tuple[str, ...] = (
    "Key findings",
    "Training compute of all runs",
    "Break dates and doubling times",
    "The frontier",
    "Forecasts",
    "Threshold crossings",
    "Sensitivity study",
    "Diagnostics",
    "Data provenance",
    "Method notes",
    "Reproduction",
)

#: Exclusion groups with more rows than this are shown as a count plus a collapsible list.
COLLAPSE_ROWS = 10

_PCT = round(CI_LEVEL * 100)
_CRI = f"{_PCT}% credible interval"
_PRI = f"{_PCT}% predictive interval"
_INTERVAL_MEANING = (
    f"A {_CRI} contains the quantity with {_PCT}% posterior probability, given the model, "
    f"its priors and the data (the 5th to 95th percentile of the posterior draws). A "
    f"{_PRI} is where one individual new run would fall with {_PCT}% probability: it adds "
    "the scatter of runs around the trend. Both are conditional on the model's structure "
    "(number of breaks, measurement-error factors); the sensitivity study and the "
    "backtest show how much that matters."
)


# --------------------------------------------------------------------------------------
# The document model


@dataclass(frozen=True)
class Paragraph:
    """Plain text; ``lead`` is shown in bold before it."""

    text: str
    lead: str = ""
    kind: ClassVar[str] = "paragraph"


@dataclass(frozen=True)
class BulletList:
    """A list of plain-text items."""

    items: tuple[str, ...]
    kind: ClassVar[str] = "list"


@dataclass(frozen=True)
class Table:
    """A table of plain-text cells; ``numeric[i]`` right-aligns column ``i``."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""
    numeric: tuple[bool, ...] = ()
    kind: ClassVar[str] = "table"

    def align(self, i: int) -> str:
        """``"num"`` for right-aligned columns, else ``"text"``."""
        return "num" if i < len(self.numeric) and self.numeric[i] else "text"


@dataclass(frozen=True)
class FigureBlock:
    """A PNG figure; ``name`` is its file name (without ``.png``) beside the Markdown."""

    name: str
    png: bytes
    alt: str
    caption: str
    kind: ClassVar[str] = "figure"

    @property
    def width(self) -> int:
        """Display width in CSS pixels: the figure's size in inches at 96 pixels per inch."""
        pixels = int.from_bytes(self.png[16:20], "big") if len(self.png) > 24 else 0
        return max(1, round(pixels * 96 / figures.PNG_DPI))

    @property
    def data_uri(self) -> str:
        """The PNG as a ``data:`` URI for the HTML page."""
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


@dataclass(frozen=True)
class Code:
    """Preformatted text (equations, the spec, a command line)."""

    text: str
    language: str = ""
    kind: ClassVar[str] = "code"


@dataclass(frozen=True)
class Banner:
    """A highlighted box: ``level`` is ``"danger"``, ``"ok"`` or ``"note"``."""

    level: str
    title: str
    items: tuple[str, ...] = ()
    kind: ClassVar[str] = "banner"


@dataclass(frozen=True)
class Details:
    """A collapsible block (``<details>``) with a one-line summary."""

    summary: str
    blocks: tuple[Any, ...]
    kind: ClassVar[str] = "details"


@dataclass
class Section:
    """One report section: an anchor id, a title and its blocks."""

    id: str
    title: str
    blocks: list[Any] = field(default_factory=list)


# --------------------------------------------------------------------------------------
# Formatting


def _fmt_num(value: float, digits: int = 3) -> str:
    if value is None or not np.isfinite(value):
        return "–"
    return f"{value:.{digits}g}"


def _fmt_flop(value: float) -> str:
    """``3.9e29 FLOP``: two significant digits, no plus sign in the exponent."""
    if value is None or not np.isfinite(value) or value <= 0:
        return "–"
    exponent = math.floor(math.log10(value))
    mantissa = value / 10.0**exponent
    if round(mantissa, 1) >= 10.0:
        mantissa, exponent = mantissa / 10.0, exponent + 1
    return f"{mantissa:.1f}e{exponent} FLOP"


def _fmt_flop_range(lo: float, hi: float) -> str:
    return f"{_fmt_flop(lo)[:-5]}–{_fmt_flop(hi)}"


def _fmt_usd(value: float) -> str:
    """``$1.3 billion``: two significant digits."""
    if value is None or not np.isfinite(value):
        return "–"
    for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if abs(value) >= size:
            return f"${_sig2(value / size)} {word}"
    return f"${_sig2(value)}"


def _sig2(value: float) -> str:
    """Two significant digits without an exponent: 213.4 -> '210', 7.84 -> '7.8'."""
    if value == 0 or not np.isfinite(value):
        return f"{value:g}"
    digits = 1 - math.floor(math.log10(abs(value)))
    rounded = round(value, digits)
    return f"{rounded:,.{max(digits, 0)}f}"


def _fmt_usd_range(lo: float, hi: float) -> str:
    return f"{_fmt_usd(lo)}–{_fmt_usd(hi)}"


def _fmt_month(year: float) -> str:
    if year is None or not np.isfinite(year):
        return "later than the search end"
    return decimal_year_to_date(float(year)).strftime("%b %Y")


def _fmt_year(year: float) -> str:
    if year is None or not np.isfinite(year):
        return "later"
    return f"{year:.1f}"


def _fmt_pct(p: float) -> str:
    if p is None or not np.isfinite(p):
        return "–"
    if p > 0.99:
        return ">99%"
    if p < 0.01:
        return "<1%"
    return f"{p:.0%}"


def _cell(value: Any) -> str:
    """A DataFrame cell as report text (generic, for study tables)."""
    if value is None:
        return "–"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating):
        return _fmt_num(float(value), 4)
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, pd.Timestamp | dt.date):
        return value.isoformat()[:10]
    if isinstance(value, list | tuple | np.ndarray):
        return ", ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_cell(v)}" for k, v in value.items())
    try:
        if pd.isna(value):
            return "–"
    except (TypeError, ValueError):
        pass
    return str(value)


def _table(df: pd.DataFrame, caption: str = "") -> Table:
    """A generic table from a DataFrame (index dropped unless it is named)."""
    if df.index.name is not None:
        df = df.reset_index()
    numeric = tuple(pd.api.types.is_numeric_dtype(df[c]) for c in df.columns)
    rows = tuple(tuple(_cell(v) for v in row) for row in df.itertuples(index=False))
    return Table(tuple(str(c) for c in df.columns), rows, caption, numeric)


def _slug(title: str) -> str:
    """GitHub-style anchor of a heading (lower case, spaces to dashes, punctuation out)."""
    return re.sub(r"[^a-z0-9 -]", "", title.lower()).replace(" ", "-")


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _subject(fit: Fit) -> str:
    rule = fit.spec.frontier.rule
    if rule == "top_n":
        return f"frontier runs (top {fit.spec.frontier.n} by compute when published)"
    if rule == "residual":
        return (
            f"frontier runs (more than {fit.spec.frontier.threshold_dex:g} dex above a first "
            "fit's trend)"
        )
    return "the typical training run"


def _interval(values: np.ndarray) -> tuple[float, float, float]:
    lo, med, hi = np.quantile(values, [(1 - CI_LEVEL) / 2, 0.5, (1 + CI_LEVEL) / 2])
    return float(med), float(lo), float(hi)


# --------------------------------------------------------------------------------------
# Key findings


def key_findings(fit: Fit, forecast: Forecast | None = None) -> list[str]:
    """The headline paragraphs of a report as plain text (lists joined with "; ").

    Parameters
    ----------
    fit : Fit
    forecast : Forecast, optional

    Returns
    -------
    list of str
        The trend and its eras; the forecast at the horizon and the next thresholds (when
        a forecast is given); what the intervals mean; the data; the sampler's health.
        Every estimate carries its 90% interval.

    Examples
    --------
    >>> print(key_findings(fit)[0])                        # doctest: +SKIP
    Since Dec 2009 (break date; 90% credible interval Feb 2007–Oct 2012), the training
    compute of the typical training run doubled every 6.3 months (90% credible interval
    5.9–6.8), ...
    """
    out: list[str] = []
    for part in _findings(fit, forecast):
        if isinstance(part, list):
            out[-1] += " " + "; ".join(part) + "."
        else:
            out.append(part)
    return out


def _findings(fit: Fit, forecast: Forecast | None = None) -> list[str | list[str]]:
    post = fit.posterior
    k = fit.spec.model.breaks
    doubling = stack_draws(post, "doubling_months")
    growth = stack_draws(post, "growth_per_year")
    first, last = float(fit.runs["year"].min()), float(fit.runs["year"].max())
    fixed = fit.spec.model.fixed_breaks
    breaks: list[tuple[float, float, float]] = []
    if k:
        if fixed is not None:
            breaks = [(float(b), float(b), float(b)) for b in fixed]
        else:
            b = stack_draws(post, "breaks")
            breaks = [_interval(b[:, i]) for i in range(k)]

    def era(i: int) -> str:
        d, d_lo, d_hi = _interval(doubling[:, i])
        g, g_lo, g_hi = _interval(growth[:, i])
        return (
            f"doubled every {d:.1f} months ({_CRI} {d_lo:.1f}–{d_hi:.1f}), "
            f"{g:.2g}x per year ({g_lo:.2g}–{g_hi:.2g})"
        )

    def when(i: int) -> str:
        med, lo, hi = breaks[i]
        if fixed is not None:
            return f"{_fmt_month(med)} (break date fixed by the spec)"
        return f"{_fmt_month(med)} (break date; {_CRI} {_fmt_month(lo)}–{_fmt_month(hi)})"

    subject = _subject(fit)
    if k == 0:
        trend = (
            f"From {first:.0f} to {_fmt_month(last)}, the training compute of {subject} "
            f"{era(0)}, with no break in the trend (this model has none)."
        )
    else:
        parts = [f"Since {when(k - 1)}, the training compute of {subject} {era(k)}."]
        for i in range(k - 1, 0, -1):
            parts.append(f"Between {when(i - 1)} and {_fmt_month(breaks[i][0])} it {era(i)}.")
        parts.append(f"Before {_fmt_month(breaks[0][0])}, from {first:.0f}, it {era(0)}.")
        trend = " ".join(parts)
    out: list[str | list[str]] = [trend]
    if forecast is not None:
        out.extend(_forecast_findings(forecast))
    out.append(_INTERVAL_MEANING)
    not_selected = sum(s.get("n_removed", 0) for s in fit.provenance.get("selection_log", []))
    left_out = (
        f" and {not_selected} runs left out by the spec's data filters or frontier rule"
        if not_selected
        else ""
    )
    out.append(
        f"Fitted to {len(fit.runs)} runs published from {_fmt_month(first)} to "
        f"{_fmt_month(last)}; the {int(fit.provenance.get('n_excluded', 0))} input rows "
        f"without a usable compute estimate{left_out} are listed with their reasons under "
        "Data provenance."
    )
    diag = fit.diagnostics
    if diag.ok:
        out.append(
            f"Sampler diagnostics passed: max R-hat {diag.max_rhat:.3f}, min bulk ESS "
            f"{diag.min_ess_bulk:.0f}, {diag.divergences} divergent transitions."
        )
    else:
        out.append(
            "SAMPLING PROBLEMS: do not trust these numbers until they are fixed ("
            + "; ".join(diag.problems)
            + ")."
        )
    return out


def _forecast_findings(fc: Forecast) -> list[str | list[str]]:
    table = fc.table()
    at = table["date"].max()
    horizon = table.loc[table["date"] == at].set_index("quantity")
    when = decimal_year_to_date(fc.horizon).isoformat()
    lines: list[str | list[str]] = []
    if "frontier_compute_flop" in horizon.index:
        r = horizon.loc["frontier_compute_flop"]
        text = (
            f"By {when}, the frontier trend reaches {_fmt_flop(r['median'])} "
            f"({_CRI} {_fmt_flop_range(r['ci90_low'], r['ci90_high'])}); one frontier run "
            f"trained then would use {_fmt_flop_range(r['pi90_low'], r['pi90_high'])} "
            f"({_PRI})."
        )
        if "compute_flop" in horizon.index:
            t = horizon.loc["compute_flop"]
            text += (
                f" The typical run then uses {_fmt_flop(t['median'])} "
                f"({_CRI} {_fmt_flop_range(t['ci90_low'], t['ci90_high'])})."
            )
        if "frontier_cost_usd" in horizon.index:
            c = horizon.loc["frontier_cost_usd"]
            base = (fc.cost or {}).get("base_year") or "constant"
            text += (
                f" Training a frontier run then costs {_fmt_usd(c['median'])} in {base} US "
                f"dollars ({_CRI} {_fmt_usd_range(c['ci90_low'], c['ci90_high'])}; "
                f"{_fmt_usd_range(c['pi90_low'], c['pi90_high'])} for one run, {_PRI})."
            )
        text += (
            " The forecast allows for future breaks in the trend (regime changes on)."
            if fc.regime.enabled
            else " The forecast assumes no future break in the trend (regime changes off)."
        )
        lines.append(text)
    upcoming = _upcoming_thresholds(fc)
    if upcoming:
        lines.append(_UPCOMING_INTRO.format(when=when))
        lines.append(upcoming)
    return lines


_UPCOMING_INTRO = (
    "The frontier trend reaches the next thresholds on these dates (posterior median, "
    f"{_CRI}, and the probability of reaching it by {{when}}):"
)


def _upcoming_thresholds(fc: Forecast) -> list[str]:
    """Thresholds not yet reached in the data, whose median date is after the data."""
    out = []
    for r in fc.thresholds.itertuples():
        if r.crossed_in_data or not (np.isfinite(r.median_date) and r.median_date > fc.last_data):
            continue
        out.append(
            f"{_threshold_label(r.quantity, r.value)}: {_fmt_month(r.median_date)} "
            f"({_CRI} {_fmt_month(r.ci90_low)}–{_fmt_month(r.ci90_high)}; probability "
            f"{_fmt_pct(r.prob_by_horizon)})"
        )
    return out


def _threshold_label(quantity: str, value: float) -> str:
    if quantity == "compute_flop":
        return f"1e{math.log10(value):.0f} FLOP" if value > 0 else "0 FLOP"
    return figures._usd(value)


# --------------------------------------------------------------------------------------
# Sections


def _figure_block(name: str, fig: Figure, alt: str, caption: str) -> FigureBlock:
    return FigureBlock(name, figures.to_png(fig), alt, caption)


def _section_findings(fit: Fit, fc: Forecast | None) -> Section:
    sec = Section(_slug("Key findings"), "Key findings")
    if not fit.diagnostics.ok:
        sec.blocks.append(_diagnostics_banner(fit))
    for part in _findings(fit, fc):
        if isinstance(part, list):
            sec.blocks.append(BulletList(tuple(part)))
        elif not part.startswith("SAMPLING PROBLEMS"):
            sec.blocks.append(Paragraph(part))
    return sec


def _section_classic(fit: Fit) -> Section:
    sec = Section(_slug("Training compute of all runs"), "Training compute of all runs")
    sec.blocks.append(
        _figure_block(
            "classic",
            figures.classic_chart(fit),
            f"Log-scale chart of the training compute of {len(fit.runs)} runs by estimation "
            "method, with the posterior trend and eras",
            f"Every run the model saw, coloured and shaped by how its compute was estimated. "
            f"Black line: posterior median of the trend; grey band: its {_CRI}. Eras are "
            f"shaded between the posterior median break dates; hatched bands: each break "
            f"date's {_CRI}. Left axis FLOP, right axis petaflop/s-days "
            f"(1 pfs-day = {PFS_DAY_FLOP:.3g} FLOP).",
        )
    )
    return sec


def _summary_table(fit: Fit) -> Table:
    summary = fit.summary()
    rows = []
    for name, r in summary.iterrows():
        unit = str(r["unit"])
        if unit in ("decimal year", "months"):

            def fmt(v: float) -> str:
                return f"{v:.1f}" if np.isfinite(v) else "–"

        else:

            def fmt(v: float) -> str:
                return _fmt_num(v, 3)

        rows.append(
            (
                str(name).replace("_", " "),
                fmt(r["median"]),
                f"{fmt(r['ci_low'])} – {fmt(r['ci_high'])}",
                unit,
            )
        )
    return Table(
        ("parameter", "posterior median", _CRI, "unit"),
        tuple(rows),
        f"Posterior medians and {_CRI}s of the model's parameters.",
        (False, True, True, False),
    )


def _section_posteriors(fit: Fit) -> Section:
    title = "Break dates and doubling times"
    sec = Section(_slug(title), title)
    sec.blocks.append(
        _figure_block(
            "break_dates",
            figures.break_date_posteriors(fit),
            "Histogram of the posterior of each break date",
            f"Posterior of each break date (histogram of all draws; thin lines: each chain "
            f"separately). Shaded: {_CRI}; vertical line: median.",
        )
    )
    sec.blocks.append(
        _figure_block(
            "doubling_times",
            figures.doubling_time_posteriors(fit),
            "Histograms of the posterior doubling time of each era",
            f"Posterior of each era's doubling time in months. Shaded: {_CRI}; vertical "
            "line: median.",
        )
    )
    sec.blocks.append(_summary_table(fit))
    return sec


def _section_frontier(fit: Fit, frontier_fit: Fit | None, n: int) -> Section:
    sec = Section(_slug("The frontier"), "The frontier")
    sec.blocks.append(
        _figure_block(
            "frontier",
            figures.frontier_chart(fit, frontier_fit=frontier_fit, n=n),
            f"Frontier runs (top {n} by compute when published) highlighted among all runs",
            f"Runs that were among the {n} largest by compute when they were published are "
            f"highlighted; the step line is the largest run so far. The frontier trend is "
            + (
                f"the trend of the frontier fit (spec '{frontier_fit.spec.name}')"
                if frontier_fit is not None
                else (
                    "this fit's trend (its spec selects frontier runs)"
                    if fit.spec.frontier.rule != "none"
                    else "a high quantile of this full-population fit (the quantile the "
                    "forecast uses for the frontier)"
                )
            )
            + f", with its {_CRI}.",
        )
    )
    if frontier_fit is not None:
        d = stack_draws(frontier_fit.posterior, "doubling_months")
        parts = []
        for i in range(d.shape[1]):
            med, lo, hi = _interval(d[:, i])
            parts.append(f"era {i + 1}: {med:.1f} months ({_CRI} {lo:.1f}–{hi:.1f})")
        sec.blocks.append(
            Paragraph(
                f"Doubling time of the frontier fit ({len(frontier_fit.runs)} runs): "
                + "; ".join(parts)
                + "."
            )
        )
    latent = fit.latent()
    runs = fit.runs
    mask = top_n_at_publication(runs, n)
    order = np.argsort(-runs["compute_flop"].to_numpy(dtype=float))[:10]
    rows = []
    for i in order:
        r = runs.iloc[i]
        lat = latent.iloc[i]
        rows.append(
            (
                str(r["system"]),
                str(r.get("organization", "") or ""),
                pd.Timestamp(r["date"]).date().isoformat(),
                _fmt_flop(float(r["compute_flop"])),
                str(r.get("method", "")),
                _fmt_flop(float(lat["true_median"])),
                _fmt_flop_range(float(lat["true_ci_low"]), float(lat["true_ci_high"])),
                "yes" if mask[i] else "no",
            )
        )
    sec.blocks.append(
        Table(
            (
                "system",
                "organization",
                "published",
                "published compute",
                "method",
                "true compute (median)",
                _CRI,
                f"top {n} when published",
            ),
            tuple(rows),
            f"The ten largest runs in the fit by published compute, with each run's posterior "
            f"true compute (the model's estimate given its measurement error) and its {_CRI}.",
            (False, False, True, True, False, True, True, False),
        )
    )
    return sec


_QUANTITY_LABELS = {
    "compute_flop": "typical run compute (FLOP)",
    "frontier_compute_flop": "frontier compute (FLOP)",
    "frontier_cost_usd": "frontier run cost (USD)",
}


def _section_forecast(fit: Fit, fc: Forecast | None, cost_runs: pd.DataFrame | None) -> Section:
    sec = Section(_slug("Forecasts"), "Forecasts")
    if fc is None:
        sec.blocks.append(
            Banner(
                "note",
                "No forecast in this report",
                (
                    "Pass forecast=flopcast.forecasting.forecast(fit) to write_report, or run "
                    "`flopcast report`, which makes one.",
                ),
            )
        )
        return sec
    meanings = fc.table().attrs
    sec.blocks.append(
        BulletList(
            (
                f"Frontier: {meanings.get('frontier', fc.frontier.description)}.",
                f"Future regime changes: {fc.regime.describe()}.",
                f"Cost: {meanings.get('cost', 'not computed')}.",
                f"Median and {_CRI}: the trend (where the median run lies). {_PRI}: one run "
                "published at that date (trend plus scatter).",
            )
        )
    )
    sec.blocks.append(
        _figure_block(
            "forecast_compute",
            figures.forecast_compute_chart(fit, fc),
            "Fan chart of frontier training compute to the horizon",
            f"Frontier training compute to the horizon. Dark band: {_CRI} of the trend; "
            f"light band: {_PRI} for one frontier run. Dashed: the frontier trend fitted to "
            "the data. Blue: the typical run (full-population fits). Dotted lines: thresholds.",
        )
    )
    if "log10_frontier_cost_usd_trend" in fc.draws:
        sec.blocks.append(
            _figure_block(
                "forecast_cost",
                figures.forecast_cost_chart(fit, fc, runs=cost_runs),
                "Fan chart of the training cost of a frontier run to the horizon",
                f"Training cost of a frontier run. Dark band: {_CRI} of the trend's cost; "
                f"light band: {_PRI} for one run. Points: costs recorded in the data "
                "(diamonds: runs that were top 10 when published).",
            )
        )
    table = fc.table()
    rows = []
    for r in table.itertuples():
        usd = "cost" in r.quantity
        fmt = _fmt_usd if usd else _fmt_flop
        rng = _fmt_usd_range if usd else _fmt_flop_range
        rows.append(
            (
                pd.Timestamp(r.date).date().isoformat(),
                _QUANTITY_LABELS.get(r.quantity, r.quantity),
                fmt(r.median),
                rng(r.ci90_low, r.ci90_high),
                rng(r.pi90_low, r.pi90_high),
            )
        )
    sec.blocks.append(
        Table(
            ("date", "quantity", "median", _CRI, _PRI),
            tuple(rows),
            f"Forecast medians with the {_CRI} of the trend and the {_PRI} for one run.",
            (True, False, True, True, True),
        )
    )
    return sec


def _section_thresholds(fc: Forecast | None) -> Section:
    sec = Section(_slug("Threshold crossings"), "Threshold crossings")
    if fc is None:
        sec.blocks.append(Paragraph("No forecast in this report, so no threshold crossings."))
        return sec
    when = decimal_year_to_date(fc.horizon).isoformat()
    sec.blocks.append(
        Paragraph(
            f"The date the frontier trend first reaches each threshold: posterior median and "
            f"{_CRI}, and the probability that it does so by the horizon ({when}). "
            "Thresholds that a run in the data already reached name the first run that did."
        )
    )
    rows = []
    for r in fc.thresholds.itertuples():
        if r.crossed_in_data:
            data = f"yes: {r.crossed_by} ({decimal_year_to_date(r.crossed_by_date).isoformat()})"
        elif r.crossed_in_data is None:
            data = "unknown (no recorded values)"
        else:
            data = "not yet"
        rows.append(
            (
                _threshold_label(r.quantity, r.value),
                f"{_fmt_year(r.median_date)} ({_fmt_month(r.median_date)})",
                f"{_fmt_year(r.ci90_low)} – {_fmt_year(r.ci90_high)}",
                _fmt_pct(r.prob_by_horizon),
                data,
            )
        )
    sec.blocks.append(
        Table(
            ("threshold", "median date", _CRI, f"probability by {when}", "reached in the data"),
            tuple(rows),
            "Threshold crossings of the frontier trend (decimal years).",
            (False, True, True, True, False),
        )
    )
    return sec


def _study_parts(study: Any, study_figure: Figure | None) -> tuple[pd.DataFrame, Any]:
    table, fig = study, study_figure
    if isinstance(study, tuple):
        table, fig = study[0], study[1] if len(study) > 1 else study_figure
    if not isinstance(table, pd.DataFrame):
        raise FlopcastError(
            f"study must be a pandas DataFrame (one row per variant), got {type(table).__name__}"
        )
    return table, fig


def _section_study(study: Any, study_figure: Figure | None) -> Section:
    sec = Section(_slug("Sensitivity study"), "Sensitivity study")
    table, fig = _study_parts(study, study_figure)
    description = table.attrs.get("description")
    if description:
        sec.blocks.append(Paragraph(str(description)))
    if fig is not None:
        sec.blocks.append(
            _figure_block(
                "study",
                fig,
                "Sensitivity study chart",
                "How each variation moves the headline outputs relative to the base spec.",
            )
        )
    sec.blocks.append(_table(table, f"One row per variant ({len(table)} variants)."))
    return sec


def _diagnostics_banner(fit: Fit) -> Banner:
    diag = fit.diagnostics
    if diag.ok:
        return Banner("ok", "All sampler diagnostics passed.")
    return Banner(
        "danger",
        "SAMPLING PROBLEMS: do not trust these numbers until they are fixed",
        (
            *diag.problems,
            "Try more tuning or draws (sampler.tune, sampler.draws), fewer breaks, or fixed "
            "breaks.",
        ),
    )


def _section_diagnostics(fit: Fit) -> Section:
    sec = Section(_slug("Diagnostics"), "Diagnostics")
    diag = fit.diagnostics
    sec.blocks.append(_diagnostics_banner(fit))

    def status(ok: bool) -> str:
        return "pass" if ok else "FAIL"

    rows = [
        (
            "max R-hat (rank-normalised, all parameters)",
            _fmt_num(diag.max_rhat, 4),
            f"<= {RHAT_MAX}",
            status(not diag.max_rhat > RHAT_MAX),
        ),
        (
            "min bulk ESS",
            f"{diag.min_ess_bulk:.0f}",
            f">= {ESS_MIN}",
            status(diag.min_ess_bulk >= ESS_MIN),
        ),
        (
            "min tail ESS",
            f"{diag.min_ess_tail:.0f}",
            f">= {ESS_MIN}",
            status(diag.min_ess_tail >= ESS_MIN),
        ),
        ("divergent transitions", str(diag.divergences), "0", status(diag.divergences == 0)),
    ]
    for k, agree in enumerate(diag.chains_agree):
        medians = diag.chain_break_medians[k] if k < len(diag.chain_break_medians) else []
        rows.append(
            (
                f"chains agree on break {k + 1} (chain medians)",
                ", ".join(f"{m:.2f}" for m in medians),
                "every chain median inside the pooled 25-75% range",
                status(agree),
            )
        )
    sec.blocks.append(
        Table(("check", "value", "threshold", "status"), tuple(rows), "", (False, True))
    )
    s = fit.spec.sampler
    sec.blocks.append(
        Paragraph(
            f"Sampler: {s.backend}, {s.chains} chains x {s.draws} draws after {s.tune} tuning "
            f"steps, target acceptance {s.target_accept}; {diag.n_draws} draws in total. "
            "Thresholds follow Vehtari et al. (2021)."
        )
    )
    return sec


def _snapshot_metadata() -> dict[str, Any]:
    from flopcast.runs.bundled import bundled_data_path

    try:
        return json.loads(bundled_data_path("snapshot.json").read_text(encoding="utf-8"))
    except (FlopcastError, OSError, ValueError):
        return {}


def _section_provenance(fit: Fit, data: RunTable | None) -> Section:
    from flopcast.runs import CHECK_LABELS

    sec = Section(_slug("Data provenance"), "Data provenance")
    prov = fit.provenance
    source = prov.get("data_source") or "unknown"
    bundled = source == "bundled" and (data is None or _is_bundled(data))
    if bundled:
        meta = _snapshot_metadata()
        sec.blocks.append(
            Paragraph(
                "Epoch AI, “Data on Notable AI Models” (file "
                f"{meta.get('source_file', '?')}), snapshot {meta.get('snapshot_date', '?')}, "
                f"licence {meta.get('licence', 'CC BY 4.0')}. Curated into flopcast's bundled "
                "run table by the command "
                f"{meta.get('build_command', 'python data/build_dataset.py')}, which documents "
                "every curation step.",
                lead="Source. ",
            )
        )
    else:
        where = data.source if data is not None else source
        sec.blocks.append(Paragraph(f"Runs file {where}.", lead="Source. "))
    sec.blocks.append(Paragraph(f"sha256 of the runs file: {fit.data_sha256}", lead="Hash. "))

    n_excluded = int(prov.get("n_excluded", 0))
    n_input = (
        data.n_input_rows
        if data is not None
        else len(fit.runs)
        + n_excluded
        + sum(s.get("n_removed", 0) for s in prov.get("selection_log", []))
    )
    rows = [
        ("rows in the source", str(n_input)),
        ("excluded: no usable compute estimate or invalid", str(n_excluded)),
    ]
    for step in prov.get("selection_log", []):
        if step.get("step") == "input":
            rows.append(("usable runs", str(step.get("n_runs"))))
        else:
            rows.append((f"left out by {step.get('step')}", str(step.get("n_removed", 0))))
    rows.append(("runs in the fit", str(len(fit.runs))))
    sec.blocks.append(
        Table(("", "rows"), tuple(rows), "How the fitted sample was formed.", (False, True))
    )

    runs = fit.runs
    boundary = fit.spec.errors.era_boundary
    early = runs["year"] < boundary
    methods = list(figures.METHOD_STYLES)
    method_rows = []
    for m in methods:
        sel = runs["method"] == m
        method_rows.append(
            (m, str(int((sel & early).sum())), str(int((sel & ~early).sum())), str(int(sel.sum())))
        )
    sec.blocks.append(
        Table(
            ("estimation method", f"before {boundary:g}", f"{boundary:g} and after", "runs"),
            tuple(method_rows),
            "Fitted runs by estimation method and error era.",
            (False, True, True, True),
        )
    )

    excluded = data.excluded if data is not None else None
    if excluded is None or excluded.empty:
        counts = prov.get("exclusion_counts", {})
        if counts:
            sec.blocks.append(
                Table(
                    ("reason", "rows"),
                    tuple((CHECK_LABELS.get(k, k), str(v)) for k, v in counts.items()),
                    "Excluded rows by reason. The row-by-row list needs the data file, which "
                    "was not available when this report was written.",
                    (False, True),
                )
            )
        else:
            sec.blocks.append(Paragraph("No input row was excluded."))
        return sec
    checks = excluded["check"].astype(str)
    groups = checks.value_counts(sort=True)
    summary_rows = []
    detail_blocks: list[Any] = []
    for check, count in groups.items():
        label = "; ".join(CHECK_LABELS.get(c, c) for c in str(check).split("; "))
        summary_rows.append((label, str(int(count))))
        part = excluded.loc[checks == check]
        cols = ("line in source file", "system", "column", "value", "reason")
        rows_ = tuple(
            (
                str(r.row),
                str(r.system),
                str(r.column),
                str(r.value),
                str(r.reason),
            )
            for r in part.itertuples()
        )
        table = Table(cols, rows_, "", (True, False, False, False, False))
        if count > COLLAPSE_ROWS:
            detail_blocks.append(
                Details(
                    f"All {int(count)} rows excluded because: {label} (click to expand)", (table,)
                )
            )
        else:
            detail_blocks.append(
                Table(
                    cols,
                    rows_,
                    f"Rows excluded because: {label}.",
                    (True, False, False, False, False),
                )
            )
    sec.blocks.append(
        Table(
            ("reason", "rows"),
            tuple(summary_rows),
            f"Every excluded input row ({len(excluded)}), by reason; each is listed below.",
            (False, True),
        )
    )
    sec.blocks.extend(detail_blocks)
    return sec


def _is_bundled(data: RunTable) -> bool:
    return "bundled data" in (getattr(data, "note", "") or "")


def _model_equations(spec: ModelSpec) -> str:
    m = spec.model
    k = m.breaks
    lines = [
        "t       = date in decimal years; compute in log10 FLOP",
    ]
    if k == 0:
        lines.append(f"mu(t)   = a + b_0 (t - {T_REF:g})")
    else:
        mu = "mu(t)   = a + b_0 (t - tau_1) + sum_k (b_k - b_(k-1)) hinge(t - tau_k)"
        if m.jump:
            mu += " + sum_k delta_k step(t - tau_k)"
        lines.append(mu + ("      k = 1" if k == 1 else f"      k = 1..{k}"))
        lines.append("hinge(x) = max(x, 0), corner rounded over 0.025 years")
    scatter = "s_era(t)" if m.scatter_per_era else "s"
    if m.scatter == "student_t":
        lines.append(f"x_i     ~ StudentT(nu, mu(t_i), {scatter})        true log10 compute")
    else:
        lines.append(f"x_i     ~ Normal(mu(t_i), {scatter})              true log10 compute")
    scale = " * scale[g_i]" if m.error_scale == "prior" else ""
    lines.append(f"y_i     ~ Normal(x_i, sigma_i{scale})          published value")
    lines.append("sigma_i = log10(F_i) / z,  z = the normal quantile of the error coverage")
    lines.append("doubling time (months) = 12 log10(2) / b_k;  growth per year = 10^b_k")
    if m.resolved_form == "marginal":
        lines.append(
            "sampled in marginal form: y_i ~ Normal(mu(t_i), sqrt(s^2 + sigma_i^2)); x_i "
            "recovered in closed form"
        )
    else:
        lines.append("sampled in latent form: x_i = y_i + sigma_i e_i, e_i ~ Normal(0, 1)")
    return "\n".join(lines)


def _prior_rows(fit: Fit) -> tuple[tuple[str, str, str], ...]:
    spec = fit.spec
    p, m = spec.priors, spec.model
    first, last = float(fit.runs["year"].min()), float(fit.runs["year"].max())
    rows: list[tuple[str, str, str]] = []
    if m.breaks:
        if m.fixed_breaks is not None:
            rows.append(("break dates tau_k", f"fixed at {m.fixed_breaks}", "decimal years"))
        else:
            lo = first + p.min_era_years
            hi = last - p.min_era_years
            if p.break_min is not None:
                lo = max(lo, p.break_min)
            if p.break_max is not None:
                hi = min(hi, p.break_max)
            rows.append(
                (
                    "break dates tau_k",
                    f"Uniform over [{lo:.1f}, {hi:.1f}], ordered, every era at least "
                    f"{p.min_era_years:g} years long",
                    "decimal years",
                )
            )
    where = "the first break" if m.breaks else f"{T_REF:g}"
    rows.append(("level a", f"Normal({p.level_mu:g}, {p.level_sd:g})", f"log10 FLOP at {where}"))
    rows.append(
        ("slopes b_k", f"Normal({p.slope_mu:g}, {p.slope_sd:g}), each era", "log10 FLOP per year")
    )
    per = ", one per era" if m.scatter_per_era else ""
    rows.append(("scatter s", f"HalfNormal({p.scatter_sd:g}){per}", "dex (log10 units)"))
    if m.jump:
        rows.append(("jumps delta_k", f"Normal(0, {p.jump_sd:g})", "dex"))
    if m.scatter == "student_t":
        rows.append(("degrees of freedom nu", f"Gamma(2, rate {p.nu_rate:g})", ""))
    if m.error_scale == "prior":
        rows.append(
            (
                "error scale per group",
                f"LogNormal(0, {p.error_scale_sd:g})",
                "multiplies each group's sigma",
            )
        )
    else:
        rows.append(("measurement error sigma_i", "known, from the error group (below)", "dex"))
    return tuple(rows)


def _section_methods(fit: Fit) -> Section:
    sec = Section(_slug("Method notes"), "Method notes")
    spec = fit.spec
    sec.blocks.append(
        Paragraph(
            "Every run's true training compute is latent: the published figure is a noisy "
            "measurement whose error depends on how it was estimated. A changepoint model "
            "infers the era break dates and each era's growth rate jointly, with their "
            f"posterior uncertainty. Spec '{spec.name}': "
            + _sentence(spec.description or str(spec)),
            lead="The model. ",
        )
    )
    sec.blocks.append(Code(_model_equations(spec)))
    sec.blocks.append(
        Table(("parameter", "prior", "unit"), _prior_rows(fit), "Priors, from the resolved spec.")
    )
    errors = spec.errors
    model = errors.error_model()
    groups = model.groups().set_index("group")
    counts = fit.runs["error_group"].value_counts()
    explicit = (
        int((fit.runs["sigma_source"] == "explicit bounds").sum())
        if "sigma_source" in fit.runs.columns
        else 0
    )
    rows = []
    for group, n in counts.items():
        if group not in groups.index:
            continue
        g = groups.loc[group]
        rows.append(
            (
                str(group),
                (
                    f"before {errors.era_boundary:g}"
                    if g["era"] == "early"
                    else f"{errors.era_boundary:g} and after"
                ),
                str(g["method"]),
                str(g["confidence"]),
                f"{g['factor']:.2f}",
                f"{g['sigma_log10']:.3f}",
                str(int(n)),
            )
        )
    rows.sort(key=lambda r: r[0])
    sec.blocks.append(
        Paragraph(
            f"A run's error factor F means its true compute lies within [published / F, "
            f"published x F] with {errors.coverage:.0%} probability; sigma = log10(F) / "
            f"{z_for_coverage(errors.coverage):.3f} in log10 units. F combines a method factor and "
            "a confidence factor in quadrature on the log scale. "
            + (
                f"{explicit} runs with explicit lower and upper bounds use F = "
                "sqrt(upper / lower) instead of their group's factor (counted in their group "
                "below)."
                if explicit
                else ""
            ),
            lead="Measurement-error groups. ",
        )
    )
    sec.blocks.append(
        Table(
            ("error group", "era", "method", "confidence", "factor F", "sigma (log10)", "runs"),
            tuple(rows),
            "Error groups of the fitted runs.",
            (False, False, False, False, True, True, True),
        )
    )
    return sec


def _section_reproduction(fit: Fit, command: str | None) -> Section:
    sec = Section(_slug("Reproduction"), "Reproduction")
    spec_name = fit.spec.name
    cmd = command or (
        f"flopcast report --spec {spec_name} --seed {fit.seed}  "
        "# the command was not recorded; this is the equivalent"
    )
    sec.blocks.append(Paragraph("Command line that wrote this report:"))
    sec.blocks.append(Code(cmd, "bash"))
    versions = fit.provenance.get("versions", {})
    timings = fit.provenance.get("timings_s", {})
    rows = [
        ("spec", spec_name),
        ("sampler seed", str(fit.seed)),
        ("data source", str(fit.provenance.get("data_source"))),
        ("data sha256", fit.data_sha256),
        ("fit created", str(fit.provenance.get("created", "unknown"))),
        (
            "fit time",
            ", ".join(f"{k} {v:.1f} s" for k, v in timings.items() if k != "compiled_model_reused")
            or "unknown",
        ),
        ("report written", dt.datetime.now(dt.UTC).isoformat(timespec="seconds")),
        ("report version", str(REPORT_VERSION)),
    ]
    rows += [(f"version: {k}", str(v)) for k, v in versions.items()]
    sec.blocks.append(Table(("item", "value"), tuple(rows), "Provenance of the fit."))
    sec.blocks.append(
        Paragraph(
            "The resolved spec (every default filled in), also saved as spec.toml beside this "
            "report; flopcast report --spec spec.toml fits it again:"
        )
    )
    sec.blocks.append(Code(spec_to_toml(fit.spec), "toml"))
    sec.blocks.append(
        Paragraph(
            "Files: index.html (this page), report.md and figures/ (the same content as "
            "Markdown), summary.json (headline numbers with intervals, for scripts), fit.nc "
            "(the posterior; flopcast.load_fit reads it and executes nothing), spec.toml."
        )
    )
    return sec


def build_sections(
    fit: Fit,
    *,
    forecast: Forecast | None = None,
    study: Any = None,
    study_figure: Figure | None = None,
    command: str | None = None,
    data: RunTable | None = None,
    frontier_fit: Fit | None = None,
    frontier_n: int = 10,
) -> list[Section]:
    """The report's sections as a document model (what :func:`write_report` renders).

    Parameters
    ----------
    fit, forecast, study, study_figure, command, data, frontier_fit
        As in :func:`write_report`.
    frontier_n : int, default 10
        Frontier rule of the frontier chart (top N when published).

    Returns
    -------
    list of Section

    Examples
    --------
    >>> [s.title for s in build_sections(fit)][:2]     # doctest: +SKIP
    ['Key findings', 'Training compute of all runs']
    """
    if study is not None:
        _study_parts(study, study_figure)  # fail before the slow figures
    if data is None:
        data = _matching_data(fit)
    cost_runs = data.runs if data is not None else None
    sections = [
        _section_findings(fit, forecast),
        _section_classic(fit),
        _section_posteriors(fit),
        _section_frontier(fit, frontier_fit, frontier_n),
        _section_forecast(fit, forecast, cost_runs),
        _section_thresholds(forecast),
    ]
    if study is not None:
        sections.append(_section_study(study, study_figure))
    sections += [
        _section_diagnostics(fit),
        _section_provenance(fit, data),
        _section_methods(fit),
        _section_reproduction(fit, command),
    ]
    return sections


def _matching_data(fit: Fit) -> RunTable | None:
    """The fit's data table, when it can be read again and its hash matches."""
    from flopcast import runs as io

    source = fit.provenance.get("data_source")
    try:
        if source == "bundled":
            table = io.load_runs(include_excluded=True)
        elif source and Path(str(source)).is_file():
            table = io.read_runs(str(source))
        else:
            return None
    except (FlopcastError, OSError):
        return None
    return table if table.sha256 == fit.data_sha256 else None


# --------------------------------------------------------------------------------------
# Rendering

_CSS = """
:root { --fg: #1a1a1a; --muted: #555; --line: #d0d0d0; --accent: #0072B2; --danger: #b00020;
  --ok: #00694a; --note: #6b5900; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; color: var(--fg); line-height: 1.5; margin: 0 auto; max-width: 62rem;
  padding: 1.5rem 1.25rem 4rem; font-size: 16px; }
header h1 { font-size: 1.75rem; margin: 0 0 .25rem; }
header p { color: var(--muted); margin: .1rem 0; }
nav { border: 1px solid var(--line); border-radius: 6px; padding: .5rem 1rem; margin: 1rem 0; }
nav ol { margin: .25rem 0; padding-left: 1.4rem; columns: 2; }
h2 { font-size: 1.35rem; border-bottom: 2px solid var(--accent); padding-bottom: .2rem;
  margin-top: 2.5rem; }
figure { margin: 1rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: .92rem; margin-top: .3rem; }
table { border-collapse: collapse; width: 100%; margin: .75rem 0 1.25rem; font-size: .9rem; }
caption { caption-side: top; text-align: left; color: var(--muted); padding-bottom: .3rem; }
th, td { border-bottom: 1px solid var(--line); padding: .3rem .5rem; text-align: left;
  vertical-align: top; overflow-wrap: break-word; }
td.num { white-space: nowrap; }
.table-wrap { overflow-x: auto; }
th { background: #f3f5f7; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: .75rem;
  overflow-x: auto; font-size: .85rem; white-space: pre-wrap; }
.banner { border-radius: 6px; padding: .75rem 1rem; margin: 1rem 0; border: 2px solid; }
.banner-danger { border-color: var(--danger); background: #fdecee; color: var(--danger); }
.banner-danger strong { font-size: 1.1rem; }
.banner-ok { border-color: var(--ok); background: #e8f5ef; color: var(--ok); }
.banner-note { border-color: #c9b400; background: #fffbe0; color: var(--note); }
.banner ul { margin: .4rem 0 0; }
details { border: 1px solid var(--line); border-radius: 6px; padding: .4rem .8rem;
  margin: .75rem 0; }
summary { cursor: pointer; font-weight: 600; }
footer { color: var(--muted); font-size: .85rem; margin-top: 3rem; }
@media print {
  @page { size: A4; margin: 14mm; }
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  nav { display: none; }
  section { break-before: page; }
  section:first-of-type { break-before: auto; }
  h2 { margin-top: 0; }
  figure, tr, .banner, pre { break-inside: avoid; }
  thead { display: table-header-group; }
  a { color: inherit; text-decoration: none; }
  details { border: none; padding: 0; }
  figure img { border: none; }
}
"""

_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy"
 content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>{{ title }}</title>
<style>{{ css }}</style>
</head>
<body>
{%- macro render(block) -%}
{%- if block.kind == "paragraph" %}
<p>{% if block.lead %}<strong>{{ block.lead }}</strong>{% endif %}{{ block.text }}</p>
{%- elif block.kind == "list" %}
<ul>{% for item in block.items %}<li>{{ item }}</li>{% endfor %}</ul>
{%- elif block.kind == "table" %}
<div class="table-wrap"><table>{% if block.caption %}<caption>{{ block.caption }}</caption>
{%- endif %}
<thead><tr>{% for c in block.columns %}<th class="{{ block.align(loop.index0) }}">{{ c }}</th>
{%- endfor %}</tr></thead>
<tbody>
{%- for row in block.rows %}
<tr>{% for v in row %}<td class="{{ block.align(loop.index0) }}">{{ v }}</td>{% endfor %}</tr>
{%- endfor %}
</tbody></table></div>
{%- elif block.kind == "figure" %}
<figure id="figure-{{ block.name }}"><img src="{{ block.data_uri }}" alt="{{ block.alt }}"
 width="{{ block.width }}">
<figcaption>{{ block.caption }}</figcaption></figure>
{%- elif block.kind == "code" %}
<pre><code>{{ block.text }}</code></pre>
{%- elif block.kind == "banner" %}
<div class="banner banner-{{ block.level }}"
 role="{{ 'alert' if block.level == 'danger' else 'note' }}">
<strong>{{ block.title }}</strong>
{%- if block.items %}<ul>{% for item in block.items %}<li>{{ item }}</li>{% endfor %}</ul>
{%- endif %}</div>
{%- elif block.kind == "details" %}
<details><summary>{{ block.summary }}</summary>
{%- for inner in block.blocks %}{{ render(inner) }}{% endfor %}
</details>
{%- endif %}
{%- endmacro %}
<header>
<h1>{{ title }}</h1>
{%- for line in subtitle %}
<p>{{ line }}</p>
{%- endfor %}
</header>
{%- for banner in top %}{{ render(banner) }}{% endfor %}
<nav aria-label="Contents"><strong>Contents</strong><ol>
{%- for s in sections %}<li><a href="#{{ s.id }}">{{ s.title }}</a></li>{% endfor %}
</ol></nav>
{%- for s in sections %}
<section id="{{ s.id }}">
<h2>{{ s.title }}</h2>
{%- for block in s.blocks %}{{ render(block) }}{% endfor %}
</section>
{%- endfor %}
<footer>{{ footer }}</footer>
</body>
</html>
"""


def _data_label(fit: Fit, data: RunTable | None) -> str:
    if data is not None:
        return "bundled data" if _is_bundled(data) else f"data from {Path(data.source).name}"
    source = fit.provenance.get("data_source") or "unknown"
    return "bundled data" if source == "bundled" else f"data from {Path(str(source)).name}"


def _heading(fit: Fit, data: RunTable | None = None) -> tuple[str, list[str], str]:
    from flopcast._version import __version__

    title = f"flopcast report: spec {fit.spec.name}"
    first = fit.runs["date"].min()
    last = fit.runs["date"].max()
    subtitle = [
        f"{len(fit.runs)} training runs, {pd.Timestamp(first).date()} to "
        f"{pd.Timestamp(last).date()}; {_data_label(fit, data)} "
        f"(sha256 {fit.data_sha256[:12]}…).",
        f"Every interval is a {_PCT}% interval; estimates are posterior medians.",
    ]
    footer = (
        f"Written by flopcast {__version__} (report version {REPORT_VERSION}). Data: Epoch AI, "
        "CC BY 4.0, where bundled."
    )
    return title, subtitle, footer


def render_html(sections: Sequence[Section], fit: Fit, *, data: RunTable | None = None) -> str:
    """Render sections as one self-contained HTML page (jinja2, autoescaping on).

    Parameters
    ----------
    sections : sequence of Section
        From :func:`build_sections`.
    fit : Fit
        For the page title and header.
    data : RunTable, optional
        The fit's data, to name its source in the header.

    Returns
    -------
    str

    Examples
    --------
    >>> page = render_html(build_sections(fit), fit)    # doctest: +SKIP
    >>> page.startswith("<!DOCTYPE html>")               # doctest: +SKIP
    True
    """
    import jinja2
    from markupsafe import Markup

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.from_string(_TEMPLATE)
    title, subtitle, footer = _heading(fit, data)
    top = [] if fit.diagnostics.ok else [_diagnostics_banner(fit)]
    return template.render(
        title=title,
        subtitle=subtitle,
        footer=footer,
        css=Markup(_CSS),
        sections=sections,
        top=top,
    )


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~$])")


def md_escape(text: str) -> str:
    """Escape plain text for Markdown: HTML first (raw HTML passes through Markdown), then
    Markdown's inline metacharacters (and ``$``, which GitHub reads as maths); newlines
    become spaces.

    Examples
    --------
    >>> md_escape("<script>alert(1)</script> a_b|c")
    '&lt;script&gt;alert(1)&lt;/script&gt; a\\\\_b\\\\|c'
    """
    text = " ".join(str(text).splitlines())
    text = _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))
    if text.startswith("#"):
        text = "\\" + text
    return text


def _md_block(block: Any, out: list[str]) -> None:
    if block.kind == "paragraph":
        lead = f"**{md_escape(block.lead.strip())}** " if block.lead else ""
        out += [lead + md_escape(block.text), ""]
    elif block.kind == "list":
        out += [f"- {md_escape(item)}" for item in block.items] + [""]
    elif block.kind == "table":
        if block.caption:
            out += [f"*{md_escape(block.caption)}*", ""]
        cols = [md_escape(c) or " " for c in block.columns]
        out.append("| " + " | ".join(cols) + " |")
        out.append(
            "|"
            + "|".join(" ---: " if block.align(i) == "num" else " --- " for i in range(len(cols)))
            + "|"
        )
        for row in block.rows:
            out.append("| " + " | ".join(md_escape(v) for v in row) + " |")
        out.append("")
    elif block.kind == "figure":
        out += [
            f"![{md_escape(block.alt)}](figures/{block.name}.png)",
            "",
            f"*{md_escape(block.caption)}*",
            "",
        ]
    elif block.kind == "code":
        fence = "~~~" if "```" in block.text else "```"
        out += [fence + block.language, block.text, fence, ""]
    elif block.kind == "banner":
        out.append(f"> **{md_escape(block.title)}**")
        if block.items:
            out.append(">")
            out += [f"> - {md_escape(item)}" for item in block.items]
        out.append("")
    elif block.kind == "details":
        out += [f"<details><summary>{html.escape(block.summary)}</summary>", ""]
        for inner in block.blocks:
            _md_block(inner, out)
        out += ["</details>", ""]


def render_markdown(sections: Sequence[Section], fit: Fit, *, data: RunTable | None = None) -> str:
    """Render sections as Markdown; figures are referenced as ``figures/<name>.png``.

    Parameters
    ----------
    sections : sequence of Section
    fit : Fit
    data : RunTable, optional
        The fit's data, to name its source in the header.

    Returns
    -------
    str

    Examples
    --------
    >>> text = render_markdown(build_sections(fit), fit)   # doctest: +SKIP
    >>> text.splitlines()[0]                                # doctest: +SKIP
    '# flopcast report: spec two\\\\_eras'
    """
    title, subtitle, footer = _heading(fit, data)
    out = [f"# {md_escape(title)}", ""]
    out += [md_escape(line) + "  " for line in subtitle] + [""]
    if not fit.diagnostics.ok:
        _md_block(_diagnostics_banner(fit), out)
    out += ["**Contents**", ""]
    out += [f"{i}. [{md_escape(s.title)}](#{s.id})" for i, s in enumerate(sections, 1)]
    out.append("")
    for s in sections:
        out += [f"## {md_escape(s.title)}", ""]
        for block in s.blocks:
            _md_block(block, out)
    out += ["---", "", md_escape(footer), ""]
    return "\n".join(out)


def _figure_blocks(blocks: Iterable[Any]) -> Iterable[FigureBlock]:
    for block in blocks:
        if block.kind == "figure":
            yield block
        elif block.kind == "details":
            yield from _figure_blocks(block.blocks)


# --------------------------------------------------------------------------------------
# Spec as TOML


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise FlopcastError(f"spec_to_toml: {value!r} has no TOML form")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items() if v is not None]
        return "{ " + ", ".join(items) + " }" if items else "{}"
    raise FlopcastError(f"spec_to_toml: cannot write {type(value).__name__} values")


def spec_to_toml(spec: ModelSpec) -> str:
    """The resolved spec as TOML text that :func:`flopcast.load_spec` reads back unchanged.

    Parameters
    ----------
    spec : ModelSpec

    Returns
    -------
    str

    Examples
    --------
    >>> import tomllib
    >>> spec = ModelSpec.from_dict({"name": "demo", "model": {"breaks": 2}})
    >>> ModelSpec.from_dict(tomllib.loads(spec_to_toml(spec))) == spec
    True
    """
    values = spec.to_dict()
    lines = ["# Resolved flopcast spec (every default filled in), written by flopcast report."]
    sections = {k: v for k, v in values.items() if isinstance(v, dict)}
    for key, value in values.items():
        if key not in sections and value is not None:
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    for name, table in sections.items():
        lines += ["", f"[{_toml_key(name)}]"]
        for key, value in table.items():
            if value is not None:
                lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------
# Fit or reuse


def _differences(a: Any, b: Any, prefix: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b)):
            out += _differences(a.get(key), b.get(key), f"{prefix}{key}.")
        return out
    return [] if a == b else [prefix.rstrip(".")]


def load_or_fit(
    spec: ModelSpec,
    data: RunTable,
    path: str | Path,
    *,
    seed: int | None = None,
    refit: bool = False,
    progress: bool | None = None,
) -> tuple[Fit, bool, str]:
    """Reuse the fit saved at ``path`` when its spec, data and seed match; else fit.

    A saved fit is reused only when its resolved spec (JSON) equals ``spec``'s, its data
    sha256 equals ``data.sha256`` and its seed equals ``seed`` (default: the spec's).

    Parameters
    ----------
    spec : ModelSpec
    data : RunTable
        The runs to fit (from :func:`flopcast.load_runs` or :func:`flopcast.read_runs`).
    path : str or Path
        Where a previous report saved its fit (``OUT/fit.nc``).
    seed : int, optional
    refit : bool, default False
        Fit even when the saved fit matches.
    progress : bool, optional
        Sampler progress bar (default: when stderr is a terminal).

    Returns
    -------
    fit : Fit
    reused : bool
    message : str
        Which happened and why, for the user.

    Examples
    --------
    >>> fit, reused, why = load_or_fit(spec, flopcast.load_runs(), "reports/default/fit.nc")
    ... # doctest: +SKIP
    """
    from flopcast.fitting import fit as fit_spec
    from flopcast.fitting import load_fit

    path = Path(path)
    wanted_seed = spec.sampler.seed if seed is None else int(seed)
    if refit:
        reason = "refit asked for"
    elif not path.is_file():
        reason = f"no saved fit at {path}"
    else:
        try:
            saved = load_fit(path)
        except FitLoadError as exc:
            reason = f"the saved fit could not be read ({exc})"
        else:
            diff = _differences(saved.spec.to_dict(), spec.to_dict())
            if diff:
                shown = ", ".join(diff[:5]) + (" ..." if len(diff) > 5 else "")
                reason = f"the saved fit {path} has a different spec (differs in {shown})"
            elif saved.data_sha256 != data.sha256:
                reason = (
                    f"the saved fit {path} was fitted to other data (sha256 "
                    f"{saved.data_sha256[:12]}…, now {data.sha256[:12]}…)"
                )
            elif saved.seed != wanted_seed:
                reason = f"the saved fit {path} used seed {saved.seed}, not {wanted_seed}"
            else:
                return (
                    saved,
                    True,
                    f"reused the saved fit {path} (same resolved spec, data sha256 and seed)",
                )
    result = fit_spec(data, spec, seed=wanted_seed, progress=progress)
    return result, False, f"fitted spec {spec.name!r}: {reason}"


# --------------------------------------------------------------------------------------
# Writing


def summary_dict(fit: Fit, forecast: Forecast | None = None) -> dict[str, Any]:
    """The content of ``summary.json``: the fit's JSON, the forecast's, ``report_version``.

    Examples
    --------
    >>> summary_dict(fit)["report_version"]          # doctest: +SKIP
    1
    """
    out = fit.to_json_dict()
    if forecast is not None:
        out["forecast"] = forecast.to_json_dict()
    out["report_version"] = REPORT_VERSION
    return out


def write_report(
    fit: Fit,
    out_dir: str | Path,
    *,
    forecast: Forecast | None = None,
    study: Any = None,
    command: str | None = None,
    study_figure: Figure | None = None,
    data: RunTable | None = None,
    frontier_fit: Fit | None = None,
    save_fit: bool = True,
) -> Path:
    """Write the report folder: index.html, report.md, figures/, summary.json, fit.nc.

    Parameters
    ----------
    fit : Fit
        The fit to report.
    out_dir : str or Path
        Folder to write into (created if missing; files of an earlier report are
        replaced).
    forecast : Forecast, optional
        Adds the forecast fan charts, the forecast table and the threshold crossings.
    study : pandas.DataFrame or (DataFrame, Figure), optional
        A sensitivity study (one row per variant), rendered as a table and the optional
        figure; ``DataFrame.attrs["description"]`` becomes its introduction.
    command : str, optional
        The command line that produced the report, for the reproduction section.
    study_figure : matplotlib.figure.Figure, optional
        The study's chart (e.g. a tornado chart), when ``study`` is a bare DataFrame.
    data : RunTable, optional
        The data the fit was made from, for the row-by-row list of exclusions and the
        recorded costs. By default the fit's data source is read again when its sha256
        matches the fit's; otherwise exclusions are given as counts only.
    frontier_fit : Fit, optional
        A fit of frontier runs, drawn on the frontier chart.
    save_fit : bool, default True
        Save the fit as ``fit.nc`` (written atomically, so a fit loaded from that file can
        be saved over it).

    Returns
    -------
    Path
        The path of ``index.html``.

    Examples
    --------
    >>> import flopcast
    >>> from flopcast.forecasting import forecast
    >>> fit = flopcast.fit(spec="two_eras")                       # doctest: +SKIP
    >>> write_report(fit, "reports/demo", forecast=forecast(fit))  # doctest: +SKIP
    PosixPath('reports/demo/index.html')
    """
    if not isinstance(fit, Fit):
        raise FlopcastError(f"write_report needs a Fit, got {type(fit).__name__}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fig_dir = out / "figures"
    fig_dir.mkdir(exist_ok=True)
    if data is None:
        data = _matching_data(fit)
    sections = build_sections(
        fit,
        forecast=forecast,
        study=study,
        study_figure=study_figure,
        command=command,
        data=data,
        frontier_fit=frontier_fit,
    )
    for block in (b for s in sections for b in _figure_blocks(s.blocks)):
        (fig_dir / f"{block.name}.png").write_bytes(block.png)
    index = out / "index.html"
    index.write_text(render_html(sections, fit, data=data), encoding="utf-8")
    (out / "report.md").write_text(render_markdown(sections, fit, data=data), encoding="utf-8")
    summary = summary_dict(fit, forecast)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    (out / "spec.toml").write_text(spec_to_toml(fit.spec), encoding="utf-8")
    if save_fit:
        # Written beside and then renamed, so a fit loaded (lazily) from fit.nc can be
        # saved over it, and a crash never leaves a half-written fit.nc.
        tmp = out / f".fit.{os.getpid()}.nc.tmp"
        try:
            fit.save(tmp)
            os.replace(tmp, out / "fit.nc")
        finally:
            tmp.unlink(missing_ok=True)
    return index
