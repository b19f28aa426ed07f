"""The ``flopcast`` command line: a thin layer over the public Python API.

Built on click (mature, composable command groups, testable with ``CliRunner``). Each command
group lives in its own module and only parses arguments, calls the API and prints.
"""

from __future__ import annotations

import warnings

import click

from flopcast._version import __version__
from flopcast.cli.errors import EXIT_CODES, FlopcastGroup

# Third-party notices that say nothing about the user's results: ArviZ announcing its 1.x
# refactor, and PyTensor's C backend lacking BLAS (flopcast samples with numba via nutpie).
warnings.filterwarnings("ignore", message="ArviZ is undergoing a major refactor")
warnings.filterwarnings("ignore", message="PyTensor could not link to a BLAS")


_EPILOG = "Exit codes: " + "; ".join(f"{code} {meaning}" for code, meaning in EXIT_CODES.items())


@click.group(
    cls=FlopcastGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=_EPILOG,
)
@click.version_option(__version__, prog_name="flopcast")
def main() -> None:
    """Bayesian forecasts of the compute used to train AI systems."""


#: Command modules, each defining ``command`` (a click command or group). Heavy libraries
#: (PyMC) are imported inside the commands, so ``flopcast --help`` stays fast.
COMMAND_MODULES: tuple[str, ...] = (
    "data",
    "estimate",
    "fit",
    "forecast",
    "backtest",
    "report",
    "study",
)


def _register() -> None:
    import importlib

    for name in COMMAND_MODULES:
        main.add_command(importlib.import_module(f"flopcast.cli.{name}").command)


_register()
