"""The import: the example data set, every rule of data-format.md, re-import, history, dry run."""

from __future__ import annotations

import datetime
import hashlib
import hmac
from pathlib import Path

import pytest

from leerloopbaan.kernel.audit.models import AuditEntry
from leerloopbaan.registry.importer import import_paths
from leerloopbaan.registry.models import (
    Absence,
    Attestation,
    Enrolment,
    ImportRun,
    Pupil,
    PupilCharacteristics,
    PupilName,
    RecordChange,
    School,
)
from tests.registry.conftest import (
    ABSENCE_HEADER,
    ATTEST_HEADER,
    ENROL_HEADER,
    PUPIL_HEADER,
    SCHOOL_HEADER,
    national_number,
    write,
)

pytestmark = pytest.mark.django_db


def snapshot():
    return {
        "schools": sorted(School.objects.values_list("school_number", "name", "network", "district", "postcode")),
        "pupils": sorted(Pupil.objects.values_list("pupil_key", "birth_date", "sex", "postcode")),
        "chars": PupilCharacteristics.objects.count(),
        "enrolments": sorted(Enrolment.objects.values_list("pupil__pupil_key", "school_year", "start_date", "end_date", "grade")),
        "absences": sorted(Absence.objects.values_list("pupil__pupil_key", "date", "half_day", "code")),
        "attestations": sorted(Attestation.objects.values_list("pupil__pupil_key", "school_year", "result", "qualification")),
    }


def test_example_imports_with_pupil_keys(example):
    result = import_paths([example])
    assert result.ok, result.report_text()
    assert result.counts["schools.csv"] == {"added": 2, "updated": 0, "unchanged": 0, "refused": 0}
    assert result.counts["absences.csv"]["added"] == 5
    assert result.totals()["added"] == 2 + 4 + 7 + 5 + 5
    key = hmac.new(b"example", b"01031410135", hashlib.sha256).hexdigest()
    amir = Pupil.objects.get(pupil_key=key)
    assert amir.birth_date == datetime.date(2001, 3, 14)
    assert PupilName.objects.get(pupil=amir).first_name == "Amir"
    assert School.objects.get(school_number="030551").clb.name == "CLB GO Antwerpen"
    run = result.run
    assert run.status == ImportRun.Status.DONE and run.files[0]["sha256"]
    assert "report_text" and "imported" in result.report_text()


def test_national_number_never_stored(example):
    import_paths([example])
    from django.db import connection

    with connection.cursor() as cur:
        for table in connection.introspection.table_names(cur):
            cur.execute(f'SELECT * FROM "{table}"')
            dump = repr(cur.fetchall())
            assert "01031410135" not in dump, table


def test_reimport_changes_nothing(example):
    assert import_paths([example]).ok
    before = snapshot()
    again = import_paths([example])
    assert again.ok
    assert again.totals() == {"added": 0, "updated": 0, "unchanged": 23, "refused": 0}
    assert snapshot() == before
    assert RecordChange.objects.count() == 0


def test_correction_updates_and_keeps_history(example, tmp_path):
    assert import_paths([example]).ok
    later = tmp_path / "later"
    write(later, "absences.csv", ABSENCE_HEADER, [["01031410135", "030551", "2018-11-19", "AM", "B"]])
    write(later, "enrolments.csv", ENROL_HEADER, [["01110220259", "012345", "2018-2019", "2018-09-01", "2019-06-28", "S6", "", "ASO", "0", "qualified"]])
    result = import_paths([later])
    assert result.ok, result.report_text()
    assert result.counts["absences.csv"] == {"added": 0, "updated": 1, "unchanged": 0, "refused": 0}
    assert result.counts["enrolments.csv"]["updated"] == 1
    change = RecordChange.objects.get(table="absence")
    assert change.before == {"code": "Z"} and change.after == {"code": "B"} and change.import_run == result.run
    assert RecordChange.objects.get(table="enrolment").after == {"end_date": "2019-06-28"}
    assert Absence.objects.get(date="2018-11-19", half_day="AM").code == "B"


def test_later_characteristics_add_history(example, tmp_path):
    assert import_paths([example]).ok
    later = tmp_path / "later"
    write(later, "pupils.csv", PUPIL_HEADER, [["01031410135", "Amir", "Voorbeeld", "2001-03-14", "M", "2140", "2017-09-01", "1", "0", "1", "1"]])
    result = import_paths([later])
    assert result.ok and result.counts["pupils.csv"]["added"] == 1
    assert PupilCharacteristics.objects.filter(pupil__pupil_key=hmac.new(b"example", b"01031410135", hashlib.sha256).hexdigest()).count() == 2


def test_dry_run_writes_nothing(example):
    result = import_paths([example], dry_run=True)
    assert result.ok and result.dry_run
    assert result.totals()["added"] == 23
    assert Pupil.objects.count() == 0 and School.objects.count() == 0
    assert result.run.status == ImportRun.Status.CHECKED


def test_one_audit_event_per_import(example):
    before = AuditEntry.objects.filter(action="import").count()
    import_paths([example])
    entries = AuditEntry.objects.filter(action="import")
    assert entries.count() == before + 1
    assert entries.order_by("-id").first().detail["counts"]["absences.csv"]["added"] == 5


def test_semicolon_and_bom(tmp_path, example):
    folder = tmp_path / "semi"
    for path in example.iterdir():
        lines = path.read_text(encoding="utf-8").splitlines()
        (folder).mkdir(exist_ok=True)
        (folder / path.name).write_text("\ufeff" + "\n".join(line.replace(",", ";") for line in lines) + "\n", encoding="utf-8")
    result = import_paths([folder])
    assert result.ok, result.report_text()
    assert Absence.objects.count() == 5


def test_invalid_rows_refuse_whole_data_set(example):
    text = (example / "absences.csv").read_text()
    (example / "absences.csv").write_text(text + "01031410135,030551,2018-10-13,AM,B\n")  # a Saturday
    result = import_paths([example])
    assert not result.ok
    assert [(e.file, e.line, e.column) for e in result.errors] == [("absences.csv", 7, "date")]
    assert "Saturday" in result.errors[0].reason
    assert Pupil.objects.count() == 0 and School.objects.count() == 0
    assert result.run.status == ImportRun.Status.REFUSED and result.run.report[0]["line"] == 7


def _errors(tmp_path, files: dict[str, tuple[list, list]]):
    folder = tmp_path / "ds"
    for name, (header, rows) in files.items():
        write(folder, name, header, rows)
    result = import_paths([folder])
    assert not result.ok
    assert School.objects.count() == 0
    return result.errors


S = ["030551", "School", "GO", "secondary", "Borgerhout", "2140", "", ""]
NN = national_number("2005-01-01", 1)
P = [NN, "A", "B", "2005-01-01", "M", "2000", "2015-09-01", "1", "0", "0", "1"]
E = [NN, "030551", "2018-2019", "2018-09-01", "2019-06-30", "S1", "A", "ASO", "0", ""]


@pytest.mark.parametrize(
    ("kind", "column", "value", "reason"),
    [
        ("schools", "school_number", "1234567", "not a school number"),
        ("schools", "school_number", "12a", "not a school number"),
        ("schools", "network", "PRIVATE", "unknown value"),
        ("schools", "level", "tertiary", "unknown value"),
        ("schools", "district", "Gent", "unknown value"),
        ("schools", "postcode", "200", "not a postcode"),
        ("schools", "name", "", "required value is empty"),
        ("pupils", "birth_date", "2005-13-01", "no such date"),
        ("pupils", "birth_date", "01/01/2005", "not a date"),
        ("pupils", "sex", "V", "unknown value"),
        ("pupils", "postcode", "abcd", "not a postcode"),
        ("pupils", "home_language_not_dutch", "yes", "not a boolean"),
        ("pupils", "mother_low_education", "2", "not a boolean"),
        ("pupils", "school_allowance", "", "required value is empty"),
        ("pupils", "as_of", "2015-02-30", "no such date"),
        ("pupils", "national_number", "05010100100", "check digits"),
        ("pupils", "national_number", "0501010010", "has 10 digits"),
        ("enrolments", "school_year", "2018-2020", "second year"),
        ("enrolments", "school_year", "2018/2019", "not a school year"),
        ("enrolments", "start_date", "2018-08-31", "not inside the school year"),
        ("enrolments", "end_date", "2019-09-01", "not inside the school year"),
        ("enrolments", "grade", "S8", "unknown value"),
        ("enrolments", "stream", "C", "unknown value"),
        ("enrolments", "track", "aso", "unknown value"),
        ("enrolments", "dual", "true", "not a boolean"),
        ("enrolments", "end_reason", "expelled", "unknown value"),
        ("enrolments", "school_number", "999999", "unknown school"),
    ],
)
def test_each_bad_value_has_its_own_message(tmp_path, kind, column, value, reason):
    files = {"schools.csv": (SCHOOL_HEADER, [list(S)]), "pupils.csv": (PUPIL_HEADER, [list(P)]),
             "enrolments.csv": (ENROL_HEADER, [list(E)])}
    header, rows = files[f"{kind}.csv"]
    rows[0][header.index(column)] = value
    errors = [e for e in _errors(tmp_path, files) if e.file == f"{kind}.csv"]
    assert len(errors) == 1, errors
    err = errors[0]
    assert (err.file, err.line, err.column) == (f"{kind}.csv", 2, column)
    assert reason in err.reason and err.expected
    if column == "national_number":
        assert err.value.startswith(value[:6]) and err.value.endswith("****") and value not in err.value


def test_several_bad_values_in_one_row_each_reported(tmp_path):
    bad = list(P)
    bad[4], bad[7], bad[3] = "Q", "x", "nope"
    errors = _errors(tmp_path, {"pupils.csv": (PUPIL_HEADER, [bad])})
    assert sorted(e.column for e in errors) == ["birth_date", "home_language_not_dutch", "sex"]


def test_enrolment_end_before_start(tmp_path):
    e = list(E)
    e[3], e[4] = "2019-03-01", "2019-02-01"
    errors = _errors(tmp_path, {"schools.csv": (SCHOOL_HEADER, [S]), "pupils.csv": (PUPIL_HEADER, [P]), "enrolments.csv": (ENROL_HEADER, [e])})
    assert [(e.column, e.reason) for e in errors] == [("end_date", "before start_date")]


def test_overlapping_enrolments_in_file(tmp_path):
    e2 = list(E)
    e2[3], e2[4] = "2019-01-01", ""
    errors = _errors(tmp_path, {"schools.csv": (SCHOOL_HEADER, [S]), "pupils.csv": (PUPIL_HEADER, [P]), "enrolments.csv": (ENROL_HEADER, [E, e2])})
    assert len(errors) == 1 and "overlaps" in errors[0].reason and errors[0].line == 3


def test_overlap_against_database(example, tmp_path):
    assert import_paths([example]).ok
    later = tmp_path / "later"
    write(later, "enrolments.csv", ENROL_HEADER, [["01031410135", "012345", "2018-2019", "2018-10-01", "", "S5", "", "BSO", "0", ""]])
    result = import_paths([later])
    assert not result.ok and "already imported" in result.errors[0].reason


def test_unknown_and_missing_columns(tmp_path):
    header = [*SCHOOL_HEADER, "nmae"]
    header.remove("district")
    errors = _errors(tmp_path, {"schools.csv": (header, [["1", "n", "GO", "primary", "", "", "", ""]])})
    reasons = " | ".join(e.reason for e in errors)
    assert "unknown column(s): nmae" in reasons and "missing required column(s): district" in reasons


def test_pupil_identification_rules(tmp_path):
    header = [*PUPIL_HEADER[:1], "pupil_key", *PUPIL_HEADER[1:]]
    both = [NN, "a" * 64, *P[1:]]
    none = ["", "", *P[1:]]
    badkey = ["", "A" * 64, *P[1:]]
    errors = _errors(tmp_path, {"pupils.csv": (header, [both, none, badkey])})
    assert [e.line for e in errors] == [2, 3, 4]
    assert "both" in errors[0].reason and "no pupil" in errors[1].reason and "pupil key" in errors[2].reason


def test_duplicates_and_references(tmp_path):
    absences = [[NN, "030551", "2018-10-08", "AM", "B"], [NN, "030551", "2018-10-08", "PM", "Z"],
                [NN, "030551", "2018-10-09", "XM", "B"], [NN, "030551", "2018-10-10", "AM", "Q"],
                [NN, "030551", "2019-10-10", "AM", "B"], [national_number("2005-02-02", 2), "030551", "2018-10-11", "AM", "B"]]
    errors = _errors(tmp_path, {"schools.csv": (SCHOOL_HEADER, [S, S]), "pupils.csv": (PUPIL_HEADER, [P, P]),
                                "enrolments.csv": (ENROL_HEADER, [E]), "absences.csv": (ABSENCE_HEADER, absences),
                                "attestations.csv": (ATTEST_HEADER, [[NN, "030551", "2018-2019", "S1", "A", ""],
                                                                     [NN, "030551", "2018-2019", "S1", "Z", "phd"]])})
    got = [(e.file, e.line, e.column) for e in errors]
    assert ("schools.csv", 3, "school_number") in got
    assert ("pupils.csv", 3, "as_of") in got
    assert ("absences.csv", 4, "half_day") in got
    assert ("absences.csv", 5, "code") in got
    assert ("absences.csv", 7, "national_number") in got  # unknown pupil
    assert ("attestations.csv", 3, "school_year") in got  # twice
    assert ("attestations.csv", 3, "result") in got
    assert ("attestations.csv", 3, "qualification") in got


def test_duplicate_absence_in_file(tmp_path):
    absences = [[NN, "030551", "2018-10-08", "AM", "B"], [NN, "030551", "2018-10-08", "AM", "Z"],
                [NN, "030551", "2019-10-10", "AM", "B"]]
    errors = _errors(tmp_path, {"schools.csv": (SCHOOL_HEADER, [S]), "pupils.csv": (PUPIL_HEADER, [P]),
                                "enrolments.csv": (ENROL_HEADER, [E]), "absences.csv": (ABSENCE_HEADER, absences)})
    assert [(e.line, e.column) for e in errors] == [(3, "half_day"), (4, "date")] and "twice" in errors[0].reason
    assert "not enrolled" in errors[1].reason


def test_unknown_file_name(tmp_path):
    write(tmp_path / "ds", "absence.csv", ABSENCE_HEADER, [])
    result = import_paths([tmp_path / "ds"])
    assert not result.ok and result.errors[0].reason == "unknown file name"


def test_three_bad_rows_among_ten_thousand(tmp_path):
    folder = tmp_path / "big"
    pupils, enrol, absences = [], [], []
    for i in range(200):
        nn = national_number("2004-05-06", i + 1)
        pupils.append([nn, "", "", "2004-05-06", "F", "", "2016-09-01", "0", "0", "0", "0"])
        enrol.append([nn, "030551", "2018-2019", "2018-09-01", "2019-06-30", "S2", "", "", "0", ""])
    days = [datetime.date(2018, 9, 3) + datetime.timedelta(days=d) for d in range(300)]
    days = [d for d in days if d.weekday() < 5 and d <= datetime.date(2019, 6, 28)][:25]
    for p in pupils:
        for d in days:
            for half in ("AM", "PM"):
                absences.append([p[0], "030551", d.isoformat(), half, "Z"])
    assert len(absences) == 10_000
    absences[10][4] = "Y"
    absences[5000][2] = "2018-09-08"  # Saturday
    absences[9999][1] = "12345678"
    write(folder, "schools.csv", SCHOOL_HEADER, [S])
    write(folder, "pupils.csv", PUPIL_HEADER, pupils)
    write(folder, "enrolments.csv", ENROL_HEADER, enrol)
    write(folder, "absences.csv", ABSENCE_HEADER, absences)
    result = import_paths([folder])
    assert not result.ok
    assert [(e.line, e.column) for e in result.errors] == [(12, "code"), (5002, "date"), (10001, "school_number")]
    assert result.counts["absences.csv"]["refused"] == 3
    assert Absence.objects.count() == 0 and Pupil.objects.count() == 0
    # fixed, it imports
    absences[10][4], absences[5000][2], absences[9999][1] = "Z", "2018-12-03", "030551"
    write(folder, "absences.csv", ABSENCE_HEADER, absences)
    result = import_paths([folder])
    assert result.ok, result.report_text()[:2000]
    assert Absence.objects.count() == 10_000


def test_school_staff_limited_to_own_school(make_user, example):
    from leerloopbaan.accounts.roles import Role

    import_paths([example])
    school = School.objects.get(school_number="030551")
    staff = make_user(Role.SCHOOL_STAFF, school=school)
    result = import_paths([example], user=staff)
    assert not result.ok
    theirs = [e for e in result.errors if e.value == "012345"]
    assert all("not one of your schools" in e.reason for e in theirs)
    assert len(theirs) == 1 + 4 + 2 + 3  # schools, enrolments, absences, attestations rows of 012345
    # the rest: the example's school years (2017-2019) are older than the previous school year, and
    # its pupils left the school years ago
    assert {e.reason for e in result.errors} - {e.reason for e in theirs} <= {
        "only the current and the previous school year", "not one of your pupils",
        "a pupil new to your school needs an enrolment in your school in the same upload"}


def test_progress_is_reported(example):
    messages = []
    import_paths([example], progress=messages.append)
    assert any("absences" in m for m in messages) and messages[-1].startswith("done")


def test_no_files(tmp_path):
    (tmp_path / "empty").mkdir()
    result = import_paths([tmp_path / "empty"])
    assert not result.ok and "no import files" in result.report_text()
    assert Path  # keep import


def test_a_failing_follow_up_step_never_fails_a_committed_import(example, monkeypatch):
    from leerloopbaan.registry.signals import import_completed

    def broken(**kwargs):
        raise RuntimeError("listener broke")

    import_completed.connect(broken, dispatch_uid="test-broken")
    try:
        messages = []
        result = import_paths([example], progress=messages.append)
    finally:
        import_completed.disconnect(dispatch_uid="test-broken")
    assert result.ok and School.objects.count() == 2
    assert any("listener broke" in m for m in messages)
