"""``flopcast backtest``: fit before cutoff dates and score the prediction of later runs."""

from __future__ import annotations

from pathlib import Path

import click

from flopcast.cli.checks import SEED, check_data_source, check_output, check_selection_in
from flopcast.cli.options import data_option, regime_options, spec_option
from flopcast.cli.output import emit_json
from flopcast.dates import parse_date


@click.command(name="backtest")
@spec_option(default="two_eras")
@data_option(exists=False)
@click.option(
    "--cutoff",
    "cutoffs",
    multiple=True,
    help="Cutoff date (repeatable); default 2021-01-01.",
)
@click.option(
    "--no-measurement-error",
    is_flag=True,
    help="Errors of zero width in the fit and the predictions (for comparison).",
)
@regime_options("Future breaks in the predictions, as in 'flopcast forecast'.")
@click.option("--seed", type=SEED, default=None, help="Sampler seed (default: the spec's).")
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the scores as JSON here ('-' for stdout).",
)
def command(
    spec_path,
    data_path,
    cutoffs,
    no_measurement_error,
    regime_changes,
    regime_rate,
    seed,
    json_path,
) -> None:
    """Score predictive intervals of later runs: coverage, error and log score per cutoff."""
    from flopcast.backtesting import backtest
    from flopcast.runs import read_runs
    from flopcast.spec import load_spec

    spec = load_spec(spec_path)
    check_data_source(spec, data_path)
    check_output(json_path, "--json", inputs=[("--data", data_path)])
    cutoffs = [parse_date(c, what="--cutoff") for c in cutoffs]
    runs = read_runs(data_path) if data_path else None
    check_selection_in(spec, runs)
    result = backtest(
        runs,
        spec,
        cutoff=list(cutoffs) or ["2021-01-01"],
        seed=seed,
        measurement_error=not no_measurement_error,
        regime_changes=regime_changes,
        regime_rate=regime_rate,
    )
    click.echo(result.format_table())
    if json_path:
        emit_json(result.to_json_dict(), json_path, "backtest JSON")
