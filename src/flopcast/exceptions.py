"""Domain exceptions: every user-facing failure is one of these, never a bare ``Exception``."""

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


class SpecError(FlopcastError):
    """A model or study spec is invalid (unknown key, value out of range, bad reference)."""


class FitLoadError(FlopcastError):
    """A saved fit could not be loaded (not a flopcast fit, wrong version, corrupt)."""
