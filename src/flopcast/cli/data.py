"""``flopcast data``: summarise, validate, import and update run tables.

A thin layer over :mod:`flopcast.runs`: every command calls the public functions
(:func:`~flopcast.runs.read_runs`, :func:`~flopcast.runs.load_runs`,
:func:`~flopcast.runs.summarize_runs`, :func:`~flopcast.runs.write_runs`) and prints plain-text
tables. A bad file prints ``Error: ...`` (never a traceback) and exits with status 2; a file
that reads but has problem rows makes ``data validate`` exit with status 1 (see
:mod:`flopcast.cli.errors`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
import pandas as pd

from flopcast.cli.checks import check_output, check_outputs
from flopcast.cli.errors import EXIT_FLAGGED
from flopcast.cli.options import RunsPath
from flopcast.dates import parse_date
from flopcast.runs import (
    Format,
    RunTable,
    format_problems,
    format_table,
    load_runs,
    read_runs,
    summarize_runs,
    write_runs,
)
from flopcast.runs.summary import undisclosed_at_frontier
from flopcast.runs.table import write_csv
from flopcast.runs.update import DATASETS, DEFAULT_DATASET, DEFAULT_TIMEOUT, update_data

_FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", "epoch", "canonical"]),
    default="auto",
    show_default=True,
    help="Input format; auto decides from the header.",
)
_TODAY = click.option(
    "--today",
    default=None,
    help="Report dates after this day as future (a date or year; default: today).",
)
_MAX_ROWS = click.option(
    "--max-rows",
    type=click.IntRange(min=0),
    default=50,
    show_default=True,
    help="Show at most this many problem/exclusion rows (0: all).",
)
_EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _today(value: str | None) -> dt.date | None:
    return parse_date(value, what="--today") if value is not None else None


def _section(title: str, table: pd.DataFrame, floats: dict[str, str] | None = None) -> str:
    shown = table.copy()
    for col, fmt in (floats or {}).items():
        if col in shown:
            shown[col] = shown[col].map(lambda v, f=fmt: format(v, f))
    body = format_table(shown) if len(shown) else "(none)"
    return f"\n{title}\n{body}"


def _limit(max_rows: int) -> int | None:
    return None if max_rows == 0 else max_rows


def _title(table: RunTable) -> str:
    return f"{table.source} (sha256 {table.sha256[:12]})"


@click.group(name="data")
def data() -> None:
    """Inspect, validate and import run tables (Epoch AI exports or canonical CSVs)."""


@data.command("summary")
@click.argument("path", required=False, type=RunsPath(exists=True, dir_okay=False, path_type=Path))
@_FORMAT
@_TODAY
def summary(path: Path | None, fmt: Format, today: str | None) -> None:
    """Counts by era, method, confidence and domain, error groups, exclusions, and runs
    without a disclosed compute estimate (per year and developer).

    Without PATH, summarises the bundled dataset (with the snapshot rows it leaves out);
    PATH ``latest`` summarises the last download of ``flopcast data update``.
    """
    if path is None:
        table = load_runs(include_excluded=True)
    else:
        table = read_runs(path, fmt, today=_today(today))
    s = summarize_runs(table)
    lines = [f"Run table: {_title(table)}"]
    if table.note:
        lines.append(table.note)
    lines.append(
        f"{len(table.runs)} usable runs from {table.n_input_rows} input rows; "
        f"{len(table.excluded)} excluded; {len(table.problems) - len(table.warnings)} problems"
        + (f", {len(table.warnings)} plausibility warning(s)" if len(table.warnings) else "")
        + f" ({table.format} format)"
    )
    overview = s["overview"][~s["overview"]["item"].isin(["file", "sha256", "format", "note"])]
    lines.append(_section("Overview", overview))
    lines.append(_section("Runs by era", s["era"]))
    lines.append(_section("Runs by estimation method", s["method"]))
    lines.append(_section("Runs by confidence", s["confidence"]))
    lines.append(_section("Runs by domain (first listed)", s["domain"]))
    lines.append(
        _section(
            "Error groups present (factor F: true compute within [estimate/F, estimate*F] "
            "with 90% probability; sigma in log10 units)",
            s["error_groups"],
            {"factor": ".2f", "sigma_log10": ".3f"},
        )
    )
    lines.append(_section("Exclusions by reason (a row may have several)", s["exclusions"]))
    if len(s["ignored_values"]):
        lines.append(_section("Values ignored (row kept)", s["ignored_values"]))
    if len(table.undisclosed):
        lines.append(
            f"\nRuns without a disclosed compute estimate: {len(table.undisclosed)} (listed by "
            "Epoch with no training compute; not data problems)"
        )
        by_year = s["undisclosed_by_year"]
        if len(by_year) > 10:
            earlier = pd.DataFrame({"year": ["earlier"], "runs": [int(by_year["runs"][10:].sum())]})
            by_year = pd.concat([by_year.head(10), earlier], ignore_index=True)
        lines.append(_section("Undisclosed runs by year", by_year))
        lines.append(
            _section(
                "Undisclosed runs by developer (top 15)", s["undisclosed_by_developer"].head(15)
            )
        )
        if table.undisclosed["date"].notna().any():
            lines.append("\n" + undisclosed_at_frontier(table).sentence() + ".")
    click.echo("\n".join(lines))


@data.command("validate")
@click.argument("path", type=_EXISTING_FILE)
@_FORMAT
@_TODAY
@_MAX_ROWS
def validate(path: Path, fmt: Format, today: str | None, max_rows: int) -> None:
    """Check a runs file and list every problem (file, row, column, value, reason).

    Exits 0 when no problem was found (rows of an Epoch export without a compute estimate are
    expected exclusions, listed but not problems), 1 otherwise.
    """
    table = read_runs(path, fmt, today=_today(today))
    counts = summarize_runs(table)["exclusions"]
    if table.ok:
        click.echo(
            f"OK: {len(table.runs)} usable rows, {len(table.excluded)} excluded in "
            f"{table.source} (sha256 {table.sha256[:12]}, {table.format} format)"
        )
        if len(table.excluded):
            click.echo(_section("Exclusions by reason", counts))
            click.echo("\nExcluded rows")
            click.echo(format_problems(table.excluded, _limit(max_rows)))
        if table.format == "canonical" and table.ignored_columns:
            click.echo(f"\nColumns not used: {', '.join(table.ignored_columns)}")
        return
    n_rows = table.problems["row"].nunique()
    click.echo(
        f"FAILED: {len(table.problems)} problem(s) in {n_rows} row(s) of {_title(table)}; "
        f"{len(table.runs)} usable rows, {len(table.excluded)} excluded"
    )
    click.echo("\nProblems")
    click.echo(format_problems(table.problems, _limit(max_rows)))
    if len(counts):
        click.echo(_section("Exclusions by reason (a row may have several)", counts))
    raise SystemExit(EXIT_FLAGGED)


@data.command("import")
@click.argument("path", type=_EXISTING_FILE)
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Canonical CSV to write.",
)
@click.option(
    "--excluded",
    "excluded_out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the excluded rows, with reasons, to this CSV.",
)
@_FORMAT
@_TODAY
@_MAX_ROWS
def import_(
    path: Path,
    output: Path,
    excluded_out: Path | None,
    fmt: Format,
    today: str | None,
    max_rows: int,
) -> None:
    """Convert an Epoch AI export (or any runs file) into a canonical CSV.

    Usable rows are written to OUTPUT; excluded rows and problems are listed.
    """
    check_output(output, "--output", inputs=[("the input file", path)])
    check_output(excluded_out, "--excluded", inputs=[("the input file", path)])
    check_outputs(("--output", output), ("--excluded", excluded_out))
    table = read_runs(path, fmt, today=_today(today))
    write_runs(table.runs, output)
    click.echo(
        f"Imported {len(table.runs)} runs from {_title(table)} ({table.format} format) "
        f"into {output}; {len(table.excluded)} of {table.n_input_rows} rows excluded"
    )
    counts = summarize_runs(table)["exclusions"]
    if len(counts):
        click.echo(_section("Exclusions by reason (a row may have several)", counts))
    if excluded_out is not None:
        write_csv(table.excluded, excluded_out)
        click.echo(f"\nExcluded rows written to {excluded_out}")
    if not table.ok:
        click.echo(f"\nProblems ({len(table.problems)})")
        click.echo(format_problems(table.problems, _limit(max_rows)))


@data.command("update")
@click.option(
    "--dataset",
    type=click.Choice(list(DATASETS)),
    default=DEFAULT_DATASET,
    show_default=True,
    help="Which of Epoch AI's datasets: "
    + "; ".join(f"{d.name}: {d.description}" for d in DATASETS.values())
    + ".",
)
@click.option("--url", default=None, help="Download from this URL instead of Epoch's.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    help="Seconds to wait for the server.",
)
@click.option("--sha256", default=None, help="Refuse the download unless it has this SHA-256.")
@click.option(
    "--force", is_flag=True, help="Store the copy even if it has far fewer rows than before."
)
@_TODAY
def update(
    dataset: str,
    url: str | None,
    timeout: float,
    sha256: str | None,
    force: bool,
    today: str | None,
) -> None:
    """Download Epoch AI's current data, check it, and keep it for ``--data latest``.

    The copy is validated with the same importer as ``data validate`` and stored in the user
    cache (FLOPCAST_CACHE_DIR overrides) only when it is good; otherwise the previous copy
    stays and the error says why. Prints what changed since the previous download (or the
    bundled snapshot).
    """
    result = update_data(
        dataset, url, timeout=timeout, sha256=sha256, force=force, today=_today(today)
    )
    click.echo(result.summary())
    click.echo(result.diff.format())


command = data
