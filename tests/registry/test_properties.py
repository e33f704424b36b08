"""Property-based: valid generated data sets import and round-trip; corrupted ones are refused with
a report, never an exception."""

from __future__ import annotations

import datetime
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leerloopbaan.registry.importer import import_paths
from leerloopbaan.registry.models import Absence, Enrolment, Pupil, School
from tests.registry.conftest import (
    ABSENCE_HEADER,
    ENROL_HEADER,
    PUPIL_HEADER,
    SCHOOL_HEADER,
    national_number,
    write,
)

pytestmark = pytest.mark.django_db

WEEKDAYS = [d for d in (datetime.date(2018, 9, 3) + datetime.timedelta(days=i) for i in range(60)) if d.weekday() < 5]


@st.composite
def datasets(draw):
    n_pupils = draw(st.integers(1, 6))
    schools = [["0305" + str(i).zfill(2), f"School {i}", draw(st.sampled_from(["GO", "CITY", "OTHER"])), "secondary",
                draw(st.sampled_from(["Antwerpen", "Deurne", "outside"])), "", "", ""] for i in range(2)]
    pupils, enrol, absences = [], [], []
    for i in range(n_pupils):
        nn = national_number("2004-02-0" + str(1 + i % 9), i + 1)
        pupils.append([nn, "", "", "2004-02-0" + str(1 + i % 9), draw(st.sampled_from("MFX")), "", "2016-09-01",
                       *[draw(st.sampled_from("01")) for _ in range(4)]])
        school = draw(st.sampled_from(schools))[0]
        enrol.append([nn, school, "2018-2019", "2018-09-01", "", draw(st.sampled_from(["S1", "S3", "S5"])), "", "TSO", "0", ""])
        for day in draw(st.lists(st.sampled_from(WEEKDAYS), max_size=5, unique=True)):
            absences.append([nn, school, day.isoformat(), draw(st.sampled_from(["AM", "PM"])), draw(st.sampled_from("RZB"))])
    return {"schools.csv": (SCHOOL_HEADER, schools), "pupils.csv": (PUPIL_HEADER, pupils),
            "enrolments.csv": (ENROL_HEADER, enrol), "absences.csv": (ABSENCE_HEADER, absences)}


def _write(data, corrupt=None):
    folder = Path(tempfile.mkdtemp(prefix="ll-prop-"))
    for name, (header, rows) in data.items():
        rows = [list(r) for r in rows]
        if corrupt and corrupt[0] == name and rows:
            r, c, value = corrupt[1] % len(rows), corrupt[2] % len(header), corrupt[3]
            rows[r][c] = value
        write(folder, name, header, rows, delimiter=corrupt[4] if corrupt else ",")
    return folder


def _clear():
    Absence.objects.all().delete()
    Enrolment.objects.all().delete()
    Pupil.objects.all().delete()
    School.objects.all().delete()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=datasets())
def test_valid_data_sets_import_and_round_trip(data):
    _clear()
    folder = _write(data)
    try:
        first = import_paths([folder])
        assert first.ok, first.report_text()
        assert Absence.objects.count() == len(data["absences.csv"][1])
        assert Pupil.objects.count() == len(data["pupils.csv"][1])
        stored = sorted(Absence.objects.values_list("school__school_number", "date", "half_day", "code"))
        given_rows = sorted((r[1], datetime.date.fromisoformat(r[2]), r[3], r[4]) for r in data["absences.csv"][1])
        assert stored == given_rows
        again = import_paths([folder])
        assert again.ok and again.totals()["added"] == 0 and again.totals()["updated"] == 0
    finally:
        shutil.rmtree(folder)


JUNK = st.one_of(st.sampled_from(["", "x", "2018-02-30", "99", "S9", "AMPM", "é", '"', "0305510", "1;2", "-1"]),
                 st.text(max_size=8))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=datasets(), where=st.sampled_from(["schools.csv", "pupils.csv", "enrolments.csv", "absences.csv"]),
       row=st.integers(0, 50), col=st.integers(0, 20), value=JUNK, delimiter=st.sampled_from([",", ";"]))
def test_corrupted_data_sets_refused_with_report(data, where, row, col, value, delimiter):
    _clear()
    folder = _write(data, (where, row, col, value, delimiter))
    try:
        result = import_paths([folder])  # never raises
        text = result.report_text()
        if not result.ok:
            assert result.errors and "refused" in text
            assert School.objects.count() == 0
    finally:
        shutil.rmtree(folder)
