"""``flopcast backtest``: rolling-origin scores and skill against baselines (or cutoff coverage)."""

from __future__ import annotations

from pathlib import Path

import click

from flopcast.cli.checks import SEED, check_data_source, check_output, check_selection_in
from flopcast.cli.options import data_option, regime_options, spec_option
from flopcast.cli.output import emit_json
from flopcast.dates import parse_date
from flopcast.exceptions import FlopcastError


@click.command(name="backtest")
@spec_option(default="two_eras")
@data_option(exists=False)
@click.option(
    "--origins",
    default=None,
    help="Origin years FIRST:LAST (1 July of each); default 2012:2023. Origins from 2018 "
    "on are the test set, earlier ones the development set.",
)
@click.option(
    "--baselines",
    is_flag=True,
    help="Also score the baselines (flopcast_no_regime, ols_top10_2010, ols_top10_2018, "
    "rw_drift_frontier) and print the skill table.",
)
@click.option(
    "--cutoff",
    "cutoffs",
    multiple=True,
    help="The older per-cutoff coverage view instead: fit before this date (repeatable).",
)
@click.option(
    "--no-measurement-error",
    is_flag=True,
    help="With --cutoff: errors of zero width in the fit and the predictions.",
)
@regime_options("With --cutoff: future breaks in the predictions, as in 'flopcast forecast'.")
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
    origins,
    baselines,
    cutoffs,
    no_measurement_error,
    regime_changes,
    regime_rate,
    seed,
    json_path,
) -> None:
    """Score forecasts of runs published after each origin: coverage, log score, CRPS and
    skill against simple baselines, by lead time (docs: explanation/backtests)."""
    from flopcast.backtesting import backtest, backtest_cutoffs
    from flopcast.runs import read_runs
    from flopcast.spec import load_spec

    spec = load_spec(spec_path)
    check_data_source(spec, data_path)
    check_output(json_path, "--json", inputs=[("--data", data_path)])
    cutoffs = [parse_date(c, what="--cutoff") for c in cutoffs]
    runs = read_runs(data_path) if data_path else None
    check_selection_in(spec, runs)
    if cutoffs:
        if origins or baselines:
            raise FlopcastError("--cutoff cannot be combined with --origins or --baselines")
        by_cutoff = backtest_cutoffs(
            runs,
            spec,
            cutoff=list(cutoffs),
            seed=seed,
            measurement_error=not no_measurement_error,
            regime_changes=regime_changes,
            regime_rate=regime_rate,
        )
        text, json_dict = by_cutoff.format_table(), by_cutoff.to_json_dict()
    else:
        if no_measurement_error or regime_changes != "auto" or regime_rate is not None:
            raise FlopcastError(
                "--no-measurement-error, --regime-changes and --regime-rate apply to --cutoff "
                "backtests; the rolling-origin backtest scores regime changes on and off"
            )
        rolling = backtest(runs, spec, origins=origins, baselines=baselines, seed=seed)
        text, json_dict = rolling.format_tables(), rolling.to_json_dict()
    click.echo(text)
    if json_path:
        emit_json(json_dict, json_path, "backtest JSON")
