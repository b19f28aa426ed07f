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
    frontier_spec: str | None = None,
) -> str:
    parts = ["flopcast", "report", "--spec", spec_path]
    if frontier_spec is not None:
        parts += ["--frontier-spec", frontier_spec]
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
@click.option(
    "--frontier-spec",
    "frontier_spec",
    default=None,
    metavar="NAME|PATH|population",
    help="Frontier model: the frontier spec whose fit gives the frontier numbers (frontier "
    "compute and cost, threshold crossings, limits), or 'population' for the population "
    "fit's high quantile [default: frontier_2008_all, chosen on the backtest's development "
    "origins, for a full-population spec; none for a frontier spec].",
)
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
@click.option(
    "--refit", is_flag=True, help="Fit even when OUT/fit.nc (and OUT/frontier_fit.nc) match."
)
def command(spec_path, frontier_spec, data_path, out, until, seed, cost_kind, refit) -> None:
    """Fit (or reuse OUT/fit.nc and OUT/frontier_fit.nc), forecast, and write the report.

    Writes index.html (self-contained), report.md with figures/, summary.json, fit.nc,
    frontier_fit.nc (the frontier model's fit) and spec.toml into OUT, then prints the key
    findings. A saved fit is reused when its resolved spec, data sha256 and seed match.
    The frontier numbers come from the frontier model (--frontier-spec), the eras, the
    typical run and the counts from --spec.
    """
    from flopcast.forecasting import forecast
    from flopcast.report import key_findings, load_or_fit, write_report
    from flopcast.report.frontier_model import (
        FIT_FILE,
        FRONTIER_FIT_FILE,
        resolve_frontier_spec,
    )
    from flopcast.report.sections.skill import BACKTEST_FILE
    from flopcast.runs import load_runs, read_runs
    from flopcast.spec import load_spec

    start = time.perf_counter()
    spec = load_spec(spec_path)
    front_spec = resolve_frontier_spec(frontier_spec, spec)
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
    if front_spec is not None:
        check_selection_in(front_spec, data)
    result, reused, message = load_or_fit(spec, data, out / FIT_FILE, seed=seed, refit=refit)
    click.echo(message)
    click.echo(f"  ({time.perf_counter() - start:.1f} s)")
    front_fit, front_reused = None, False
    if front_spec is not None:
        step = time.perf_counter()
        front_fit, front_reused, message = load_or_fit(
            front_spec, data, out / FRONTIER_FIT_FILE, seed=seed, refit=refit
        )
        click.echo(f"frontier model: {message}")
        click.echo(f"  ({time.perf_counter() - step:.1f} s)")
    step = time.perf_counter()
    fc = forecast(
        result,
        until=until,
        cost=False if cost_kind == "none" else cost_kind,
        frontier_fit=front_fit,
    )
    click.echo(f"forecast to {fc.horizon:.2f} ({time.perf_counter() - step:.1f} s)")
    click.echo(f"frontier from the {fc.frontier_model}")
    command_line = _command_line(spec_path, data_path, out, until, seed, cost_kind, frontier_spec)
    index = write_report(
        result,
        out,
        forecast=fc,
        command=command_line,
        data=data,
        save_fit=not reused,
        frontier_fit=front_fit,
        save_frontier_fit=not front_reused,
    )
    click.echo(f"wrote {index}")
    for name in ("report.md", "figures", "summary.json", "spec.toml"):
        click.echo(f"wrote {out / name}")
    click.echo(f"{'kept' if reused else 'wrote'} {out / FIT_FILE}")
    if front_fit is not None:
        click.echo(f"{'kept' if front_reused else 'wrote'} {out / FRONTIER_FIT_FILE}")
    click.echo(f"total {time.perf_counter() - start:.1f} s")
    click.echo("")
    click.echo("Key findings:")
    for paragraph in key_findings(result, fc, skill_section=(out / BACKTEST_FILE).is_file()):
        click.echo("")
        click.echo(click.wrap_text(paragraph, width=88))
    for checked in (result, front_fit):
        if checked is not None and not checked.diagnostics.ok:
            click.echo(checked.diagnostics.warning_block(), err=True)
