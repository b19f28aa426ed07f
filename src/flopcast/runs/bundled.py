"""Where the bundled data files are (pure lookup, no parsing)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from flopcast.exceptions import DataValidationError


def bundled_data_path(name: str) -> Path:
    """Path of a file of the bundled dataset (installed as the package ``flopcast._data``).

    Falls back to the repository's ``data/`` folder when flopcast runs from a source tree that
    was not installed (``PYTHONPATH=src``).

    Examples
    --------
    >>> bundled_data_path("runs.csv").name
    'runs.csv'
    """
    try:
        candidate = Path(str(resources.files("flopcast._data") / name))
    except ModuleNotFoundError:
        candidate = None
    if candidate is not None and candidate.is_file():
        return candidate
    source_tree = Path(__file__).resolve().parents[2] / "data" / name
    if source_tree.is_file():
        return source_tree
    raise DataValidationError(
        f"bundled data file {name!r} not found: flopcast looks in the installed package "
        f"'flopcast._data' and in {source_tree.parent}; reinstall flopcast "
        "or rebuild the data with `python data/build_dataset.py` or "
        "`python data/build_accelerators.py`"
    )
