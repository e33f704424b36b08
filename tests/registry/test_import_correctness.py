"""Import correctness: true counts, the newest pupil record wins whatever the order of arrival, the
right line (and the encoding by name) for a file that is not UTF-8, a clear message for a database
that is not set up."""

from __future__ import annotations

import hashlib
import hmac
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from leerloopbaan.registry.importer import import_paths
from leerloopbaan.registry.models import Pupil, PupilCharacteristics, PupilName
from tests.registry.conftest import (
    ABSENCE_HEADER,
    ENROL_HEADER,
    PUPIL_HEADER,
    SCHOOL_HEADER,
    national_number,
    write,
)

BIN = Path(sys.executable).with_name("leerloopbaan")


def _key(number: str) -> str:
    return hmac.new(b"example", number.encode(), hashlib.sha256).hexdigest()


def _example_pupils(example: Path) -> list[list[str]]:
    lines = (example / "pupils.csv").read_text(encoding="utf-8").splitlines()
    return [line.split(",") for line in lines[1:]]


# --- true counts ------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_three_changed_pupil_rows_of_four_count_three_updated(example, tmp_path):
    assert import_paths([example]).ok
    rows = _example_pupils(example)
    for row in rows[:3]:
        row[PUPIL_HEADER.index("postcode")] = "2600"
    later = tmp_path / "later"
    write(later, "pupils.csv", PUPIL_HEADER, rows)
    result = import_paths([later])
    assert result.ok, result.report_text()
    assert result.counts["pupils.csv"] == {"added": 0, "updated": 3, "unchanged": 1, "refused": 0}


@pytest.mark.django_db
def test_a_changed_name_counts_its_row_updated_and_only_that_row(example, tmp_path):
    assert import_paths([example]).ok
    rows = _example_pupils(example)
    rows[1][PUPIL_HEADER.index("first_name")] = "Bob"
    later = tmp_path / "later"
    write(later, "pupils.csv", PUPIL_HEADER, rows)
    result = import_paths([later])
    assert result.ok, result.report_text()
    assert result.counts["pupils.csv"] == {"added": 0, "updated": 1, "unchanged": 3, "refused": 0}


# --- the newest record wins --------------------------------------------------------------------------

NN = national_number("2005-01-01", 1)
NEW = [NN, "Ann", "Nieuw", "2005-01-01", "F", "2000", "2017-09-01", "0", "0", "0", "0"]
OLD = [NN, "Anne", "Oud", "2005-01-01", "F", "2140", "2013-09-01", "1", "0", "0", "1"]


def _state():
    pupil = Pupil.objects.get(pupil_key=_key(NN))
    name = PupilName.objects.get(pupil=pupil)
    chars = sorted(PupilCharacteristics.objects.filter(pupil=pupil).values_list("as_of", "postcode"))
    return pupil.postcode, (name.first_name, name.last_name), [(str(d), pc) for d, pc in chars]


@pytest.mark.django_db
@pytest.mark.parametrize("order", [("new", "old"), ("old", "new")])
def test_the_newest_pupil_row_wins_whatever_the_order_of_arrival(tmp_path, order):
    rows = {"new": NEW, "old": OLD}
    for step, which in enumerate(order):
        folder = tmp_path / f"step{step}"
        write(folder, "pupils.csv", PUPIL_HEADER, [rows[which]])
        result = import_paths([folder])
        assert result.ok, result.report_text()
        assert result.counts["pupils.csv"]["added"] == 1
    assert _state() == ("2000", ("Ann", "Nieuw"), [("2013-09-01", "2140"), ("2017-09-01", "2000")])


@pytest.mark.django_db
def test_an_older_row_arriving_late_keeps_no_history_of_a_pupil_change(tmp_path):
    from leerloopbaan.registry.models import RecordChange

    write(tmp_path / "a", "pupils.csv", PUPIL_HEADER, [NEW])
    assert import_paths([tmp_path / "a"]).ok
    write(tmp_path / "b", "pupils.csv", PUPIL_HEADER, [OLD])
    assert import_paths([tmp_path / "b"]).ok
    assert not RecordChange.objects.filter(table="pupil").exists()


@pytest.mark.django_db
def test_a_correction_on_the_newest_date_still_updates_the_pupil(tmp_path):
    write(tmp_path / "a", "pupils.csv", PUPIL_HEADER, [OLD, NEW])
    assert import_paths([tmp_path / "a"]).ok
    corrected = list(NEW)
    corrected[PUPIL_HEADER.index("postcode")] = "2018"
    write(tmp_path / "b", "pupils.csv", PUPIL_HEADER, [corrected])
    result = import_paths([tmp_path / "b"])
    assert result.ok and result.counts["pupils.csv"]["updated"] == 1
    assert _state()[0] == "2018"


# --- encodings: the true line, the encoding by name ----------------------------------------------------

def _pupil_lines(first_names: list[str]) -> list[str]:
    lines = [",".join(PUPIL_HEADER)]
    for i, first in enumerate(first_names):
        nn = national_number("2005-01-01", i + 1)
        lines.append(",".join([nn, first, "X", "2005-01-01", "M", "2000", "2015-09-01", "0", "0", "0", "0"]))
    return lines


@pytest.mark.django_db
def test_a_cp1252_byte_on_line_3_is_reported_on_line_3_as_windows_1252(tmp_path):
    folder = tmp_path / "ds"
    folder.mkdir()
    (folder / "pupils.csv").write_bytes("\n".join(_pupil_lines(["Ann", "Zoë", "Bo"])).encode("cp1252") + b"\n")
    result = import_paths([folder])
    assert not result.ok
    [error] = result.errors
    assert (error.file, error.line) == ("pupils.csv", 3), error.text()
    assert "Windows-1252" in error.reason and "UTF-8" in error.expected


@pytest.mark.django_db
def test_a_bad_byte_far_into_a_big_file_is_reported_on_its_line(tmp_path):
    folder = tmp_path / "ds"
    folder.mkdir()
    names = ["Ann"] * 900
    names[700] = "Zoë"  # line 702: the header is line 1
    (folder / "pupils.csv").write_bytes("\n".join(_pupil_lines(names)).encode("cp1252") + b"\n")
    result = import_paths([folder])
    assert [(e.file, e.line) for e in result.errors] == [("pupils.csv", 702)], result.report_text()


@pytest.mark.django_db
def test_a_bad_byte_in_the_header_is_line_1(tmp_path):
    folder = tmp_path / "ds"
    folder.mkdir()
    lines = _pupil_lines(["Ann"])
    lines[0] = lines[0].replace("first_name", "voornaam_é")
    (folder / "pupils.csv").write_bytes("\n".join(lines).encode("latin-1") + b"\n")
    result = import_paths([folder])
    assert [(e.line, "Windows-1252" in e.reason) for e in result.errors] == [(1, True)]


@pytest.mark.django_db
def test_a_cp1252_absence_file_is_reported_on_its_line(tmp_path):
    folder = tmp_path / "ds"
    nn = national_number("2005-01-01", 1)
    write(folder, "schools.csv", SCHOOL_HEADER, [["030551", "Sint-Jozef", "GO", "secondary", "Borgerhout", "2140", "", ""]])
    write(folder, "pupils.csv", PUPIL_HEADER, [[nn, "Ann", "X", "2005-01-01", "M", "2000", "2015-09-01", "0", "0", "0", "0"]])
    write(folder, "enrolments.csv", ENROL_HEADER, [[nn, "030551", "2018-2019", "2018-09-03", "2019-06-30", "S1", "A", "", "0", ""]])
    text = "\n".join([",".join(ABSENCE_HEADER), f"{nn},030551,2018-11-19,AM,Z", f"{nn},030551,2018-11-19,PM,Z\u00e9"]) + "\n"
    (folder / "absences.csv").write_bytes(text.encode("cp1252"))
    result = import_paths([folder])
    assert [(e.file, e.line) for e in result.errors] == [("absences.csv", 3)], result.report_text()
    assert "Windows-1252" in result.errors[0].reason


@pytest.mark.django_db
@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be"])
def test_a_utf16_file_is_named_as_such(tmp_path, codec):
    folder = tmp_path / "ds"
    folder.mkdir()
    text = "\n".join(_pupil_lines(["Ann"])) + "\n"
    data = text.encode(codec)
    if codec == "utf-16-be":
        data = b"\xfe\xff" + data
    (folder / "pupils.csv").write_bytes(data)
    result = import_paths([folder])
    [error] = result.errors
    assert error.line == 1 and "UTF-16" in error.reason and "UTF-8" in error.expected, error.text()


# --- a database that is not set up -------------------------------------------------------------------

def test_import_into_a_database_without_tables_says_run_migrate(monkeypatch):
    """Not the embedded SQLite (e.g. PostgreSQL): no tables are created behind the operator's back."""
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from leerloopbaan.registry.importer import core

    monkeypatch.setattr(core, "unapplied_migrations", lambda alias: ["registry.0001_initial"])
    monkeypatch.setattr(core, "_may_migrate", lambda alias: False)
    with pytest.raises(CommandError) as caught:
        call_command("import", str(Path(__file__).resolve().parents[1] / "fixtures" / "worked_example"))
    assert caught.value.returncode == 2
    assert "leerloopbaan migrate" in str(caught.value) and "not set up" in str(caught.value)


@pytest.mark.slow
def test_import_into_an_empty_embedded_sqlite_creates_the_tables(tmp_path):
    env = {**os.environ, "LEERLOOPBAAN_DATA_DIR": str(tmp_path / "var"), "LEERLOOPBAAN_PSEUDONYM_KEY": "example"}
    env.pop("DATABASE_URL", None)
    example = Path(__file__).resolve().parents[1] / "fixtures" / "worked_example"
    done = subprocess.run([str(BIN), "import", str(example)], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "OperationalError" not in done.stderr and "creating the tables" in done.stderr
    con = sqlite3.connect(tmp_path / "var" / "leerloopbaan.sqlite3")
    assert con.execute("SELECT count(*) FROM registry_pupil").fetchone()[0] == 4
    con.close()
