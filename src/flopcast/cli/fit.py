"""``flopcast fit``: fit a spec to the bundled data or a runs file and print the summary."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from flopcast.cli.options import data_option, spec_option
from flopcast.exceptions import FlopcastError


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
@click.option("--seed", type=int, default=None, help="Sampler seed (default: the spec's).")
@click.option("--backend", type=click.Choice(["nutpie", "pymc"]), help="Override the sampler.")
@click.option("--latent", is_flag=True, help="Also print each run's posterior true compute.")
def command(spec_path, data_path, out, json_path, seed, backend, latent) -> None:
    """Fit a changepoint model and print break dates and doubling times (90% intervals)."""
    from flopcast.fitting import fit
    from flopcast.runs import read_runs
    from flopcast.spec import load_spec

    try:
        spec = load_spec(spec_path)
        if backend:
            spec = spec.with_overrides({"sampler.backend": backend})
        runs = read_runs(data_path) if data_path else None
        result = fit(runs, spec, seed=seed)
    except FlopcastError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    click.echo(repr(result))
    if latent:
        click.echo(result.latent().to_string(max_rows=None))
    if out:
        click.echo(f"saved fit to {result.save(out)}")
    if json_path:
        text = json.dumps(result.to_json_dict(), indent=2)
        if str(json_path) == "-":
            click.echo(text)
        else:
            json_path.parent.mkdir(parents=True, exist_ok=True)
            json_path.write_text(text + "\n", encoding="utf-8")
            click.echo(f"wrote summary JSON to {json_path}")
    if not result.diagnostics.ok:
        click.echo(result.diagnostics.warning_block(), err=True)
