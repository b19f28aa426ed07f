"""Checks that a saved fit file is whole before :func:`~flopcast.fitting.load_fit` builds a Fit.

Every way a file can be damaged becomes one :class:`~flopcast.exceptions.FitLoadError` naming
the file and what is wrong: a format version that is not a positive integer, metadata that is
not JSON text (a pickle or opaque blob in an attribute is refused, never decoded), and a
posterior that does not match its saved spec (missing variables, wrong shapes, no draws,
non-finite draws).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from flopcast.exceptions import FitLoadError
from flopcast.spec import ModelSpec

__all__ = ["check_structure", "format_version", "json_attr"]


def format_version(path: Path, value: Any) -> int:
    """The saved ``flopcast_fit_format`` as a positive integer."""
    try:
        version = int(np.asarray(value).item())
    except (TypeError, ValueError):
        raise FitLoadError(f"{path}: damaged fit format version {value!r}") from None
    if version < 1:
        raise FitLoadError(f"{path}: damaged fit format version {value!r}")
    return version


def json_attr(path: Path, attrs: dict[str, Any], key: str) -> Any:
    """A JSON text attribute, decoded; anything else (bytes, numbers, blobs) is refused."""
    if key not in attrs:
        raise FitLoadError(f"{path}: damaged flopcast fit metadata (no {key!r} attribute)")
    value = attrs[key]
    if not isinstance(value, str):
        raise FitLoadError(
            f"{path}: damaged flopcast fit metadata ({key!r} is {type(value).__name__}, "
            "not JSON text); it is not read"
        )
    try:
        return json.loads(value)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise FitLoadError(f"{path}: damaged flopcast fit metadata ({key}: {exc})") from None


def check_structure(path: Path, spec: ModelSpec, post: xr.Dataset) -> None:
    """The posterior holds what the saved spec says the model had (consistency on load)."""
    k = spec.model.breaks
    needed = ["level", "slopes", "scatter", "doubling_months", "growth_per_year"]
    if k and spec.model.fixed_breaks is None:
        needed.append("breaks")
    if spec.model.jump:
        needed.append("jumps")
    missing = [v for v in needed if v not in post.data_vars]
    if missing:
        raise FitLoadError(
            f"{path}: damaged flopcast fit: the posterior lacks {missing}, which the saved "
            f"spec ({k} break(s), jump={spec.model.jump}) needs"
        )
    if post.sizes.get("chain", 0) == 0 or post.sizes.get("draw", 0) == 0:
        raise FitLoadError(f"{path}: damaged flopcast fit: the posterior has no draws")
    shapes = {"slopes": k + 1, "doubling_months": k + 1, "growth_per_year": k + 1}
    if "breaks" in needed:
        shapes["breaks"] = k
    if spec.model.jump:
        shapes["jumps"] = k
    for name, size in shapes.items():
        extra = post[name].shape[2:]
        if extra != (size,):
            raise FitLoadError(
                f"{path}: damaged flopcast fit: posterior {name!r} has shape {extra}, "
                f"but the saved spec has {k} break(s) (expected ({size},))"
            )
    for name in needed:
        if not np.isfinite(np.asarray(post[name].values, dtype=float)).all():
            raise FitLoadError(f"{path}: damaged flopcast fit: posterior {name!r} is not finite")
