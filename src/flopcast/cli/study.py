"""``flopcast study``: run a sensitivity study and write its table, chart and report section."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from flopcast.cli.checks import SEED, check_output
from flopcast.cli.errors import EXIT_FLAGGED
from flopcast.cli.options import data_option
from flopcast.exceptions import FlopcastError


def default_out(study_name: str) -> Path:
    """``reports/<study name>``.

    Examples
    --------
    >>> default_out("policy_sensitivity").as_posix()
    'reports/policy_sensitivity'
    """
    return Path("reports") / study_name


@click.command(name="study")
@click.argument("study_path", metavar="STUDY")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder [default: reports/<study name>].",
)
@data_option(
    "Runs file for every variant (Epoch export or canonical CSV); default: each spec's.",
    exists=False,
)
@click.option(
    "--processes",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes [default: one per core]; 1 runs everything in this process.",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="Run the variants on a Dask cluster (e.g. tcp://host:8786).",
)
@click.option(
    "--only",
    multiple=True,
    metavar="LABEL",
    help="Run only these variants (and the base): repeat the option or separate with commas.",
)
@click.option(
    "--seed", type=SEED, default=None, help="Seed of every variant (default: each spec's)."
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bar on stderr [default: when stderr is a terminal].",
)
def command(study_path, out, data_path, processes, scheduler, only, seed, progress) -> None:
    """Run the sensitivity study STUDY (a study file or a shipped study's name).

    Fits and forecasts the base spec and every variant, prints one row per variant (posterior
    medians with 90% credible intervals) and writes study.csv, study.json, tornado.png,
    study.md and study.html into OUT. Variants that fail are marked and the others go on;
    the exit code is 1 when any variant raised an error, 0 otherwise.
    """
    from flopcast.study import load_study, run_study, write_study

    study = load_study(study_path)
    labels = [label.strip() for item in only for label in item.split(",") if label.strip()]
    if labels:
        study = study.select(labels)
    data = None
    if data_path is not None:
        from flopcast.runs import read_runs

        if not data_path.is_file():
            raise FlopcastError(f"--data {data_path}: no such file")
        data = read_runs(data_path)
    out = out if out is not None else default_out(study.name)
    check_output(out, "--out", folder=True)
    click.echo(
        f"{study}: running {len(study.variants)} fits" + (f" on {scheduler}" if scheduler else ""),
        err=True,
    )
    result = run_study(
        study,
        data=data,
        processes=processes,
        scheduler=scheduler,
        progress=progress,
        seed=seed,
    )
    paths = write_study(result, out)
    click.echo(result.format_table())
    click.echo("")
    for path in paths.values():
        click.echo(f"wrote {path}")
    timing = result.timing()
    click.echo(
        f"total {result.wall_s:.1f} s wall ({result.mode}); {timing['compiles']} model "
        f"compile(s) for {timing['structures']} structure(s)"
    )
    if result.failed:
        click.echo(f"{len(result.failed)} variant(s) failed: {', '.join(result.failed)}", err=True)
        sys.exit(EXIT_FLAGGED)
