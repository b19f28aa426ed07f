"""The key findings: the headline paragraphs of a report, every estimate with its interval."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from flopcast.dates import decimal_year_to_date
from flopcast.fitting import Fit, stack_draws
from flopcast.formatting import (
    format_flop,
    format_flop_range,
    format_month,
    format_percent,
    format_usd,
    format_usd_range,
)
from flopcast.intervals import CI_LEVEL, central_interval
from flopcast.report.frontier_model import frontier_model_note
from flopcast.report.wording import (
    CREDIBLE,
    INTERVAL_MEANING,
    PREDICTIVE,
    subject,
    threshold_label,
)

if TYPE_CHECKING:
    from flopcast.forecasting import Forecast

__all__ = ["findings", "key_findings"]


def key_findings(
    fit: Fit, forecast: Forecast | None = None, *, skill_section: bool = False
) -> list[str]:
    """The headline paragraphs of a report as plain text (lists joined with "; ").

    Parameters
    ----------
    fit : Fit
    forecast : Forecast, optional
    skill_section : bool, default False
        Whether the report has a "Forecast skill" section (the frontier model's note
        points to it).

    Returns
    -------
    list of str
        The trend and its eras; the forecast at the horizon and the next thresholds (when
        a forecast is given) and which model the frontier comes from; what the intervals
        mean; the data; the sampler's health.
        Every estimate carries its 90% interval.

    Examples
    --------
    >>> print(key_findings(fit)[0])                        # doctest: +SKIP
    Since Dec 2009 (break date; 90% credible interval Feb 2007–Oct 2012), the training
    compute of the typical training run doubled every 6.3 months (90% credible interval
    5.9–6.8), ...
    """
    out: list[str] = []
    for part in findings(fit, forecast, skill_section=skill_section):
        if isinstance(part, list):
            out[-1] += " " + "; ".join(part) + "."
        else:
            out.append(part)
    return out


def findings(
    fit: Fit, forecast: Forecast | None = None, *, skill_section: bool = False
) -> list[str | list[str]]:
    """The key findings as paragraphs (str) and bullet lists (list of str)."""
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
            breaks = [central_interval(b[:, i], CI_LEVEL) for i in range(k)]

    def era(i: int) -> str:
        d, d_lo, d_hi = central_interval(doubling[:, i], CI_LEVEL)
        g, g_lo, g_hi = central_interval(growth[:, i], CI_LEVEL)
        return (
            f"doubled every {d:.1f} months ({CREDIBLE} {d_lo:.1f}–{d_hi:.1f}), "
            f"{g:.2g}x per year ({g_lo:.2g}–{g_hi:.2g})"
        )

    def when(i: int) -> str:
        med, lo, hi = breaks[i]
        if fixed is not None:
            return f"{format_month(med)} (break date fixed by the spec)"
        return f"{format_month(med)} (break date; {CREDIBLE} {format_month(lo)}–{format_month(hi)})"

    what = subject(fit)
    if k == 0:
        trend = (
            f"From {first:.0f} to {format_month(last)}, the training compute of {what} "
            f"{era(0)}, with no break in the trend (this model has none)."
        )
    else:
        parts = [f"Since {when(k - 1)}, the training compute of {what} {era(k)}."]
        for i in range(k - 1, 0, -1):
            parts.append(f"Between {when(i - 1)} and {format_month(breaks[i][0])} it {era(i)}.")
        parts.append(f"Before {format_month(breaks[0][0])}, from {first:.0f}, it {era(0)}.")
        trend = " ".join(parts)
    out: list[str | list[str]] = [trend]
    if forecast is not None:
        out.extend(_forecast_findings(forecast, skill_section))
    out.append(INTERVAL_MEANING)
    not_selected = sum(s.get("n_removed", 0) for s in fit.provenance.get("selection_log", []))
    left_out = (
        f" and {not_selected} runs left out by the spec's data filters or frontier rule"
        if not_selected
        else ""
    )
    out.append(
        f"Fitted to {len(fit.runs)} runs published from {format_month(first)} to "
        f"{format_month(last)}; the {int(fit.provenance.get('n_excluded', 0))} input rows "
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


def _forecast_findings(fc: Forecast, skill_section: bool = False) -> list[str | list[str]]:
    table = fc.table()
    at = table["date"].max()
    horizon = table.loc[table["date"] == at].set_index("quantity")
    when = decimal_year_to_date(fc.horizon).isoformat()
    lines: list[str | list[str]] = []
    if "frontier_compute_flop" in horizon.index:
        r = horizon.loc["frontier_compute_flop"]
        text = (
            f"By {when}, the frontier trend reaches {format_flop(r['median'])} "
            f"({CREDIBLE} {format_flop_range(r['ci90_low'], r['ci90_high'])}); one frontier "
            f"run trained then would use {format_flop_range(r['pi90_low'], r['pi90_high'])} "
            f"({PREDICTIVE})."
        )
        if "compute_flop" in horizon.index:
            t = horizon.loc["compute_flop"]
            text += (
                f" The typical run then uses {format_flop(t['median'])} "
                f"({CREDIBLE} {format_flop_range(t['ci90_low'], t['ci90_high'])})."
            )
        if "frontier_cost_usd" in horizon.index:
            c = horizon.loc["frontier_cost_usd"]
            base = (fc.cost or {}).get("base_year") or "constant"
            text += (
                f" Training a frontier run then costs {format_usd(c['median'])} in {base} US "
                f"dollars ({CREDIBLE} {format_usd_range(c['ci90_low'], c['ci90_high'])}; "
                f"{format_usd_range(c['pi90_low'], c['pi90_high'])} for one run, {PREDICTIVE})."
            )
        text += (
            " The forecast allows for future breaks in the trend (regime changes on)."
            if fc.regime.enabled
            else " The forecast assumes no future break in the trend (regime changes off)."
        )
        lines.append(text)
    note = frontier_model_note(fc, skill_section=skill_section)
    lines += [line for line in (note, _count_finding(fc), _limits_finding(fc)) if line]
    upcoming = _upcoming_thresholds(fc)
    if upcoming:
        lines.append(_UPCOMING_INTRO.format(when=when))
        lines.append(upcoming)
    return lines


#: The year the counts finding is about, when the forecast covers it.
COUNT_FINDING_YEAR = 2028


def _count_finding(fc: Forecast) -> str:
    """Runs above 1e25 and 1e26 FLOP (those counted) in one year and cumulative."""
    table = fc.count_table()
    if table.empty:
        return ""
    year = COUNT_FINDING_YEAR if COUNT_FINDING_YEAR in set(table["year"]) else table["year"].max()
    parts = []
    for r in table[table["year"] == year].itertuples():
        if r.threshold_flop not in (1e25, 1e26):
            continue
        parts.append(
            f"{r.median:,.0f} runs above {format_flop(r.threshold_flop)} are published in {year} "
            f"(90% predictive interval {r.ci90_low:,.0f}–{r.ci90_high:,.0f}), "
            f"{r.cumulative_median:,.0f} ({r.cumulative_ci90_low:,.0f}–"
            f"{r.cumulative_ci90_high:,.0f}) in all by the end of {year}"
        )
    if not parts:
        return ""
    empirical = fc.counts is not None and "empirical" in fc.counts.tail
    caveat = (
        " The share of runs above a threshold comes from the spread of recent runs around the "
        "trend, and its record on past years' counts is in that section; counts more than a "
        "few years out rest on the runs published per year and the compute trend both "
        "continuing (compare Kumar & Manning 2025: 165 runs above 1e25 FLOP by the end of "
        "2028, 90% 103–306, and 81, 45–148, above 1e26 FLOP)."
        if empirical
        else " These counts use the compute model's symmetric scatter, which predicted more "
        "runs above 1e25 FLOP than were published in 2022-2024 on the bundled data: read "
        "them as an upper range (the default empirical tail, counts.tail, corrects this)."
    )
    return (
        "Counting the runs of the data set (see Runs above thresholds and limits): "
        + "; ".join(parts)
        + "."
        + caveat
    )


def _limits_finding(fc: Forecast) -> str:
    """Whether limits are on and which ceiling binds at the horizon, with probabilities."""
    info = fc.limits
    if info is None:
        return ""
    if not info.enabled:
        return f"Physical and economic limits are off ({info.reason})."
    last = info.binding[info.binding["year"] == info.binding["year"].max()]
    last = last.sort_values("probability", ascending=False)
    ceilings = last[last["name"] != "none"]
    top = ceilings.iloc[0]
    none = float(last.loc[last["name"] == "none", "probability"].sum())
    return (
        f"Limits are {info.reason}: by {decimal_year_to_date(fc.horizon).isoformat()} the "
        f"ceiling most likely to bind is {top['name']} (probability "
        f"{format_percent(top['probability'])}); some ceiling binds with probability "
        f"{format_percent(1.0 - none)}."
    )


_UPCOMING_INTRO = (
    "The frontier trend reaches the next thresholds on these dates (posterior median, "
    f"{CREDIBLE}, and the probability of reaching it by {{when}}):"
)


def _upcoming_thresholds(fc: Forecast) -> list[str]:
    """Thresholds not yet reached in the data, whose median date is after the data."""
    out = []
    for r in fc.thresholds.itertuples():
        if r.crossed_in_data or not (np.isfinite(r.median_date) and r.median_date > fc.last_data):
            continue
        out.append(
            f"{threshold_label(r.quantity, r.value)}: {format_month(r.median_date)} "
            f"({CREDIBLE} {format_month(r.ci90_low)}–{format_month(r.ci90_high)}; probability "
            f"{format_percent(r.prob_by_horizon)})"
        )
    return out
