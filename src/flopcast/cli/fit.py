"""``flopcast fit``: fit a spec to the bundled data or a runs file and print the summary."""

from __future__ import annotations

from pathlib import Path

import click

from flopcast.cli.checks import (
    SEED,
    check_data_source,
    check_output,
    check_outputs,
    check_selection_in,
)
from flopcast.cli.options import data_option, spec_option
from flopcast.cli.output import emit_json


@click.command(name="fit")
@spec_option(default="two_eras")
@data_option()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Save the fit (.nc).")
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the summary JSON here ('-' for stdout).",
)
@click.option("--seed", type=SEED, default=None, help="Sampler seed (default: the spec's).")
@click.option("--backend", type=click.Choice(["nutpie", "pymc"]), help="Override the sampler.")
@click.option("--latent", is_flag=True, help="Also print each run's posterior true compute.")
def command(spec_path, data_path, out, json_path, seed, backend, latent) -> None:
    """Fit a changepoint model and print break dates and doubling times (90% intervals)."""
    from flopcast.fitting import fit
    from flopcast.runs import read_runs
    from flopcast.spec import load_spec

    spec = load_spec(spec_path)
    if backend:
        spec = spec.with_overrides({"sampler.backend": backend})
    check_data_source(spec, data_path)
    inputs = [("--data", data_path), ("--spec", Path(spec_path))]
    check_output(out, "--out", inputs=inputs)
    check_output(json_path, "--json", inputs=inputs)
    check_outputs(("--out", out), ("--json", json_path))
    runs = read_runs(data_path) if data_path else None
    check_selection_in(spec, runs)
    result = fit(runs, spec, seed=seed)
    if not result.complete:
        click.echo(
            f"Warning: partial trace ({result.draws_actual} of {result.draws_requested} draws; "
            "the sampler was interrupted): saved as partial, never reused by 'report'",
            err=True,
        )
    click.echo(repr(result))
    if latent:
        click.echo(result.latent().to_string(max_rows=None))
    if out:
        click.echo(f"saved fit to {result.save(out)}")
    if json_path:
        emit_json(result.to_json_dict(), json_path, "summary JSON")
    if not result.diagnostics.ok:
        click.echo(result.diagnostics.warning_block(), err=True)
