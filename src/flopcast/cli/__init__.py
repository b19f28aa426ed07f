"""The ``flopcast`` command line: a thin layer over the public Python API.

Built on click (mature, composable command groups, testable with ``CliRunner``). Each command
group lives in its own module and only parses arguments, calls the API and prints.
"""

from __future__ import annotations

import click

from flopcast import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="flopcast")
def main() -> None:
    """Bayesian forecasts of the compute used to train AI systems."""


def _register() -> None:
    """Attach the command groups; each module defines one group or command."""
    import importlib

    for name in ("data", "estimate"):
        try:
            module = importlib.import_module(f"flopcast.cli.{name}")
        except ModuleNotFoundError as exc:  # a group still being written
            if exc.name != f"flopcast.cli.{name}":
                raise
            continue
        main.add_command(module.command)


_register()
