"""The resolved spec as TOML, so a report folder holds the spec that refits it."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from flopcast.exceptions import FlopcastError
from flopcast.spec import ModelSpec

__all__ = ["spec_to_toml"]


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise FlopcastError(f"spec_to_toml: {value!r} has no TOML form")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items() if v is not None]
        return "{ " + ", ".join(items) + " }" if items else "{}"
    raise FlopcastError(f"spec_to_toml: cannot write {type(value).__name__} values")


def spec_to_toml(spec: ModelSpec) -> str:
    """The resolved spec as TOML text that :func:`flopcast.load_spec` reads back unchanged.

    Parameters
    ----------
    spec : ModelSpec

    Returns
    -------
    str

    Raises
    ------
    FlopcastError
        When a value has no TOML form (a non-finite float, an unknown type).

    Examples
    --------
    >>> import tomllib
    >>> spec = ModelSpec.from_dict({"name": "demo", "model": {"breaks": 2}})
    >>> ModelSpec.from_dict(tomllib.loads(spec_to_toml(spec))) == spec
    True
    """
    values = spec.to_dict()
    lines = ["# Resolved flopcast spec (every default filled in), written by flopcast report."]
    sections = {k: v for k, v in values.items() if isinstance(v, dict)}
    for key, value in values.items():
        if key not in sections and value is not None:
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    for name, table in sections.items():
        lines += ["", f"[{_toml_key(name)}]"]
        for key, value in table.items():
            if value is not None:
                lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"
