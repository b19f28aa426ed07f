"""The price-performance posterior, kept on disk between processes.

Sampling the price-performance trend costs a nutpie compile (tens of seconds) for a small
regression whose data are bundled and rarely change, and every ``forecast``, ``report`` and
study process needs it. So :func:`flopcast.cost.fit_price_performance` keeps its draws in
the user cache folder (``cache_dir("price_performance")``, see :mod:`flopcast.userdirs`),
one ``.npz`` file per (data, settings, seed): the file name is the sha256 of everything that
determines the draws (:func:`posterior_key`), so other data, priors, sampler settings, seed
or sampler versions find no file and sample again.

Files are written atomically and carry a sha256 of their arrays: a damaged or mismatched
file is ignored, with a :class:`~flopcast.exceptions.CacheWarning`, and the posterior is
sampled again (and the file replaced). Deleting the folder is always safe. Files hold only
numbers and JSON text (``numpy.load(allow_pickle=False)``): reading one executes nothing.
"""

from __future__ import annotations

import hashlib
import io
import json
import warnings
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from flopcast.atomic import write_bytes_atomic
from flopcast.exceptions import CacheWarning
from flopcast.userdirs import cache_dir

__all__ = [
    "CACHE_KIND",
    "arrays_to_groups",
    "groups_to_arrays",
    "load_posterior",
    "posterior_key",
    "posterior_path",
    "save_posterior",
]

#: Sub-folder of the user cache folder.
CACHE_KIND = "price_performance"
#: Layout of a cache file; a file of another layout is ignored.
CACHE_FORMAT = 1
#: Libraries whose versions are part of the key (another version may draw other numbers).
_KEY_LIBRARIES = ("nutpie", "pymc", "pytensor", "numpy")


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


def posterior_key(t: np.ndarray, y: np.ndarray, settings: dict[str, Any]) -> str:
    """sha256 of the data, the settings that shape the draws and the sampler's versions.

    Examples
    --------
    >>> a = posterior_key(np.arange(3.0), np.ones(3), {"seed": 1})
    >>> a == posterior_key(np.arange(3.0), np.ones(3), {"seed": 2})
    False
    """
    digest = hashlib.sha256()
    for values in (t, y):
        digest.update(np.ascontiguousarray(values, dtype="<f8").tobytes())
    parts = {
        "format": CACHE_FORMAT,
        "settings": settings,
        "versions": {name: _version(name) for name in _KEY_LIBRARIES},
        "data_sha256": digest.hexdigest(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def posterior_path(key: str) -> Path:
    """The cache file of ``key`` (in the user cache folder; it may not exist)."""
    return cache_dir(CACHE_KIND) / f"{key}.npz"


def _arrays_sha256(arrays: dict[str, np.ndarray]) -> str:
    digest = hashlib.sha256()
    for name in sorted(arrays):
        value = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}:{value.dtype.str}:{value.shape}".encode())
        digest.update(value.tobytes())
    return digest.hexdigest()


def load_posterior(key: str) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
    """The arrays and metadata cached under ``key``, or None (missing, damaged, mismatched).

    A file that exists but cannot be trusted is reported with a
    :class:`~flopcast.exceptions.CacheWarning` and ignored.
    """
    path = posterior_path(key)
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as stored:
            meta = json.loads(str(stored["meta_json"]))
            arrays = {name: stored[name] for name in stored.files if name != "meta_json"}
        if meta.get("format") != CACHE_FORMAT or meta.get("key") != key:
            raise ValueError("written for other data or settings")
        if meta.get("arrays_sha256") != _arrays_sha256(arrays):
            raise ValueError("its draws do not match their sha256")
    except Exception as exc:  # zip, JSON and numpy errors alike: the file is not usable
        warnings.warn(
            f"ignoring the cached price-performance posterior {path} ({exc}); sampling it again",
            CacheWarning,
            stacklevel=3,
        )
        return None
    return arrays, meta


def save_posterior(key: str, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> Path | None:
    """Write ``arrays`` and ``meta`` (JSON-ready) under ``key`` atomically; the path or None.

    A cache that cannot be written (read-only or full disk) is reported with a
    :class:`~flopcast.exceptions.CacheWarning` and skipped: the result is still returned to
    the caller, only not kept.
    """
    path = posterior_path(key)
    meta = {**meta, "format": CACHE_FORMAT, "key": key, "arrays_sha256": _arrays_sha256(arrays)}
    buffer = io.BytesIO()
    contents = {"meta_json": np.array(json.dumps(meta, sort_keys=True)), **arrays}
    np.savez(buffer, **contents)  # type: ignore[arg-type]  # numpy's stub types **kwds as bool
    try:
        return write_bytes_atomic(path, buffer.getvalue())
    except OSError as exc:
        warnings.warn(
            f"could not cache the price-performance posterior in {path} ({exc})",
            CacheWarning,
            stacklevel=3,
        )
        return None


def groups_to_arrays(groups: dict[str, xr.Dataset]) -> dict[str, np.ndarray]:
    """The posterior's (chain, draw) arrays and the ``diverging`` flags, by name."""
    arrays = {
        str(name): np.asarray(values.values, dtype=float)
        for name, values in groups["posterior"].data_vars.items()
    }
    if "sample_stats" in groups and "diverging" in groups["sample_stats"]:
        arrays["diverging"] = np.asarray(groups["sample_stats"]["diverging"].values, dtype=bool)
    return arrays


def arrays_to_groups(arrays: dict[str, np.ndarray]) -> dict[str, xr.Dataset]:
    """``posterior`` and ``sample_stats`` datasets from :func:`groups_to_arrays` output.

    Examples
    --------
    >>> post = xr.Dataset({"a": (("chain", "draw"), np.ones((2, 3)))})
    >>> arrays_to_groups(groups_to_arrays({"posterior": post}))["posterior"]["a"].shape
    (2, 3)
    """
    names = [n for n in arrays if n != "diverging"]
    chains, draws = arrays[names[0]].shape[:2]
    coords = {"chain": np.arange(chains), "draw": np.arange(draws)}
    dims = ("chain", "draw")
    groups = {"posterior": xr.Dataset({n: (dims, arrays[n]) for n in names}, coords=coords)}
    if "diverging" in arrays:
        groups["sample_stats"] = xr.Dataset({"diverging": (dims, arrays["diverging"])}, coords)
    return groups
