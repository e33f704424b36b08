"""City-wide aggregates computed once per version of the data, not once per page view.

Outflow figures, portraits and the city dashboard go through every enrolment of the city; they only
change when an import is committed or a model scores. ``cached(name, compute, *key)`` keeps the
result under the current data version (the latest import, model run and scoring date), so the
next import makes every cached figure stale at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache

T = TypeVar("T")
TIMEOUT = 24 * 3600


def data_version() -> str:
    from django.db.models import Max

    from leerloopbaan.ews.models import ModelRun, RiskScore
    from leerloopbaan.registry.models import ImportRun

    last_import = ImportRun.objects.filter(status=ImportRun.Status.DONE).aggregate(m=Max("pk"))["m"]
    last_run = ModelRun.objects.aggregate(m=Max("pk"))["m"]
    last_score = RiskScore.objects.aggregate(m=Max("created_at"))["m"]
    return f"{last_import}:{last_run}:{last_score.isoformat() if last_score else None}"


def cached(name: str, compute: Callable[[], T], *key) -> T:
    """The value of ``compute()`` for this data version (computed at most once per version)."""
    cache_key = "agg:" + ":".join([name, data_version(), *map(str, key)])
    value = cache.get(cache_key)
    if value is None:
        value = compute()
        cache.set(cache_key, value, TIMEOUT)
    return value
