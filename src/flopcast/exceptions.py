"""Every exception and warning class flopcast defines, in one place.

Every user-facing failure is a :class:`FlopcastError` (never a bare ``Exception``); the CLI
turns each into a one-line message and an exit code (see :mod:`flopcast.cli.errors`).
"""

from __future__ import annotations


class FlopcastError(Exception):
    """Base class for every error flopcast raises on bad user input."""


class DataValidationError(FlopcastError):
    """A runs file could not be read or has problems that make it unusable as a whole.

    ``problems`` holds one row per problem (file, row, column, value, reason) when the
    failure is about specific cells; it is empty for whole-file failures such as an empty file.
    """

    def __init__(self, message: str, problems=None) -> None:  # problems: pandas.DataFrame
        super().__init__(message)
        self.problems = problems


class DataUpdateError(FlopcastError):
    """Downloading current data failed or gave an unusable file; the previous copy is kept."""


class SpecError(FlopcastError):
    """A model or study spec is invalid (unknown key, value out of range, bad reference)."""


class FitLoadError(FlopcastError):
    """A saved fit could not be loaded (not a flopcast fit, wrong version, corrupt)."""


class AcceleratorNotFoundError(FlopcastError, LookupError):
    """No accelerator, or more than one, matches the name asked for.

    ``query`` is the name as given and ``candidates`` the table names offered instead
    (the ambiguous matches, or the closest names when nothing matched).
    """

    def __init__(self, message: str, query: str, candidates: list[str]) -> None:
        super().__init__(message)
        self.query = query
        self.candidates = candidates


class PrecisionUnavailableError(FlopcastError, ValueError):
    """The precision asked for is unknown, or the table has no peak rate for it on that chip."""


class EstimateInputError(FlopcastError, ValueError):
    """An input to an estimate is missing, not a number, out of range or inconsistent."""


class PricePerformanceSamplingWarning(UserWarning):
    """The price-performance sampler failed a convergence check: do not trust the numbers."""


class CacheWarning(UserWarning):
    """A file in flopcast's cache folder was unusable (ignored and rebuilt) or not written."""
