"""One error handler for every ``flopcast`` command, and what each exit code means.

Every command runs inside :class:`FlopcastGroup`, which turns the errors a user can cause
into one ``Error: ...`` line on standard error (never a traceback) and a documented exit code:

========  ===================================================================================
code      meaning
========  ===================================================================================
0         success
1         the command finished, but what it checked is not clean: ``data validate`` found
          problem rows, or a study variant failed (the output says which)
2         bad input: an option, spec, runs file or fit file flopcast cannot use
          (any :class:`~flopcast.exceptions.FlopcastError`, and click's usage errors)
3         the file system refused: a file could not be read or written (the message names it)
130       interrupted (Ctrl-C); nothing half-written is left as if complete
========  ===================================================================================

Anything else is a bug in flopcast and keeps its traceback, so it can be reported.
"""

from __future__ import annotations

from typing import Any, NoReturn

import click

from flopcast.exceptions import FlopcastError

EXIT_OK = 0
EXIT_FLAGGED = 1
EXIT_BAD_INPUT = 2
EXIT_FILE_SYSTEM = 3
EXIT_INTERRUPTED = 130

#: Exit code -> meaning, as the docs and ``flopcast --help`` state them.
EXIT_CODES: dict[int, str] = {
    EXIT_OK: "success",
    EXIT_FLAGGED: "finished, but what was checked has problems (problem rows, failed variants)",
    EXIT_BAD_INPUT: "bad input: an option, spec, runs file or fit file flopcast cannot use",
    EXIT_FILE_SYSTEM: "a file could not be read or written",
    EXIT_INTERRUPTED: "interrupted",
}


class CommandError(click.ClickException):
    """A one-line error with its exit code, printed as ``Error: message``."""

    def __init__(self, message: str, exit_code: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def os_error_text(exc: OSError) -> str:
    """``path: reason`` for a file-system error, naming both files for a rename.

    Examples
    --------
    >>> os_error_text(FileNotFoundError(2, "No such file or directory", "runs.csv"))
    'runs.csv: No such file or directory'
    """
    reason = exc.strerror or str(exc) or type(exc).__name__
    names = [str(n) for n in (exc.filename, exc.filename2) if n is not None]
    return f"{' -> '.join(names)}: {reason}" if names else reason


def fail(message: str, exit_code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Stop the command with ``Error: message`` and ``exit_code``."""
    raise CommandError(message, exit_code)


class FlopcastGroup(click.Group):
    """A click group whose commands share one error handler (see the module docstring)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except FlopcastError as exc:
            raise CommandError(str(exc), EXIT_BAD_INPUT) from None
        except OSError as exc:
            raise CommandError(os_error_text(exc), EXIT_FILE_SYSTEM) from None
        except KeyboardInterrupt:
            click.echo("\nInterrupted.", err=True)
            ctx.exit(EXIT_INTERRUPTED)
