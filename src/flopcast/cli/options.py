"""Options shared by several commands, declared once so their names and help agree."""

from __future__ import annotations

from pathlib import Path

import click

SPEC_HELP = "Spec file (models/*.toml) or the name of a shipped spec."
DATA_HELP = (
    "Runs file (Epoch export or canonical CSV), or 'latest' for the copy `flopcast data "
    "update` downloaded last; default: the spec's data source."
)


class RunsPath(click.Path):
    """A runs file path, or ``latest`` (the last downloaded Epoch export, see
    :func:`flopcast.runs.update.latest_path`), or ``latest:DATASET``."""

    def convert(self, value, param, ctx):
        text = str(value)
        if text == "latest" or text.startswith("latest:"):
            from flopcast.exceptions import FlopcastError
            from flopcast.runs.update import latest_path

            try:
                return latest_path(text.partition(":")[2] or None)
            except FlopcastError as exc:
                self.fail(str(exc), param, ctx)
        return super().convert(value, param, ctx)


def spec_option(default: str | None = "two_eras", help: str = SPEC_HELP):
    """``--spec`` (stored as ``spec_path``)."""
    return click.option(
        "--spec", "spec_path", default=default, show_default=default is not None, help=help
    )


def data_option(help: str = DATA_HELP, *, exists: bool = True):
    """``--data`` (stored as ``data_path``); with ``exists`` click checks the file first,
    otherwise the command reports a missing file itself. ``latest`` (or ``latest:DATASET``)
    names the last download of ``flopcast data update``."""
    if "latest" not in help:
        help += " 'latest': the last download of `flopcast data update`."
    return click.option(
        "--data",
        "data_path",
        type=RunsPath(exists=exists, dir_okay=False, path_type=Path),
        help=help,
    )


def regime_options(what: str):
    """``--regime-changes`` and ``--regime-rate``, applied together."""

    def decorate(function):
        function = click.option(
            "--regime-rate",
            type=float,
            default=None,
            help="Future breaks per year (default: the rate the fit supports, "
            "Gamma(0.5 + K, span)).",
        )(function)
        return click.option(
            "--regime-changes",
            type=click.Choice(["auto", "on", "off"]),
            default="auto",
            show_default=True,
            help=what,
        )(function)

    return decorate


def cost_option():
    """``--cost`` (stored as ``cost_kind``): which price-performance data, or none."""
    return click.option(
        "--cost",
        "cost_kind",
        type=click.Choice(["cloud", "purchase", "none"]),
        default="purchase",
        show_default=True,
        help="Price-performance data for the cost forecast (purchase: amortized hardware "
        "prices, which match Epoch's recorded costs), or none.",
    )
