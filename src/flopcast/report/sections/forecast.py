"""Sections about the forecast: the fan charts with their table, and threshold crossings."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from flopcast import figures
from flopcast.dates import decimal_year_to_date
from flopcast.fitting import Fit
from flopcast.formatting import (
    format_flop,
    format_flop_range,
    format_month,
    format_percent,
    format_usd,
    format_usd_range,
    format_year,
)
from flopcast.report.document import (
    Banner,
    BulletList,
    Paragraph,
    Section,
    Table,
    figure_block,
    slug,
)
from flopcast.report.wording import CREDIBLE, PREDICTIVE, threshold_label

if TYPE_CHECKING:
    from flopcast.forecasting import Forecast

__all__ = ["QUANTITY_LABELS", "forecast_section", "thresholds_section"]

#: How the forecast table's quantities are named in the report.
QUANTITY_LABELS = {
    "compute_flop": "typical run compute (FLOP)",
    "frontier_compute_flop": "frontier compute (FLOP)",
    "frontier_cost_usd": "frontier run cost (USD)",
}


def forecast_section(fit: Fit, fc: Forecast | None, cost_runs: pd.DataFrame | None) -> Section:
    """What the forecast assumes, its fan charts and its table (a note when there is none)."""
    sec = Section(slug("Forecasts"), "Forecasts")
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
    regimes = (
        (f"Future regime changes: {fc.regime.describe()}.",)
        if fc.frontier_regime is None
        else (
            f"Future regime changes of the frontier trend: {fc.frontier_regime.describe()}.",
            f"Future regime changes of the typical run: {fc.regime.describe()}.",
        )
    )
    sec.blocks.append(
        BulletList(
            (
                f"Frontier: {meanings.get('frontier', fc.frontier.description)}.",
                *regimes,
                f"Cost: {meanings.get('cost', 'not computed')}.",
                f"Median and {CREDIBLE}: the trend (where the median run lies). {PREDICTIVE}: "
                "one run published at that date (trend plus scatter).",
            )
        )
    )
    sec.blocks.append(
        figure_block(
            "forecast_compute",
            figures.forecast_compute_chart(fit, fc),
            "Fan chart of frontier training compute to the horizon",
            f"Frontier training compute to the horizon. Dark band: {CREDIBLE} of the trend; "
            f"light band: {PREDICTIVE} for one frontier run. Dashed: the frontier trend fitted "
            "to the data. Blue: the typical run (full-population fits). Dotted lines: "
            "thresholds.",
        )
    )
    if "log10_frontier_cost_usd_trend" in fc.draws:
        sec.blocks.append(
            figure_block(
                "forecast_cost",
                figures.forecast_cost_chart(fit, fc, runs=cost_runs),
                "Fan chart of the training cost of a frontier run to the horizon",
                f"Training cost of a frontier run. Dark band: {CREDIBLE} of the trend's cost; "
                f"light band: {PREDICTIVE} for one run. Points: costs recorded in the data "
                "(diamonds: runs that were top 10 when published).",
            )
        )
    table = fc.table()
    rows = []
    for r in table.itertuples():
        usd = "cost" in r.quantity
        fmt = format_usd if usd else format_flop
        rng = format_usd_range if usd else format_flop_range
        rows.append(
            (
                pd.Timestamp(r.date).date().isoformat(),
                QUANTITY_LABELS.get(r.quantity, r.quantity),
                fmt(r.median),
                rng(r.ci90_low, r.ci90_high),
                rng(r.pi90_low, r.pi90_high),
            )
        )
    sec.blocks.append(
        Table(
            ("date", "quantity", "median", CREDIBLE, PREDICTIVE),
            tuple(rows),
            f"Forecast medians with the {CREDIBLE} of the trend and the {PREDICTIVE} for one run.",
            (True, False, True, True, True),
        )
    )
    return sec


def thresholds_section(fc: Forecast | None) -> Section:
    """When the frontier trend reaches each threshold, and which run in the data did."""
    sec = Section(slug("Threshold crossings"), "Threshold crossings")
    if fc is None:
        sec.blocks.append(Paragraph("No forecast in this report, so no threshold crossings."))
        return sec
    when = decimal_year_to_date(fc.horizon).isoformat()
    sec.blocks.append(
        Paragraph(
            f"The date the frontier trend first reaches each threshold: posterior median and "
            f"{CREDIBLE}, and the probability that it does so by the horizon ({when}). "
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
                threshold_label(r.quantity, r.value),
                f"{format_year(r.median_date)} ({format_month(r.median_date)})",
                f"{format_year(r.ci90_low)} – {format_year(r.ci90_high)}",
                format_percent(r.prob_by_horizon),
                data,
            )
        )
    sec.blocks.append(
        Table(
            ("threshold", "median date", CREDIBLE, f"probability by {when}", "reached in the data"),
            tuple(rows),
            "Threshold crossings of the frontier trend (decimal years).",
            (False, True, True, True, False),
        )
    )
    return sec
