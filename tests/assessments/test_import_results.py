"""test_results.csv through the registry import: every rule with its exact report row, whole data
set or nothing, re-import, correction with history, school staff limited to their pupils."""

from __future__ import annotations

import datetime

import pytest
from openpyxl import Workbook

from leerloopbaan.accounts.roles import Role
from leerloopbaan.assessments.models import TestResult
from leerloopbaan.kernel import clock
from leerloopbaan.kernel.schoolyear import school_year_bounds, school_year_of
from leerloopbaan.registry.importer import import_paths
from leerloopbaan.registry.importer.rules import RowError
from leerloopbaan.registry.models import ImportRun, Pupil, RecordChange, School
from tests.registry.conftest import ENROL_HEADER, PUPIL_HEADER, SCHOOL_HEADER, national_number, write

pytestmark = pytest.mark.django_db

HEADER = ["national_number", "date", "instrument", "domain", "scale_score", "scale_version"]
NN = national_number("2007-01-01", 1)
NN2 = national_number("2007-02-02", 2)
SCHOOLS = [["030551", "School", "GO", "secondary", "Borgerhout", "2140", "", ""],
           ["012345", "Other", "CITY", "secondary", "Deurne", "2100", "", ""]]
PUPILS = [[NN, "A", "B", "2007-01-01", "M", "2000", "2018-09-01", "1", "0", "0", "1"],
          [NN2, "C", "D", "2007-02-02", "F", "2000", "2018-09-01", "0", "0", "0", "0"]]
ENROLMENTS = [[NN, "030551", "2018-2019", "2018-09-01", "2019-06-30", "S1", "A", "", "0", ""],
              [NN2, "012345", "2018-2019", "2018-09-01", "2019-06-30", "S1", "A", "", "0", ""]]
ROW = [NN, "2019-05-20", "LGT-NL-12", "dutch", "287.5", "LGT-2028"]
ROW2 = [NN, "2019-05-21", "LGT-WI-12", "maths", "300", "LGT-2028"]


@pytest.fixture(autouse=True)
def _example_key(settings):
    settings.PSEUDONYM_KEY = "example"


def registry(folder):
    write(folder, "schools.csv", SCHOOL_HEADER, SCHOOLS)
    write(folder, "pupils.csv", PUPIL_HEADER, PUPILS)
    write(folder, "enrolments.csv", ENROL_HEADER, ENROLMENTS)
    return folder


@pytest.fixture(params=["fast", "rows"])
def path(request, monkeypatch):
    """Valid CSV files go column-wise (assessments.importing); force the row-by-row checker too."""
    from leerloopbaan.assessments import importing

    calls = []
    original = importing.check_csv

    def spy(*args, **kwargs):
        calls.append(args[0])
        if request.param == "rows":
            raise importing.NotFast("forced")
        return original(*args, **kwargs)

    monkeypatch.setattr(importing, "check_csv", spy)
    return request.param, calls


@pytest.fixture
def imported(tmp_path):
    result = import_paths([registry(tmp_path / "registry")])
    assert result.ok, result.report_text()
    return tmp_path


def results_file(folder, rows, header=HEADER, delimiter=","):
    return write(folder, "test_results.csv", header, rows, delimiter=delimiter)


def snapshot():
    return sorted(TestResult.objects.values_list("pupil__pupil_key", "date", "instrument__code", "scale_score", "scale_version"))


def test_a_valid_file_imports_with_the_rest_of_the_data_set(tmp_path, path):
    folder = registry(tmp_path / "ds")
    results_file(folder, [ROW, ROW2])
    result = import_paths([folder])
    assert result.ok, result.report_text()
    assert result.counts["test_results.csv"] == {"added": 2, "updated": 0, "unchanged": 0, "refused": 0}
    nl = TestResult.objects.get(instrument__code="LGT-NL-12")
    assert nl.scale_score == 287.5 and nl.scale_version == "LGT-2028" and nl.source == "import"
    assert nl.pupil == Pupil.objects.get(pupil_key=nl.pupil.pupil_key) and str(nl.date) == "2019-05-20"
    assert TestResult.objects.get(instrument__code="LGT-WI-12").scale_score == 300.0
    assert path[1], "the fast path was tried"


def test_results_by_pupil_key_and_as_xlsx(imported):
    key = Pupil.objects.order_by("pk").first().pupil_key
    folder = imported / "xlsx"
    folder.mkdir()
    book = Workbook()
    sheet = book.active
    sheet.append(["pupil_key", "date", "instrument", "domain", "scale_score", "scale_version"])
    sheet.append([key, "2019-05-20", "LGT-LE-12", "reading", 250.5, "LGT-2028"])
    book.save(folder / "test_results.xlsx")
    result = import_paths([folder])
    assert result.ok, result.report_text()
    assert snapshot() == [(key, __import__("datetime").date(2019, 5, 20), "LGT-LE-12", 250.5, "LGT-2028")]


CODES = "a known instrument code: " + ", ".join(sorted(
    f"LGT-{d}-{m}" for d in ("NL", "LE", "WI") for m in ("6", "12", "18", "P4", "P6", "S2", "S6")))


@pytest.mark.parametrize(
    ("column", "value", "shown", "reason", "expected"),
    [
        ("date", "2019-13-01", "2019-13-01", "no such date", "a real calendar date, YYYY-MM-DD"),
        ("date", "20/05/2019", "20/05/2019", "not a date", "YYYY-MM-DD"),
        ("date", "", "", "required value is empty", "a value"),
        ("instrument", "LGT-XX-12", "LGT-XX-12", "unknown instrument", CODES),
        ("domain", "science", "science", "unknown value", "one of dutch, reading, maths"),
        ("domain", "maths", "maths", "not the instrument's domain", "dutch (the domain of LGT-NL-12)"),
        ("scale_score", "abc", "abc", "not a number", "a number with a decimal point, e.g. 245.5"),
        ("scale_score", "287,5", "287,5", "not a number", "a number with a decimal point, e.g. 245.5"),
        ("scale_score", "450.5", "450.5", "outside the instrument's score range", "a number from 100 to 450 (LGT-NL-12)"),
        ("scale_score", "99", "99", "outside the instrument's score range", "a number from 100 to 450 (LGT-NL-12)"),
        ("scale_version", "LGT-2020", "LGT-2020", "not the instrument's scale version", "LGT-2028 (the scale of LGT-NL-12)"),
        ("national_number", national_number("2007-03-03", 3), national_number("2007-03-03", 3)[:6] + "*****",
         "unknown pupil", "a pupil in pupils.csv or already imported"),
        ("national_number", "07010100100", "070101*****", "invalid national number: check digits do not match (97 - first 9 digits mod 97, with the 2 prefix from 2000)",
         "11 digits passing the INSZ/BIS check digits"),
    ],
)
def test_each_rule_refuses_with_its_exact_report_row(imported, column, value, shown, reason, expected):
    row = list(ROW)
    row[HEADER.index(column)] = value
    folder = imported / "bad"
    registry(folder)  # the whole data set: its other files are refused with it
    results_file(folder, [ROW2, row], delimiter=";")  # ";" so that a decimal comma stays one value
    before = ImportRun.objects.filter(status=ImportRun.Status.DONE).count()
    result = import_paths([folder])
    assert not result.ok
    assert result.errors == [RowError("test_results.csv", 3, column, shown, reason, expected)], result.report_text()
    assert result.counts["test_results.csv"]["refused"] == 1
    assert TestResult.objects.count() == 0 and ImportRun.objects.filter(status=ImportRun.Status.DONE).count() == before
    assert result.run.status == ImportRun.Status.REFUSED and result.run.report[0]["column"] == column


def test_unknown_instrument_domain_mismatch_and_score_out_of_range_in_one_file(imported):
    rows = [ROW, [NN, "2019-05-22", "LGT-FR-12", "dutch", "287", "LGT-2028"],
            [NN, "2019-05-23", "LGT-WI-P6", "dutch", "300", "LGT-2028"],
            [NN, "2019-05-24", "LGT-WI-6", "maths", "351", "LGT-2028"]]
    result = import_paths([results_file(imported / "three", rows)])
    assert [(e.line, e.column, e.reason) for e in result.errors] == [
        (3, "instrument", "unknown instrument"),
        (4, "domain", "not the instrument's domain"),
        (5, "scale_score", "outside the instrument's score range"),
    ]
    assert result.errors[2].expected == "a number from 50 to 350 (LGT-WI-6)"
    assert TestResult.objects.count() == 0


def test_a_result_twice_in_the_data_set(imported):
    again = list(ROW)
    again[4] = "290"
    result = import_paths([results_file(imported / "dup", [ROW, ROW2, again])])
    assert result.errors == [RowError("test_results.csv", 4, "date", "2019-05-20", "result appears twice (also test_results.csv line 2)",
                                      "one row per pupil, date and instrument")]


def test_header_problems(imported):
    header = [c for c in HEADER if c != "scale_version"] + ["score"]
    result = import_paths([results_file(imported / "hdr", [[*ROW[:5], "1"]], header=header)])
    reasons = [e.reason for e in result.errors]
    assert "unknown column(s): score" in reasons and "missing required column(s): scale_version" in reasons


def test_reimport_changes_nothing_and_a_correction_updates_with_history(imported, path):
    folder = imported / "results"
    results_file(folder, [ROW, ROW2])
    assert import_paths([folder]).ok
    before = snapshot()
    again = import_paths([folder])
    assert again.ok and again.counts["test_results.csv"] == {"added": 0, "updated": 0, "unchanged": 2, "refused": 0}
    assert snapshot() == before and RecordChange.objects.count() == 0
    fixed = list(ROW)
    fixed[4] = "291"
    correction = import_paths([results_file(imported / "fix", [fixed])])
    assert correction.ok, correction.report_text()
    assert correction.counts["test_results.csv"] == {"added": 0, "updated": 1, "unchanged": 0, "refused": 0}
    change = RecordChange.objects.get(table="test_result")
    assert change.before == {"scale_score": 287.5} and change.after == {"scale_score": 291.0}
    assert change.import_run == correction.run and change.natural_key.endswith("/2019-05-20/LGT-NL-12")
    assert TestResult.objects.get(instrument__code="LGT-NL-12").scale_score == 291.0
    assert TestResult.objects.count() == 2


def test_dry_run_writes_nothing(imported, path):
    result = import_paths([results_file(imported / "dry", [ROW])], dry_run=True)
    assert result.ok and result.counts["test_results.csv"]["added"] == 1 and TestResult.objects.count() == 0


def test_school_staff_import_results_only_of_pupils_enrolled_in_their_schools(tmp_path, make_user):
    """Relative to the clock: NN enrolled in 030551 since the first day of the current school year (in
    the staff's reach), NN2 only in the other school. A result of NN2 is refused like one of an unknown
    pupil; one of NN from before the enrolment is refused as not enrolled on that date."""
    year = school_year_of(clock.today())
    first_day, _last = school_year_bounds(year)
    before = first_day - datetime.timedelta(days=30)
    folder = tmp_path / "registry"
    write(folder, "schools.csv", SCHOOL_HEADER, SCHOOLS)
    write(folder, "pupils.csv", PUPIL_HEADER, PUPILS)
    write(folder, "enrolments.csv", ENROL_HEADER, [
        [NN, "030551", year, first_day.isoformat(), "", "S1", "A", "", "0", ""],
        [NN2, "012345", year, first_day.isoformat(), "", "S1", "A", "", "0", ""]])
    assert import_paths([folder]).ok
    staff = make_user(Role.SCHOOL_STAFF, school=School.objects.get(school_number="030551"))
    mine = [NN, first_day.isoformat(), "LGT-NL-12", "dutch", "287.5", "LGT-2028"]
    mine2 = [NN, first_day.isoformat(), "LGT-WI-12", "maths", "300", "LGT-2028"]
    other = [NN2, first_day.isoformat(), "LGT-NL-12", "dutch", "250", "LGT-2028"]
    before_arriving = [NN, before.isoformat(), "LGT-NL-12", "dutch", "250", "LGT-2028"]
    result = import_paths([results_file(tmp_path / "staff", [mine, other, before_arriving])], user=staff)
    assert not result.ok
    assert result.errors == [
        RowError("test_results.csv", 3, "national_number", NN2[:6] + "*****", "not one of your pupils",
                 "add the pupil in pupils.csv of the same upload, with an enrolment in your school"),
        RowError("test_results.csv", 4, "national_number", NN[:6] + "*****", "this pupil is not enrolled in one of your schools on this date",
                 f"a pupil enrolled in one of your schools (030551) on {before.isoformat()}"),
    ]
    assert TestResult.objects.count() == 0
    ok = import_paths([results_file(tmp_path / "staff-ok", [mine, mine2])], user=staff)
    assert ok.ok, ok.report_text()
    assert TestResult.objects.count() == 2


def test_file_names_and_no_files_name_test_results(tmp_path):
    (tmp_path / "empty").mkdir()
    result = import_paths([tmp_path / "empty"])
    assert result.errors[0].reason == "no import files found"
    assert result.errors[0].expected == "schools, pupils, enrolments, absences, attestations or test_results (.csv or .xlsx)"
    write(tmp_path / "named", "test_result.csv", HEADER, [])
    result = import_paths([tmp_path / "named"])
    assert result.errors[0].reason == "unknown file name" and "test_results.csv or test_results.xlsx" in result.errors[0].expected


def test_both_paths_write_the_same(imported, monkeypatch):
    """The same files through the column-wise path and the row-by-row checker: same rows, counts, history."""
    from leerloopbaan.assessments import importing

    many = [[n, f"2019-05-{d:02d}", code, domain, f"{200 + d + (0.5 if d % 2 else 0)}", "LGT-2028"]
            for n in (NN, NN2) for d in range(1, 20) for code, domain in (("LGT-NL-12", "dutch"), ("LGT-WI-12", "maths"))]
    fixed = [list(r) for r in many[:5]]
    for r in fixed:
        r[4] = "333.3"
    outcomes = []
    for forced in (False, True):
        TestResult.objects.all().delete()
        RecordChange.objects.filter(table="test_result").delete()
        if forced:
            monkeypatch.setattr(importing, "check_csv", lambda *a, **k: (_ for _ in ()).throw(importing.NotFast("forced")))
        first = import_paths([results_file(imported / f"many{forced}", many, delimiter=";")])
        again = import_paths([results_file(imported / f"again{forced}", many)])
        correction = import_paths([results_file(imported / f"fix{forced}", [*fixed, many[7]])])
        outcomes.append((first.counts, again.counts, correction.counts, snapshot(),
                         sorted(RecordChange.objects.filter(table="test_result").values_list("natural_key", "before", "after"))))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0]["test_results.csv"]["added"] == 76 and outcomes[0][2]["test_results.csv"] == {
        "added": 0, "updated": 5, "unchanged": 1, "refused": 0}
