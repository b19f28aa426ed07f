"""The method notes: the model's equations, its priors and the measurement-error groups."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flopcast.fitting import Fit
from flopcast.report.document import Code, Paragraph, Section, Table, slug
from flopcast.report.frontier_model import frontier_model_note
from flopcast.report.wording import sentence
from flopcast.runs.error_groups import z_for_coverage
from flopcast.spec import T_REF, ModelSpec

if TYPE_CHECKING:
    from flopcast.forecasting import Forecast

__all__ = ["methods_section", "model_equations", "prior_rows"]


def model_equations(spec: ModelSpec) -> str:
    """The spec's model as plain-text equations, one per line."""
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


def prior_rows(fit: Fit) -> tuple[tuple[str, str, str], ...]:
    """``(parameter, prior, unit)`` of every prior of the fit's resolved spec."""
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


def methods_section(
    fit: Fit, forecast: Forecast | None = None, *, skill_section: bool = False
) -> Section:
    """The model in words and equations, its priors, the frontier model the forecast's
    frontier comes from (with a forecast), and the error groups of the runs."""
    sec = Section(slug("Method notes"), "Method notes")
    spec = fit.spec
    sec.blocks.append(
        Paragraph(
            "Every run's true training compute is latent: the published figure is a noisy "
            "measurement whose error depends on how it was estimated. A changepoint model "
            "infers the era break dates and each era's growth rate jointly, with their "
            f"posterior uncertainty. Spec '{spec.name}': "
            + sentence(spec.description or str(spec)),
            lead="The model. ",
        )
    )
    sec.blocks.append(Code(model_equations(spec)))
    sec.blocks.append(
        Table(("parameter", "prior", "unit"), prior_rows(fit), "Priors, from the resolved spec.")
    )
    note = frontier_model_note(forecast, skill_section=skill_section)
    if note and forecast is not None:
        front = forecast.frontier_fit
        extra = (
            f" Its spec: {sentence(front.spec.description or str(front.spec))} Its future "
            f"regime changes: {forecast.frontier_regime.describe()}."
            if front is not None and forecast.frontier_regime is not None
            else ""
        )
        sec.blocks.append(Paragraph(note + extra, lead="The frontier model. "))
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
