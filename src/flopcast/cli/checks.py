"""Checks every command makes before any work: output paths, the data source, the horizon.

A command that would fit for a minute and then fail to write its output, or that would
overwrite one of its own inputs, stops at once with one ``Error:`` line instead (exit 2
for a path that cannot be right, 3 when the file system refuses; see
:mod:`flopcast.cli.errors`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from flopcast.cli.errors import EXIT_FILE_SYSTEM, fail
from flopcast.exceptions import FlopcastError, SpecError

if TYPE_CHECKING:
    import pandas as pd

    from flopcast.spec import ModelSpec

#: Largest seed the ``--seed`` options accept (numpy's legacy seed range, which both samplers
#: accept; the same bound as ``sampler.seed`` in a spec).
SEED = click.IntRange(0, 2**32 - 1)


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def _writable_folder(folder: Path) -> str | None:
    """Why no file can be created in ``folder`` (an existing folder), or None if one can."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    return None


def check_output(
    path: Path | None,
    option: str,
    *,
    inputs: Iterable[tuple[str, Path | None]] = (),
    folder: bool = False,
) -> None:
    """Stop now unless ``path`` can be written and is none of the ``inputs``.

    ``path`` ``None`` or ``-`` (standard output) passes. ``inputs`` are (option, path) pairs
    the output must differ from. With ``folder`` the output is a folder (created when
    written), else a file. Nothing is created.
    """
    if path is None or str(path) == "-":
        return
    path = Path(path)
    for name, other in inputs:
        if other is not None and _same(path, Path(other)):
            fail(f"{option} {path}: is the same file as {name}; the output must differ")
    if path.exists():
        if folder and not path.is_dir():
            fail(f"{option} {path}: exists and is not a folder")
        if not folder and path.is_dir():
            fail(f"{option} {path}: is a folder; give a file name")
    ancestor = path if folder and path.is_dir() else path.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        fail(f"{option} {path}: {ancestor} is a file, not a folder", EXIT_FILE_SYSTEM)
    reason = _writable_folder(ancestor)
    if reason is not None:
        fail(f"{option} {path}: cannot write in {ancestor} ({reason})", EXIT_FILE_SYSTEM)


def check_outputs(*outputs: tuple[str, Path | None]) -> None:
    """Outputs given together must not name the same file."""
    given = [(o, Path(p)) for o, p in outputs if p is not None and str(p) != "-"]
    for i, (first, a) in enumerate(given):
        for second, b in given[i + 1 :]:
            if _same(a, b):
                fail(f"{first} and {second} name the same file ({a}); give two paths")


def check_data_source(spec: ModelSpec, data_path: Path | None) -> None:
    """The runs file the command will read exists (``--data``, or the spec's data.source)."""
    if data_path is not None:
        if not Path(data_path).is_file():
            what = "is a folder, not a runs file" if Path(data_path).is_dir() else "no such file"
            raise FlopcastError(f"--data {data_path}: {what}")
        return
    source = spec.data.source
    if source != "bundled" and not Path(source).is_file():
        what = "is a folder, not a runs file" if Path(source).is_dir() else "no such file"
        raise SpecError(f"spec {spec.name!r}: data.source {source!r}: {what}")


def check_selection_in(spec: ModelSpec, runs: Any) -> pd.DataFrame:
    """Every name the spec's selection blocks give exists in the runs the fit will read
    (``runs`` as :func:`flopcast.fitting.fit` takes it); return those runs as a table."""
    from flopcast.fitting.inputs import resolve_runs
    from flopcast.runs.selection import check_selection

    table, _ = resolve_runs(runs, spec)
    check_selection(table, spec.data)
    return table


def check_horizon(until: Any, spec: ModelSpec, runs: pd.DataFrame | None = None) -> None:
    """``--until`` (or the spec's horizon) is a readable date, in range and, when the runs
    are known, after the last selected run: checked before fitting."""
    from flopcast.dates import decimal_year, to_decimal_year
    from flopcast.runs.selection import select_runs

    what = "--until" if until is not None else "forecast.horizon"
    horizon = to_decimal_year(
        spec.forecast.horizon if until is None else until, what=what, year_end=True
    )
    if runs is None or len(runs) == 0:
        return
    selected, _ = select_runs(runs, spec.data)
    if len(selected):
        last = float(decimal_year(selected["date"]).max())
        if horizon <= last:
            raise FlopcastError(
                f"{what}={until if until is not None else spec.forecast.horizon!s}: the horizon "
                f"({horizon:.2f}) must be after the last run ({last:.2f})"
            )


__all__ = [
    "SEED",
    "check_data_source",
    "check_horizon",
    "check_output",
    "check_outputs",
    "check_selection_in",
]
