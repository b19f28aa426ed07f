"""What produced an output: package versions (data hashes live with the data loader)."""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version

#: Packages whose versions are stamped on every fit and report.
TRACKED_PACKAGES: tuple[str, ...] = (
    "flopcast",
    "pymc",
    "pytensor",
    "nutpie",
    "arviz",
    "numpy",
    "pandas",
    "xarray",
    "scipy",
)


def versions() -> dict[str, str]:
    """Versions of Python and the tracked packages (``"not installed"`` when absent), by
    name in alphabetical order: the order a saved fit reads them back in, so a report from
    a new fit and one from a saved fit list them alike.

    Examples
    --------
    >>> "numpy" in versions()
    True
    """
    out = {"python": platform.python_version()}
    for name in TRACKED_PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return dict(sorted(out.items()))
