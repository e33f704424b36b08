"""Every enrolment, absence, attestation and characteristics row keeps when it entered the platform
(``recorded_at``), and enrolments and attestations when an import last changed them (``changed_at``):
the early warning's time-true backtests cut the registry to what was known on a date by them."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction

from leerloopbaan.registry.importer import absences_fast, import_paths
from leerloopbaan.registry.models import Absence, Attestation, Enrolment, PupilCharacteristics
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

FIRST = datetime.datetime(2020, 2, 10, 8, 30, 15, 123456, tzinfo=datetime.UTC)
SECOND = datetime.datetime(2020, 3, 16, 14, 5, 0, 654321, tzinfo=datetime.UTC)
S = ["030551", "Atheneum", "GO", "secondary", "Borgerhout", "2140", "CLB GO", "Bestuur"]
P1, P2 = national_number("2005-02-03", 1), national_number("2005-02-03", 2)


def first_import(folder):
    write(folder, "schools.csv", SCHOOL_HEADER, [S])
    write(
        folder,
        "pupils.csv",
        PUPIL_HEADER,
        [[nn, "", "", "2005-02-03", "M", "", "2019-09-01", "1", "0", "0", "1"] for nn in (P1, P2)],
    )
    write(
        folder,
        "enrolments.csv",
        ENROL_HEADER,
        [[nn, "030551", "2019-2020", "2019-09-02", "", "S3", "", "TSO", "0", ""] for nn in (P1, P2)],
    )
    write(
        folder,
        "absences.csv",
        ABSENCE_HEADER,
        [[nn, "030551", "2019-10-07", half, "B"] for nn in (P1, P2) for half in ("AM", "PM")],
    )
    write(folder, "attestations.csv", ATTEST_HEADER, [[P1, "030551", "2018-2019", "S2", "B", ""]])
    return folder


def second_import(folder):
    """P1 leaves (an end date), P2 unchanged; P1's attestation corrected; a late absence of October and
    a changed code; a new registration of P2's characteristics."""
    write(
        folder,
        "pupils.csv",
        PUPIL_HEADER,
        [[P2, "", "", "2005-02-03", "M", "", "2020-03-01", "1", "1", "0", "1"]],
    )
    write(
        folder,
        "enrolments.csv",
        ENROL_HEADER,
        [
            [P1, "030551", "2019-2020", "2019-09-02", "2020-03-13", "S3", "", "TSO", "0", "left"],
            [P2, "030551", "2019-2020", "2019-09-02", "", "S3", "", "TSO", "0", ""],
        ],
    )
    write(
        folder,
        "absences.csv",
        ABSENCE_HEADER,
        [
            [P1, "030551", "2019-10-07", "AM", "Z"],  # changed code
            [P1, "030551", "2019-10-07", "PM", "B"],  # the same
            [P1, "030551", "2019-10-08", "AM", "B"],  # late: a day of October, reported in March
        ],
    )
    write(folder, "attestations.csv", ATTEST_HEADER, [[P1, "030551", "2018-2019", "S2", "A", ""]])
    return folder


def _stamps(model, *fields):
    return {
        row[: -len(fields)]: row[-len(fields) :] for row in model.objects.values_list(*_key(model), *fields)
    }


def _key(model):
    return {
        Enrolment: ("pupil__pupil_key", "start_date"),
        Absence: ("pupil__pupil_key", "date", "half_day"),
        Attestation: ("pupil__pupil_key", "school_year"),
        PupilCharacteristics: ("pupil__pupil_key", "as_of"),
    }[model]


@pytest.mark.parametrize("path", ["fast", "row by row"])
def test_an_import_stamps_new_rows_and_a_reimport_stamps_only_what_it_changed(tmp_path, monkeypatch, path):
    if path == "row by row":

        def refuse(*args, **kwargs):
            raise absences_fast.NotFast("forced")

        monkeypatch.setattr(absences_fast, "import_file", refuse)
    with time_machine.travel(FIRST, tick=False):
        result = import_paths([first_import(tmp_path / "one")])
    assert result.ok, result.report_text()
    for model in (Enrolment, Absence, Attestation, PupilCharacteristics):
        assert {s[0] for s in _stamps(model, "recorded_at").values()} == {FIRST}, model.__name__
    assert {s for s in _stamps(Enrolment, "changed_at").values()} == {(FIRST,)}
    assert {s for s in _stamps(Attestation, "changed_at").values()} == {(FIRST,)}

    with time_machine.travel(SECOND, tick=False):
        result = import_paths([second_import(tmp_path / "two")])
    assert result.ok, result.report_text()
    assert result.counts["absences.csv"] == {"added": 1, "updated": 1, "unchanged": 1, "refused": 0}

    k1 = Attestation.objects.get().pupil.pupil_key  # P1 has the attestation
    (k2,) = set(Enrolment.objects.values_list("pupil__pupil_key", flat=True)) - {k1}
    enrolments = _stamps(Enrolment, "recorded_at", "changed_at")
    start = datetime.date(2019, 9, 2)
    assert enrolments[(k1, start)] == (FIRST, SECOND)  # changed: recorded then, changed now
    assert enrolments[(k2, start)] == (FIRST, FIRST)  # unchanged: untouched
    absences = _stamps(Absence, "recorded_at")
    october_7, october_8 = datetime.date(2019, 10, 7), datetime.date(2019, 10, 8)
    assert absences[(k1, october_7, "AM")] == (FIRST,)  # a corrected code keeps when the half day arrived
    assert absences[(k1, october_7, "PM")] == (FIRST,)
    # the late absence: known only since the second import
    assert absences[(k1, october_8, "AM")] == (SECOND,)
    assert absences[(k2, october_7, "AM")] == (FIRST,)
    assert _stamps(Attestation, "recorded_at", "changed_at")[(k1, "2018-2019")] == (FIRST, SECOND)
    characteristics = _stamps(PupilCharacteristics, "recorded_at")
    assert characteristics[(k2, datetime.date(2019, 9, 1))] == (FIRST,)
    assert characteristics[(k2, datetime.date(2020, 3, 1))] == (SECOND,)


def test_a_refused_reimport_changes_no_stamp(tmp_path):
    with time_machine.travel(FIRST, tick=False):
        assert import_paths([first_import(tmp_path / "one")]).ok
    folder = second_import(tmp_path / "two")
    write(folder, "absences.csv", ABSENCE_HEADER, [[P1, "030551", "2019-10-12", "AM", "B"]])  # a Saturday
    with time_machine.travel(SECOND, tick=False):
        assert not import_paths([folder]).ok
    assert set(Enrolment.objects.values_list("recorded_at", "changed_at")) == {(FIRST, FIRST)}
    assert set(Absence.objects.values_list("recorded_at", flat=True)) == {FIRST}


def test_the_database_stamps_a_row_inserted_without_its_times(tmp_path):
    """``db_default``: an insert by raw SQL that does not name the times still gets them."""
    with time_machine.travel(FIRST, tick=False):
        assert import_paths([first_import(tmp_path / "one")]).ok
    absence = Absence.objects.first()
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO registry_absence (pupil_id, school_id, date, half_day, code) VALUES (%s, %s, %s, %s, %s)",
            [absence.pupil_id, absence.school_id, "2019-10-09", "AM", "B"],
        )
    added = Absence.objects.get(date=datetime.date(2019, 10, 9))
    assert added.recorded_at is not None and added.recorded_at > FIRST


def test_the_enrolment_overlap_triggers_survive_the_migration(tmp_path):
    """Adding the columns rebuilds the tables on SQLite, which drops their triggers: migration 0006
    creates the overlap triggers of 0002 again."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL keeps its exclusion constraint")
    with time_machine.travel(FIRST, tick=False):
        assert import_paths([first_import(tmp_path / "one")]).ok
    e = Enrolment.objects.first()
    with (
        pytest.raises(IntegrityError, match="enrolment_no_overlap"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute(
            "INSERT INTO registry_enrolment (pupil_id, school_id, school_year, start_date, end_date, grade, stream, track,"
            " dual, programme, end_reason) VALUES (%s, %s, '2019-2020', '2019-10-01', NULL, 'S3', '', '', 0, '', '')",
            [e.pupil_id, e.school_id],
        )


def test_an_upload_through_the_import_page_is_stamped_the_same_way(tmp_path, make_user, login):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from leerloopbaan.accounts.roles import Role

    with time_machine.travel(FIRST, tick=False):
        assert import_paths([first_import(tmp_path / "one")]).ok
    folder = second_import(tmp_path / "two")
    files = [
        SimpleUploadedFile(name, (folder / name).read_bytes(), content_type="text/csv")
        for name in ("enrolments.csv", "absences.csv")
    ]
    with time_machine.travel(SECOND, tick=False):
        client = login(make_user(Role.CITY_ANALYST))
        response = client.post(reverse("registry:import"), {"files": files})
    assert response.status_code == 200
    assert sorted(Enrolment.objects.values_list("recorded_at", "changed_at")) == [
        (FIRST, FIRST),
        (FIRST, SECOND),
    ]
    assert sorted(Absence.objects.values_list("recorded_at", flat=True)) == [FIRST] * 4 + [SECOND]
