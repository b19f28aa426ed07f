"""Error messages for mistyped input: did-you-mean hints and readable validation errors.

Specs, study files and figure options report an unknown name with the closest valid one
(:func:`did_you_mean`), and a pydantic :class:`~pydantic.ValidationError` as one line per
problem naming its dotted field (:func:`format_validation_error`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ValidationError

__all__ = ["did_you_mean", "fields_at", "format_validation_error"]


def did_you_mean(word: str, options: Iterable[Any]) -> str:
    """`` (did you mean 'x'?)`` for the option closest to ``word``, or ``""``.

    Examples
    --------
    >>> did_you_mean("Langauge", ["Language", "Vision"])
    " (did you mean 'Language'?)"
    """
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the (sub)model that ``loc`` points into, for did-you-mean hints."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return []
        annotation = field.annotation
        for arg in (annotation, *getattr(annotation, "__args__", ())):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                current = arg
                break
        else:
            return []
    return list(getattr(current, "model_fields", {}))


def format_validation_error(exc: ValidationError, model: type[BaseModel], origin: str) -> str:
    """One line per problem of a pydantic error, each naming its dotted field; unknown keys
    get the valid keys at their place and a did-you-mean hint."""
    lines = [f"{origin}: invalid spec ({exc.error_count()} problem(s)):"]
    for err in exc.errors():
        loc = tuple(err["loc"])
        where = ".".join(str(p) for p in loc) or "(top level)"
        if err["type"] == "extra_forbidden":
            valid = fields_at(model, loc)
            lines.append(
                f"  - {where}: unknown key{did_you_mean(str(loc[-1]), valid)}; "
                f"valid keys here: {valid}"
            )
        else:
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"  - {where} = {err.get('input')!r}: {msg}")
    return "\n".join(lines)
