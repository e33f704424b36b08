"""Cached city-wide aggregates are recomputed when the data change, never served stale."""

import pytest

from leerloopbaan.kernel import clock
from leerloopbaan.kernel.caching import cached, data_version
from leerloopbaan.registry.models import ImportRun

pytestmark = pytest.mark.django_db


def test_cached_until_the_next_import():
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert cached("test", compute, "a") == 1
    assert cached("test", compute, "a") == 1  # same data version: not recomputed
    assert cached("test", compute, "b") == 2  # other parameters: computed
    before = data_version()
    ImportRun.objects.create(status=ImportRun.Status.DONE, finished_at=clock.now())
    assert data_version() != before
    assert cached("test", compute, "a") == 3  # a committed import makes it stale
