"""Shared test set-up.

Every database test may touch the audit log, which lives behind its own connection ("audit"
alias), so database tests get every alias by default.

``LEERLOOPBAAN_TEST_CLOCK`` runs the whole session on another clock (time-machine, ticking), to show
that nothing mixes the UTC date with the Brussels date:

    LEERLOOPBAAN_TEST_CLOCK=2026-12-06T23:30:00+00:00   that moment (00:30 in Brussels, winter)
    LEERLOOPBAAN_TEST_CLOCK=23:30+00:00                 the last 23:30 UTC before now (within a day
                                                        of the real clock, so the browser and the
                                                        credential verifier, which keep real time,
                                                        still agree)
"""

from __future__ import annotations

import datetime
import os

import pytest

TEST_CLOCK = "LEERLOOPBAAN_TEST_CLOCK"


def clock_destination(value: str, real_now: datetime.datetime | None = None) -> datetime.datetime:
    """The moment ``LEERLOOPBAAN_TEST_CLOCK`` names: an ISO date-time, or a time of day (both with a UTC
    offset) meaning its last occurrence at or before the real clock."""
    moment = at = None
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        try:
            at = datetime.time.fromisoformat(value)
        except ValueError:
            pass
    if moment is None and at is None:
        raise pytest.UsageError(f"{TEST_CLOCK}={value!r}: expected e.g. 2026-12-06T23:30:00+00:00 or 23:30+00:00")
    if (moment or at).tzinfo is None:
        raise pytest.UsageError(f"{TEST_CLOCK}={value!r}: give the UTC offset, e.g. +00:00")
    if moment is None:
        real_now = real_now or datetime.datetime.now(datetime.UTC)
        moment = datetime.datetime.combine(real_now.astimezone(at.tzinfo).date(), at)
        if moment > real_now:
            moment -= datetime.timedelta(days=1)
    return moment


def pytest_report_header(config):
    value = os.environ.get(TEST_CLOCK)
    if value:
        moment = clock_destination(value)
        return f"{TEST_CLOCK}: the session starts at {moment.astimezone(datetime.UTC).isoformat()} (ticking)"
    return None


@pytest.fixture(scope="session", autouse=True)
def _test_clock():
    """With LEERLOOPBAAN_TEST_CLOCK set, every test runs on that clock (it ticks on from there)."""
    value = os.environ.get(TEST_CLOCK)
    if not value:
        yield None
        return
    import time_machine

    with time_machine.travel(clock_destination(value), tick=True) as traveller:
        yield traveller


def pytest_collection_modifyitems(config, items):
    for item in items:
        marker = item.get_closest_marker("django_db")
        names = getattr(item, "fixturenames", ())
        if marker is None and ("db" in names or "transactional_db" in names):
            item.add_marker(pytest.mark.django_db(transaction="transactional_db" in names, databases="__all__"), append=False)
        elif marker is not None and "databases" not in marker.kwargs:
            item.add_marker(pytest.mark.django_db(*marker.args, **{**marker.kwargs, "databases": "__all__"}), append=False)


@pytest.fixture(scope="session", autouse=True)
def _close_audit_connection(django_db_setup, django_db_blocker):
    """The audit log's own connection must be closed before the test database is dropped."""
    yield
    from django.db import connections

    with django_db_blocker.unblock():
        for conn in connections.all():
            conn.close()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_configure(config):
    """Compile the translations once, before any test runs: in the controlling process only, so that
    parallel workers (pytest-xdist) never read a catalogue another worker is still writing."""
    if not hasattr(config, "workerinput"):
        from leerloopbaan.site.translations import compile_catalogues

        compile_catalogues()


@pytest.fixture
def make_user(db):
    """make_user(role, school=None, clb=None, organisation=None, email=None) -> User, through the account
    services (a membership from 1 January 2000 when a school, CLB or organisation is given)."""
    from tests.factories import UserFactory

    def _make(role, *, school=None, clb=None, organisation=None, email=None, password="a-long-test-password"):
        extra = {"email": email} if email else {}
        return UserFactory(role=role, school=school, clb=clb, organisation=organisation, password=password, **extra)

    return _make


@pytest.fixture
def login(client):
    """login(user): a test client session past password and, where required, the second factor."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    def _login(user, c=None):
        c = c or client
        c.force_login(user)
        if user.requires_two_factor:
            device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
            session = c.session
            session["otp_device_id"] = device.persistent_id
            session.save()
        return c

    return _login


@pytest.fixture(autouse=True)
def _reference_data_after_flush(request, django_db_blocker):
    """A transactional test (the browser tests) flushes every table at its end, including the rows that
    data migrations seed (learning-gain instruments, training modules, ESCO skills): put them back first."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        return
    import importlib

    from django.apps import apps

    with django_db_blocker.unblock():
        for module in ("leerloopbaan.assessments.migrations.0002_seed_instruments",
                       "leerloopbaan.tutoring.migrations.0003_tutors_training_modules",
                       "leerloopbaan.portfolio.migrations.0002_seed_esco"):
            migration = importlib.import_module(module)
            (getattr(migration, "seed", None) or migration.forwards)(apps, None)
