"""``flopcast report``: fit (or reuse a saved fit), forecast, and write the report folder."""

from __future__ import annotations

import shlex
import time
from pathlib import Path

import click

from flopcast.cli.checks import (
    SEED,
    check_data_source,
    check_horizon,
    check_output,
    check_selection_in,
)
from flopcast.cli.options import cost_option, data_option, spec_option

#: The spec used when none is given; its report goes to ``reports/default``.
DEFAULT_SPEC = "two_eras"


def default_out(spec_name: str) -> Path:
    """``reports/default`` for the default spec, else ``reports/<spec name>``.

    Examples
    --------
    >>> default_out("two_eras").as_posix(), default_out("frontier").as_posix()
    ('reports/default', 'reports/frontier')
    """
    return Path("reports") / ("default" if spec_name == DEFAULT_SPEC else spec_name)


def _command_line(
    spec_path: str,
    data_path: Path | None,
    out: Path,
    until: str | None,
    seed: int | None,
    cost: str,
) -> str:
    parts = ["flopcast", "report", "--spec", spec_path]
    if data_path is not None:
        parts += ["--data", str(data_path)]
    parts += ["--out", str(out)]
    if until:
        parts += ["--until", until]
    if seed is not None:
        parts += ["--seed", str(seed)]
    if cost != "purchase":
        parts += ["--cost", cost]
    return shlex.join(parts)


@click.command(name="report")
@spec_option(default=DEFAULT_SPEC)
@data_option(exists=False)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Report folder [default: reports/default for the default spec, else reports/<spec name>].",
)
@click.option(
    "--until",
    default=None,
    help="Forecast horizon: a year (2030 = its last day) or a date [default: the spec's].",
)
@click.option("--seed", type=SEED, default=None, help="Sampler seed (default: the spec's).")
@cost_option()
@click.option("--refit", is_flag=True, help="Fit even when OUT/fit.nc matches.")
def command(spec_path, data_path, out, until, seed, cost_kind, refit) -> None:
    """Fit (or reuse OUT/fit.nc), forecast, and write the report folder.

    Writes index.html (self-contained), report.md with figures/, summary.json, fit.nc and
    spec.toml into OUT, then prints the key findings. A saved OUT/fit.nc is reused when
    its resolved spec, data sha256 and seed match.
    """
    from flopcast.forecasting import forecast
    from flopcast.report import key_findings, load_or_fit, write_report
    from flopcast.runs import load_runs, read_runs
    from flopcast.spec import load_spec

    start = time.perf_counter()
    spec = load_spec(spec_path)
    check_data_source(spec, data_path)
    out = out if out is not None else default_out(spec.name)
    check_output(out, "--out", folder=True)
    if data_path is not None:
        data = read_runs(data_path)
    elif spec.data.source == "bundled":
        data = load_runs(include_excluded=True)
    else:
        data = read_runs(spec.data.source)
    check_horizon(until, spec, check_selection_in(spec, data))
    result, reused, message = load_or_fit(spec, data, out / "fit.nc", seed=seed, refit=refit)
    click.echo(message)
    click.echo(f"  ({time.perf_counter() - start:.1f} s)")
    step = time.perf_counter()
    fc = forecast(result, until=until, cost=False if cost_kind == "none" else cost_kind)
    click.echo(f"forecast to {fc.horizon:.2f} ({time.perf_counter() - step:.1f} s)")
    command_line = _command_line(spec_path, data_path, out, until, seed, cost_kind)
    index = write_report(
        result,
        out,
        forecast=fc,
        command=command_line,
        data=data,
        save_fit=not reused,
    )
    click.echo(f"wrote {index}")
    for name in ("report.md", "figures", "summary.json", "spec.toml"):
        click.echo(f"wrote {out / name}")
    click.echo(f"{'kept' if reused else 'wrote'} {out / 'fit.nc'}")
    click.echo(f"total {time.perf_counter() - start:.1f} s")
    click.echo("")
    click.echo("Key findings:")
    for paragraph in key_findings(result, fc):
        click.echo("")
        click.echo(click.wrap_text(paragraph, width=88))
    if not result.diagnostics.ok:
        click.echo(result.diagnostics.warning_block(), err=True)
