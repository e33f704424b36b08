"""Cached city-wide aggregates are recomputed when the data change, never served stale."""

import pytest

from leerloopbaan.ews.models import ModelRun
from leerloopbaan.kernel import clock
from leerloopbaan.kernel.caching import (
    cached,
    data_version,
    register_version_source,
    unregister_version_source,
    version_sources,
)
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


def test_the_version_changes_with_a_registered_source():
    """The kernel knows no app: a source an app registers is part of the version, and a change in it
    makes the cached figures stale."""
    state = {"value": 1}
    register_version_source("tests.source", lambda: state["value"])
    try:
        calls = []

        def compute():
            calls.append(1)
            return len(calls)

        before = data_version()
        assert cached("test-source", compute) == 1
        assert cached("test-source", compute) == 1
        state["value"] = 2
        assert data_version() != before
        assert cached("test-source", compute) == 2
    finally:
        unregister_version_source("tests.source")
    assert "tests.source" not in version_sources()


def test_the_registry_and_the_early_warning_register_their_sources():
    assert {"registry.import", "ews.scoring"} <= set(version_sources())
    before = data_version()
    ModelRun.objects.create(version="v-test", model_name="rules", path="")
    assert data_version() != before  # a new model run makes the figures stale
