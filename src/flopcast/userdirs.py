"""Where flopcast keeps files between runs: the user cache directory.

Everything here is a cache: safe to delete at any time, rebuilt on demand. The location is
the platform's user cache directory (``platformdirs``: ``~/.cache/flopcast`` on Linux), or
the folder named by the environment variable ``FLOPCAST_CACHE_DIR`` when it is set. Each
kind of cached file lives in its own sub-folder (``cache_dir("price_performance")``).

Examples
--------
>>> import os, tempfile
>>> os.environ["FLOPCAST_CACHE_DIR"] = tempfile.mkdtemp()
>>> cache_dir("example").is_dir()
True
>>> del os.environ["FLOPCAST_CACHE_DIR"]
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

#: Environment variable that overrides the cache location.
CACHE_ENV = "FLOPCAST_CACHE_DIR"


def cache_root() -> Path:
    """The cache's top folder (not created): ``$FLOPCAST_CACHE_DIR`` or the platform's."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_cache_dir("flopcast", appauthor=False))


def cache_dir(kind: str) -> Path:
    """The cache folder for one kind of file, created if missing.

    Parameters
    ----------
    kind
        Sub-folder name, e.g. ``"price_performance"`` or ``"epoch"``.
    """
    path = cache_root() / kind
    path.mkdir(parents=True, exist_ok=True)
    return path
