"""The column-wise fast path for absences and the row-by-row checker accept the same rows and
write the same table; the fast path hands every file with a problem to the checker."""

from __future__ import annotations

import datetime

import pytest

from leerloopbaan.registry.importer import absences, absences_fast, import_paths
from leerloopbaan.registry.models import Absence
from tests.registry.conftest import (
    ABSENCE_HEADER,
    ENROL_HEADER,
    PUPIL_HEADER,
    SCHOOL_HEADER,
    national_number,
    write,
)

pytestmark = pytest.mark.django_db

S = ["030551", "Atheneum", "GO", "secondary", "Borgerhout", "2140", "CLB GO", "Bestuur"]
S2 = ["012345", "Lyceum", "CITY", "secondary", "Antwerpen", "2000", "CLB Stad", "AGSO"]


def dataset(folder, *, bad=None, delimiter=","):
    pupils, enrol, rows = [], [], []
    for i in range(30):
        nn = national_number("2005-02-03", i + 1)
        pupils.append([nn, "", "", "2005-02-03", "M", "", "2017-09-01", "1", "0", "0", "1"])
        # a mid-year school change: school 1 until 18 January, school 2 from 21 January
        enrol.append([nn, "030551", "2019-2020", "2019-09-02", "2020-01-17", "S3", "", "TSO", "0", "school_change"])
        enrol.append([nn, "012345", "2019-2020", "2020-01-20", "2020-06-30", "S3", "", "BSO", "0", ""])
        for day in (datetime.date(2019, 10, 7), datetime.date(2019, 12, 9), datetime.date(2020, 2, 3), datetime.date(2020, 3, 2)):
            school = "030551" if day < datetime.date(2020, 1, 20) else "012345"
            for half in ("AM", "PM"):
                rows.append([nn, school, day.isoformat(), half, "B" if i % 3 else "Z"])
    if bad:
        bad(rows)
    write(folder, "schools.csv", SCHOOL_HEADER, [S, S2], delimiter=delimiter)
    write(folder, "pupils.csv", PUPIL_HEADER, pupils, delimiter=delimiter)
    write(folder, "enrolments.csv", ENROL_HEADER, enrol, delimiter=delimiter)
    write(folder, "absences.csv", ABSENCE_HEADER, rows, delimiter=delimiter)
    return folder


def table():
    return sorted(Absence.objects.values_list("pupil__pupil_key", "school__school_number", "date", "half_day", "code"))


def test_valid_file_goes_through_the_fast_path(tmp_path, monkeypatch):
    def no_slow(*args, **kwargs):
        raise AssertionError("the row-by-row checker was used for a valid CSV file")

    monkeypatch.setattr(absences, "_slow_file", no_slow)
    result = import_paths([dataset(tmp_path / "ds")])
    assert result.ok, result.report_text()
    assert result.counts["absences.csv"]["added"] == 240 == Absence.objects.count()


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_both_paths_write_the_same_rows(tmp_path, monkeypatch, delimiter):
    folder = dataset(tmp_path / "ds", delimiter=delimiter)
    assert import_paths([folder]).ok
    fast_rows = table()
    Absence.objects.all().delete()

    def refuse(*args, **kwargs):
        raise absences_fast.NotFast("forced")

    monkeypatch.setattr(absences_fast, "import_file", refuse)
    result = import_paths([folder])
    assert result.ok and result.counts["absences.csv"]["added"] == 240
    assert table() == fast_rows


@pytest.mark.parametrize(
    "corrupt,column",
    [
        (lambda rows: rows[5].__setitem__(4, "Q"), "code"),
        (lambda rows: rows[6].__setitem__(3, "XM"), "half_day"),
        (lambda rows: rows[7].__setitem__(2, "2019-10-12"), "date"),  # a Saturday
        (lambda rows: rows[8].__setitem__(1, "012345"), "date"),  # not enrolled in that school on that date
        (lambda rows: rows.append(list(rows[9])), "half_day"),  # the same half day twice
        (lambda rows: rows[10].__setitem__(0, "05020300199"), "national_number"),  # bad check digits
    ],
)
def test_fast_path_hands_a_bad_row_to_the_checker(tmp_path, corrupt, column):
    result = import_paths([dataset(tmp_path / "ds", bad=corrupt)])
    assert not result.ok
    assert {e.column for e in result.errors} == {column}, result.report_text()
    assert Absence.objects.count() == 0


def test_second_file_repeating_a_half_day_is_refused(tmp_path):
    folder = dataset(tmp_path / "ds")
    assert import_paths([folder]).ok
    # a second import with two absence files that share a half day
    other = tmp_path / "two"
    rows = [[national_number("2005-02-03", 1), "030551", "2019-11-04", "AM", "B"]]
    write(other / "a", "absences.csv", ABSENCE_HEADER, rows)
    write(other / "b", "absences.csv", ABSENCE_HEADER, rows)
    result = import_paths([other / "a" / "absences.csv", other / "b" / "absences.csv"])
    assert not result.ok and any(e.column == "half_day" for e in result.errors)
    assert Absence.objects.count() == 240
