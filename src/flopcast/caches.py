"""Every in-process cache flopcast keeps, registered in one place so one call clears them all.

A cache here is anything a module keeps between calls to save work (compiled models, parsed
bundled tables, price-performance posteriors). Each module registers the function that
empties its cache; :func:`clear_caches` calls them all. On-disk caches are not touched.

Examples
--------
>>> calls = []
>>> register_cache("example", lambda: calls.append("cleared"))
>>> clear_caches()
>>> "cleared" in calls
True
>>> unregister_cache("example")
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

_F = TypeVar("_F", bound=Callable[..., Any])

#: Name -> function that empties that cache.
_REGISTRY: dict[str, Callable[[], object]] = {}


def register_cache(name: str, clear: Callable[[], object]) -> None:
    """Register ``clear`` as the function that empties the cache called ``name``."""
    _REGISTRY[name] = clear


def unregister_cache(name: str) -> None:
    """Forget a registered cache (no error when it was not registered)."""
    _REGISTRY.pop(name, None)


def registered_caches() -> tuple[str, ...]:
    """Names of the registered caches, sorted.

    Examples
    --------
    >>> isinstance(registered_caches(), tuple)
    True
    """
    return tuple(sorted(_REGISTRY))


def clear_caches() -> None:
    """Empty every in-process cache (compiled models, bundled tables, posteriors).

    The next call that needs a cached value computes it again. Files on disk are kept.
    """
    for clear in list(_REGISTRY.values()):
        clear()


def cached(name: str, maxsize: int | None = 1) -> Callable[[_F], _F]:
    """``functools.lru_cache`` that registers itself under ``name`` for :func:`clear_caches`.

    Examples
    --------
    >>> @cached("doctest.square")
    ... def square(x):
    ...     return x * x
    >>> square(3), square.cache_info().currsize
    (9, 1)
    >>> clear_caches(); square.cache_info().currsize
    0
    >>> unregister_cache("doctest.square")
    """

    def decorate(func: _F) -> _F:
        wrapped = functools.lru_cache(maxsize=maxsize)(func)
        register_cache(name, wrapped.cache_clear)
        return wrapped  # type: ignore[return-value]

    return decorate


class CacheDict(dict[Any, Any]):
    """A plain dict registered under ``name`` for :func:`clear_caches`.

    Examples
    --------
    >>> store = CacheDict("doctest.store")
    >>> store["k"] = 1
    >>> clear_caches(); len(store)
    0
    >>> unregister_cache("doctest.store")
    """

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        register_cache(name, self.clear)
