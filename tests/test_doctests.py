"""The examples in the docstrings of the pure modules run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

#: Modules without I/O or sampling whose docstring examples are part of their documentation.
PURE_MODULES = (
    "flopcast.dates",
    "flopcast.intervals",
    "flopcast.formatting",
    "flopcast.caches",
    "flopcast.units",
    "flopcast.trend",
    "flopcast.runs.error_groups",
    "flopcast.runs.bundled",
    "flopcast.hardware.estimate",
    "flopcast.cli.errors",
    "flopcast.userdirs",
    "flopcast.atomic",
)


@pytest.mark.parametrize("name", PURE_MODULES)
def test_docstring_examples_of_pure_modules_pass(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no docstring examples"
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed"
