"""Library caches in a writable place, so commands work when ``HOME`` is unusable.

ArviZ creates a cache folder when imported, PyTensor compiles into ``~/.pytensor``,
matplotlib keeps its font cache in ``~/.config`` and numba may cache beside the code. With
a ``HOME`` that does not exist or cannot be written (a service account, a read-only
container) each of these would crash a command at import. :func:`use_writable_caches`
checks the default folders once and, only when one cannot be written, points the library
at a folder under the system temporary directory instead (settings already made in the
environment are respected).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except (OSError, RuntimeError):
        return False
    return True


def _home() -> Path | None:
    try:
        return Path.home()
    except (RuntimeError, KeyError):
        return None


def fallback_cache_root() -> Path:
    """``<system temp>/flopcast-caches-<uid>``: where caches go when the defaults fail."""
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    return Path(tempfile.gettempdir()) / f"flopcast-caches-{uid}"


def use_writable_caches() -> dict[str, str]:
    """Point unusable library cache folders at the system temp folder; return what changed.

    Examples
    --------
    >>> isinstance(use_writable_caches(), dict)
    True
    """
    home = _home()
    changed: dict[str, str] = {}
    root = fallback_cache_root()

    def redirect(variable: str, default: Path | None, sub: str) -> None:
        if os.environ.get(variable):
            return
        if default is not None and _writable(default):
            return
        target = root / sub
        target.mkdir(parents=True, exist_ok=True)
        os.environ[variable] = changed[variable] = str(target)

    cache = home / ".cache" if home is not None else None
    redirect("XDG_CACHE_HOME", cache, "cache")  # ArviZ (platformdirs), pip-installed tools
    redirect("MPLCONFIGDIR", home / ".config" / "matplotlib" if home else None, "matplotlib")
    flags = os.environ.get("PYTENSOR_FLAGS", "")
    if "base_compiledir" not in flags and not (home is not None and _writable(home / ".pytensor")):
        target = root / "pytensor"
        target.mkdir(parents=True, exist_ok=True)
        value = f"{flags},base_compiledir={target}" if flags else f"base_compiledir={target}"
        os.environ["PYTENSOR_FLAGS"] = changed["PYTENSOR_FLAGS"] = value
    if home is None or not _writable(home):
        redirect("NUMBA_CACHE_DIR", None, "numba")
    return changed
