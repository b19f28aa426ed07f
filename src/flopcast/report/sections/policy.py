"""The policy section: runs above compute thresholds per year, and the limits on a frontier run."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from flopcast.exceptions import FlopcastError
from flopcast.figures.counts import counts_chart
from flopcast.fitting import Fit
from flopcast.forecasting.count_checks import count_check
from flopcast.formatting import format_flop, format_percent, format_usd
from flopcast.report.document import BulletList, Paragraph, Section, Table, figure_block, slug

if TYPE_CHECKING:
    from flopcast.forecasting import Forecast

__all__ = ["POLICY_TITLE", "policy_section"]

#: The section's title.
POLICY_TITLE = "Runs above thresholds and limits"


def _count(v: float) -> str:
    return f"{v:,.0f}"


def policy_section(fit: Fit, fc: Forecast | None) -> Section:
    """Counts of runs above the count thresholds per year (chart and table), and the
    ceilings on a frontier run with the probability that each binds."""
    sec = Section(slug(POLICY_TITLE), POLICY_TITLE)
    if fc is None:
        sec.blocks.append(Paragraph("No forecast in this report, so no counts or limits."))
        return sec
    table = fc.count_table()
    if table.empty:
        sec.blocks.append(
            Paragraph(
                "No counts: the data hold too few complete calendar years since the count "
                "model's first year (counts.rate_since) to fit the runs published per year."
            )
        )
    else:
        attrs = table.attrs
        sec.blocks.append(
            BulletList(
                (
                    f"Population counted: {attrs.get('population', '')}. Epoch AI's database "
                    "changed its inclusion rules: the share of runs listed for notability fell "
                    "from 76-100% in 2013-2018 to 21% in 2024, as large runs came in whatever "
                    "their notability, so counts of recent years are closer to complete above "
                    "about 1e23 FLOP than below it, and the growth of the runs published per "
                    "year mixes more training runs with wider coverage.",
                    f"Runs per year: {attrs.get('rate', '').removeprefix('runs per year: ')}.",
                    "Size of each run: the compute model's trend (with future breaks, and "
                    f"saturating under the ceilings when limits are on); "
                    f"{attrs.get('tail', '')}. Intervals are 90% predictive intervals of "
                    "the count. On the bundled data a time-ordered backtest covered the counts "
                    "above 1e23-1e25 FLOP up to four years ahead (docs: "
                    "explanation/counts_and_limits); "
                    "further out the counts rest on the runs per year and the compute trend "
                    "both continuing.",
                    f"Cumulative counts start from the runs in the data before "
                    f"{attrs.get('cumulative_from', '')}; {attrs.get('partial_year', '')}.",
                )
            )
        )
        sec.blocks.append(
            figure_block(
                "counts",
                counts_chart(fc, runs=fit.runs),
                "Runs above compute thresholds per year: observed and forecast",
                "Runs published each year above each threshold. Points: the data (open: the "
                "year is covered only up to the last run); lines and bands: forecast median "
                "and 90% predictive interval.",
            )
        )
        rows = []
        for r in table.itertuples():
            observed = "" if np.isnan(r.observed) else _count(r.observed)
            rows.append(
                (
                    format_flop(r.threshold_flop),
                    str(r.year),
                    _count(r.median),
                    f"{_count(r.ci90_low)}–{_count(r.ci90_high)}",
                    _count(r.cumulative_median),
                    f"{_count(r.cumulative_ci90_low)}–{_count(r.cumulative_ci90_high)}",
                    observed,
                )
            )
        sec.blocks.append(
            Table(
                (
                    "threshold",
                    "year",
                    "median",
                    "90% interval",
                    "cumulative",
                    "90% interval",
                    "observed",
                ),
                tuple(rows),
                "Runs above each threshold: published in the year and cumulative to its end.",
                (False, True, True, True, True, True, True),
            )
        )
        sec.blocks.extend(_check_blocks(fit))
    sec.blocks.extend(_limits_blocks(fc))
    return sec


def _check_blocks(fit: Fit) -> list:
    """The posterior predictive check of the counts in the data (1e23-1e25 FLOP)."""
    try:
        check = count_check(fit)
    except FlopcastError:
        return []
    rows = tuple(
        (
            format_flop(r.threshold_flop),
            str(r.year),
            _count(r.observed),
            _count(r.median),
            f"{_count(r.ci90_low)}–{_count(r.ci90_high)}",
            format_percent(r.p_at_least),
        )
        for r in check.itertuples()
        if r.year >= 2020
    )
    inside = check.groupby("threshold_flop")["inside_ci90"].mean()
    text = "; ".join(f"{format_flop(t)}: {format_percent(v)}" for t, v in inside.items())
    return [
        Paragraph(
            "Check of the counts in the data (posterior predictive): runs whose published "
            f"compute is above each threshold, per year from {int(check['year'].min())}, "
            "replicated from the fitted count and compute models "
            f"({check.attrs.get('tail', '')}). Share of years whose observed count lies "
            f"inside the 90% interval: {text}. {_check_verdict(check)} P(at least): the "
            "predictive probability of a count at least as large as observed (near 100%: too "
            "many runs predicted; near 0%: too few). The years whose residuals make the "
            "empirical tail are checked in-sample, the earlier ones out of sample in shape. "
            "The last year is covered only up to the last run."
        ),
        Table(
            ("threshold", "year", "observed", "predicted", "90% interval", "P(at least)"),
            rows,
            "Counts in the data against their posterior predictive distribution (from 2020).",
            (False, True, True, True, True, True),
        ),
    ]


def _check_verdict(check) -> str:
    """What the check says of each threshold: too many, too few, or consistent."""
    seen = check[(check["observed"] > 0) | (check["median"] > 0)]
    verdicts = []
    for t, rows in seen.groupby("threshold_flop"):
        p = float(rows["p_at_least"].median())
        if rows["inside_ci90"].mean() >= 0.8 and 0.1 <= p <= 0.9:
            continue
        side = "too many" if p > 0.5 else "too few"
        verdicts.append(f"above {format_flop(t)} the model predicts {side} runs")
    if not verdicts:
        return "The observed counts are consistent with the model at every threshold."
    text = "; ".join(verdicts)
    return text[0].upper() + text[1:] + ": read the forecast counts there with care."


def _limits_blocks(fc: Forecast) -> list:
    info = fc.limits
    if info is None:
        return []
    out: list = [
        Paragraph(
            f"L{info.describe()[1:]}. Each ceiling on a frontier run is a lognormal prior "
            "whose 90% interval is the published range for 2030, growing by the stated factor "
            "per year; cost ceilings become compute ceilings through each draw's "
            "price-performance and utilization. Forecasts saturate smoothly under the lowest "
            "ceiling of each draw (a soft minimum in log space, never above it)."
        )
    ]
    rows = []
    for r in info.table().to_dict("records"):
        fmt = format_flop if r["unit"] == "FLOP" else format_usd
        p = r.get("p_binding_last")
        rows.append(
            (
                r["name"],
                fmt(r["median"]),
                f"{fmt(r['ci90_low'])} – {fmt(r['ci90_high'])}",
                f"{r['growth_per_year']:g}x",
                "" if p is None else format_percent(p),
                r["source"],
            )
        )
    out.append(
        Table(
            (
                "ceiling",
                "2030 median",
                "2030 90% interval",
                "growth per year",
                "P(binds) at the horizon",
                "source",
            ),
            tuple(rows),
            "Ceilings on a frontier run: 2030 priors (median, 90% interval), growth, source.",
            (False, True, True, True, True, False),
        )
    )
    return out
