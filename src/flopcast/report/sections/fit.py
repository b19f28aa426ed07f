"""Sections about the fit: key findings, the classic chart, posteriors, frontier, diagnostics."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from flopcast import figures
from flopcast.fitting import Fit, stack_draws
from flopcast.fitting.diagnostics import ESS_MIN, RHAT_MAX
from flopcast.formatting import format_flop, format_flop_range, format_significant
from flopcast.intervals import CI_LEVEL, central_interval, interval_columns
from flopcast.report.document import (
    Banner,
    BulletList,
    Paragraph,
    Section,
    Table,
    figure_block,
    slug,
)
from flopcast.report.findings import findings
from flopcast.report.wording import CREDIBLE
from flopcast.runs.selection import top_n_at_publication
from flopcast.units import PFS_DAY_FLOP

if TYPE_CHECKING:
    from flopcast.forecasting import Forecast

__all__ = [
    "classic_section",
    "diagnostics_banner",
    "diagnostics_section",
    "findings_section",
    "frontier_section",
    "posteriors_section",
]


def _bounds(row: pd.Series, prefix: str = "") -> tuple[float, float]:
    """The interval bounds of a summary row (``ci90_low``/``ci90_high``), after ``prefix``."""
    low, high = interval_columns(CI_LEVEL)
    return float(row[f"{prefix}{low}"]), float(row[f"{prefix}{high}"])


def findings_section(
    fit: Fit,
    fc: Forecast | None,
    *,
    skill_section: bool = False,
    frontier_fit: Fit | None = None,
) -> Section:
    """Key findings, behind a loud banner when the sampler diagnostics of the fit (or of the
    separate frontier fit the frontier numbers come from) failed.
    ``skill_section``: the report has a "Forecast skill" section to point to."""
    sec = Section(slug("Key findings"), "Key findings")
    for checked in (fit, frontier_fit):
        if checked is not None and not checked.diagnostics.ok:
            sec.blocks.append(diagnostics_banner(checked, named=checked is frontier_fit))
    for part in findings(fit, fc, skill_section=skill_section):
        if isinstance(part, list):
            sec.blocks.append(BulletList(tuple(part)))
        elif not part.startswith("SAMPLING PROBLEMS"):
            sec.blocks.append(Paragraph(part))
    return sec


def classic_section(fit: Fit) -> Section:
    """The classic chart of every run with the posterior trend and eras."""
    sec = Section(slug("Training compute of all runs"), "Training compute of all runs")
    sec.blocks.append(
        figure_block(
            "classic",
            figures.classic_chart(fit),
            f"Log-scale chart of the training compute of {len(fit.runs)} runs by estimation "
            "method, with the posterior trend and eras",
            f"Every run the model saw, coloured and shaped by how its compute was estimated. "
            f"Black line: posterior median of the trend; grey band: its {CREDIBLE}. Eras are "
            f"shaded between the posterior median break dates; hatched bands: each break "
            f"date's {CREDIBLE}. Left axis FLOP, right axis petaflop/s-days "
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
                return format_significant(v, 3)

        low, high = _bounds(r)
        rows.append(
            (
                str(name).replace("_", " "),
                fmt(r["median"]),
                f"{fmt(low)} – {fmt(high)}",
                unit,
            )
        )
    return Table(
        ("parameter", "posterior median", CREDIBLE, "unit"),
        tuple(rows),
        f"Posterior medians and {CREDIBLE}s of the model's parameters.",
        (False, True, True, False),
    )


def posteriors_section(fit: Fit) -> Section:
    """Break-date and doubling-time posteriors, and the table of every parameter."""
    title = "Break dates and doubling times"
    sec = Section(slug(title), title)
    sec.blocks.append(
        figure_block(
            "break_dates",
            figures.break_date_posteriors(fit),
            "Histogram of the posterior of each break date",
            f"Posterior of each break date (histogram of all draws; thin lines: each chain "
            f"separately). Shaded: {CREDIBLE}; vertical line: median.",
        )
    )
    sec.blocks.append(
        figure_block(
            "doubling_times",
            figures.doubling_time_posteriors(fit),
            "Histograms of the posterior doubling time of each era",
            f"Posterior of each era's doubling time in months. Shaded: {CREDIBLE}; vertical "
            "line: median.",
        )
    )
    sec.blocks.append(_summary_table(fit))
    return sec


def frontier_section(fit: Fit, frontier_fit: Fit | None, n: int) -> Section:
    """The frontier chart, the frontier fit's doubling times and the ten largest runs."""
    sec = Section(slug("The frontier"), "The frontier")
    sec.blocks.append(
        figure_block(
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
            + f", with its {CREDIBLE}.",
        )
    )
    if frontier_fit is not None:
        d = stack_draws(frontier_fit.posterior, "doubling_months")
        parts = []
        for i in range(d.shape[1]):
            med, lo, hi = central_interval(d[:, i], CI_LEVEL)
            parts.append(f"era {i + 1}: {med:.1f} months ({CREDIBLE} {lo:.1f}–{hi:.1f})")
        sec.blocks.append(
            Paragraph(
                f"Doubling time of the frontier fit (spec '{frontier_fit.spec.name}', "
                f"{len(frontier_fit.runs)} runs from "
                f"{float(frontier_fit.runs['year'].min()):.0f}): " + "; ".join(parts) + "."
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
                format_flop(float(r["compute_flop"])),
                str(r.get("method", "")),
                format_flop(float(lat["true_median"])),
                format_flop_range(*_bounds(lat, "true_")),
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
                CREDIBLE,
                f"top {n} when published",
            ),
            tuple(rows),
            f"The ten largest runs in the fit by published compute, with each run's posterior "
            f"true compute (the model's estimate given its measurement error) and its "
            f"{CREDIBLE}.",
            (False, False, True, True, False, True, True, False),
        )
    )
    return sec


def diagnostics_banner(fit: Fit, *, named: bool = False) -> Banner:
    """A green box when the sampler diagnostics passed, a red one listing the problems;
    ``named``: the box names the fit's spec (for the separate frontier fit)."""
    diag = fit.diagnostics
    of = f" of the frontier model '{fit.spec.name}'" if named else ""
    if diag.ok:
        return Banner("ok", f"All sampler diagnostics{of} passed.")
    what = "the frontier numbers" if named else "these numbers"
    return Banner(
        "danger",
        f"SAMPLING PROBLEMS{of}: do not trust {what} until they are fixed",
        (
            *diag.problems,
            "Try more tuning or draws (sampler.tune, sampler.draws), fewer breaks, or fixed "
            "breaks.",
        ),
    )


def diagnostics_section(fit: Fit, frontier_fit: Fit | None = None) -> Section:
    """Every sampler check with its value, threshold and status, and the sampler settings;
    then the same for the separate frontier fit, when the frontier numbers come from one."""
    sec = Section(slug("Diagnostics"), "Diagnostics")
    _diagnostics_blocks(sec, fit, named=False)
    if frontier_fit is not None:
        sec.blocks.append(
            Paragraph("its separate fit:", lead=f"The frontier model '{frontier_fit.spec.name}', ")
        )
        _diagnostics_blocks(sec, frontier_fit, named=True)
    return sec


def _diagnostics_blocks(sec: Section, fit: Fit, *, named: bool) -> None:
    """The banner, the table of checks and the sampler settings of one fit, into ``sec``."""
    diag = fit.diagnostics
    sec.blocks.append(diagnostics_banner(fit, named=named))

    def status(ok: bool) -> str:
        return "pass" if ok else "FAIL"

    rows = [
        (
            "max R-hat (rank-normalised, all parameters)",
            format_significant(diag.max_rhat, 4),
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
