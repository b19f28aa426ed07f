"""``flopcast forecast``: compute and cost forecasts and threshold dates from a fit."""

from __future__ import annotations

from pathlib import Path

import click

from flopcast.cli.checks import (
    SEED,
    check_data_source,
    check_horizon,
    check_output,
    check_outputs,
    check_selection_in,
)
from flopcast.cli.options import cost_option, data_option, regime_options, spec_option
from flopcast.cli.output import emit_json
from flopcast.exceptions import FlopcastError


@click.command(name="forecast")
@click.option(
    "--fit",
    "fit_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A saved fit (.nc from 'flopcast fit --out'). Without it, fit --spec first.",
)
@spec_option(None, "Spec file or shipped spec name to fit first (default: two_eras).")
@data_option("Runs file to fit (with --spec); default: the spec's data source.", exists=False)
@click.option(
    "--until",
    default=None,
    help="Horizon: a year (2030 = its last day) or a date; default: the spec's horizon.",
)
@regime_options("Future breaks in the trend (auto: on for horizons over 3 years past the data).")
@cost_option()
@click.option(
    "--frontier-quantile",
    type=float,
    default=None,
    help="For a full-population fit: the population quantile used as the frontier "
    "(default: matched to the top-10-at-publication share).",
)
@click.option(
    "--frontier-fit",
    "frontier_fit_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A saved fit of a frontier spec (e.g. OUT/frontier_fit.nc of a report) to the same "
    "data: frontier compute and cost, thresholds and limits come from it, the typical run "
    "and the counts from the main fit.",
)
@click.option(
    "--limits",
    type=click.Choice(["auto", "on", "off"]),
    default=None,
    help="Physical and economic ceilings on a frontier run (default: the spec's limits.mode, "
    "auto: on for horizons over 3 years past the data).",
)
@click.option("--seed", type=SEED, default=None, help="Seed (default: the fit's).")
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the summary JSON with its 'forecast' block here ('-' for stdout).",
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Save the fit.")
def command(
    fit_path,
    spec_path,
    data_path,
    until,
    regime_changes,
    regime_rate,
    cost_kind,
    frontier_quantile,
    frontier_fit_path,
    limits,
    seed,
    json_path,
    out,
) -> None:
    """Forecast frontier compute, training cost, threshold dates, runs above thresholds per
    year and which ceiling binds (90% intervals)."""
    from flopcast.fitting import fit, load_fit
    from flopcast.forecasting import forecast
    from flopcast.runs import read_runs
    from flopcast.spec import load_spec

    if fit_path is not None and (spec_path or data_path):
        raise FlopcastError("give either --fit or --spec/--data, not both")
    inputs = [("--fit", fit_path), ("--data", data_path), ("--frontier-fit", frontier_fit_path)]
    check_output(out, "--out", inputs=inputs)
    check_output(json_path, "--json", inputs=inputs)
    check_outputs(("--out", out), ("--json", json_path))
    front = None if frontier_fit_path is None else load_fit(frontier_fit_path)
    if fit_path is not None:
        result = load_fit(fit_path)
    else:
        spec = load_spec(spec_path or "two_eras")
        check_data_source(spec, data_path)
        runs = read_runs(data_path) if data_path else None
        check_horizon(until, spec, check_selection_in(spec, runs))
        result = fit(runs, spec, seed=seed)
    fc = forecast(
        result,
        until=until,
        regime_changes=regime_changes,
        regime_rate=regime_rate,
        cost=False if cost_kind == "none" else cost_kind,
        seed=seed,
        frontier="auto" if frontier_quantile is None else frontier_quantile,
        limits=limits,
        frontier_fit=front,
    )
    click.echo(fc.format_tables())
    if not result.diagnostics.ok:
        click.echo(result.diagnostics.warning_block(), err=True)
    if out:
        click.echo(f"saved fit to {result.save(out)}")
    if json_path:
        summary = result.to_json_dict()
        summary["forecast"] = fc.to_json_dict()
        emit_json(summary, json_path, "summary JSON")
