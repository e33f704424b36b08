"""The platform's clock is Brussels', and the opt-in test clock (LEERLOOPBAAN_TEST_CLOCK) means what it says."""

from __future__ import annotations

import datetime
import os
import re
from pathlib import Path

import pytest
import time_machine

from leerloopbaan.kernel import clock
from tests.conftest import TEST_CLOCK, clock_destination

UTC = datetime.UTC


@pytest.mark.parametrize(("utc", "brussels"), [
    (datetime.datetime(2026, 12, 6, 23, 30, tzinfo=UTC), datetime.date(2026, 12, 7)),   # winter: UTC+1
    (datetime.datetime(2026, 12, 6, 22, 30, tzinfo=UTC), datetime.date(2026, 12, 6)),
    (datetime.datetime(2026, 7, 6, 22, 30, tzinfo=UTC), datetime.date(2026, 7, 7)),     # summer: UTC+2
    (datetime.datetime(2026, 8, 31, 22, 30, tzinfo=UTC), datetime.date(2026, 9, 1)),    # a new school year
    (datetime.datetime(2026, 12, 31, 23, 0, tzinfo=UTC), datetime.date(2027, 1, 1)),    # a new calendar year
])
def test_today_is_the_brussels_date(utc, brussels):
    with time_machine.travel(utc, tick=False):
        assert clock.today() == brussels
        assert clock.now() == utc
        assert clock.date_of(clock.now()) == brussels


def test_the_date_of_a_naive_moment_is_its_own():
    assert clock.date_of(datetime.datetime(2026, 12, 6, 23, 30)) == datetime.date(2026, 12, 6)


def test_the_test_clock_takes_a_moment():
    assert clock_destination("2026-12-06T23:30:00+00:00") == datetime.datetime(2026, 12, 6, 23, 30, tzinfo=UTC)


@pytest.mark.parametrize(("real", "expected"), [
    (datetime.datetime(2026, 12, 7, 1, 5, tzinfo=UTC), datetime.datetime(2026, 12, 6, 23, 30, tzinfo=UTC)),
    (datetime.datetime(2026, 12, 6, 23, 45, tzinfo=UTC), datetime.datetime(2026, 12, 6, 23, 30, tzinfo=UTC)),
    (datetime.datetime(2026, 12, 6, 23, 30, tzinfo=UTC), datetime.datetime(2026, 12, 6, 23, 30, tzinfo=UTC)),
])
def test_a_time_of_day_is_its_last_occurrence(real, expected):
    assert clock_destination("23:30+00:00", real_now=real) == expected


@pytest.mark.parametrize("value", ["2026-12-06T23:30:00", "23:30", "tonight"])
def test_the_test_clock_needs_an_offset_and_a_time(value):
    with pytest.raises(pytest.UsageError):
        clock_destination(value)


@pytest.mark.skipif(not os.environ.get(TEST_CLOCK), reason=f"{TEST_CLOCK} is not set")
def test_the_session_runs_on_the_test_clock():
    start = clock_destination(os.environ[TEST_CLOCK])
    assert start <= clock.now() < start + datetime.timedelta(hours=2)
    assert datetime.datetime.now(UTC) - clock.now() < datetime.timedelta(seconds=1)  # every clock, not Django's only


ROOT = Path(__file__).resolve().parents[2]
# The machine's calendar, or a moment's UTC date, where the Brussels date is meant: use kernel.clock.
WRONG_CLOCK = re.compile(r"\bdate\.today\(\)|\bdatetime\.today\(\)|\bdatetime\.now\(\)|\butcnow\(\)|\bnow\(\)\.date\(\)")


def test_no_code_or_test_reads_the_machines_calendar():
    offenders = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
                 for folder in ("src", "tests", "benchmarks") for path in sorted((ROOT / folder).rglob("*.py"))
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
                 if WRONG_CLOCK.search(line)]
    assert offenders == []
