"""City-wide aggregates computed once per version of the data, not once per page view.

Outflow figures, portraits and the city dashboard go through every enrolment of the city; they only
change when an import is committed or a model scores. ``cached(name, compute, *key)`` keeps the
result under the current data version, so the next import makes every cached figure stale at once.

The kernel knows no app: the data version is made of *version sources* that the apps register in
their ``AppConfig.ready()`` (the registry: the latest committed import; the early warning: the latest
model run and scoring). A source is a function without arguments whose value changes whenever the
data it stands for change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache

T = TypeVar("T")
TIMEOUT = 24 * 3600

_sources: dict[str, Callable[[], object]] = {}


def register_version_source(name: str, source: Callable[[], object]) -> None:
    """Make ``source()`` part of the data version under ``name`` (registering a name again replaces it)."""
    _sources[name] = source


def unregister_version_source(name: str) -> None:
    _sources.pop(name, None)


def version_sources() -> tuple[str, ...]:
    return tuple(sorted(_sources))


def data_version() -> str:
    """The current value of every registered version source, in a stable order."""
    return ";".join(f"{name}={_sources[name]()}" for name in sorted(_sources))


def cached(name: str, compute: Callable[[], T], *key) -> T:
    """The value of ``compute()`` for this data version (computed at most once per version)."""
    cache_key = "agg:" + ":".join([name, data_version(), *map(str, key)])
    value = cache.get(cache_key)
    if value is None:
        value = compute()
        cache.set(cache_key, value, TIMEOUT)
    return value
