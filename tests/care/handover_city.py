"""Two small data sets for the handover tests: the second one has a school change and a pupil who left.

Set 1 (school year 2024-2025, as known in October): Pupil 1 (Lotte) in school A since 2023, Pupil 2
(Sam, born 2005) in school A, Pupil 3 (Noor) in school B.
Set 2 (as known in the summer): Lotte changed from A to B on 20 January 2025 (absences and an
attestation at B), Sam left A on 14 March 2025 without a qualification, Noor stays in B.
"""

from __future__ import annotations

from pathlib import Path

from leerloopbaan.accounts.roles import Role
from leerloopbaan.registry.importer import import_paths
from leerloopbaan.registry.models import Clb, Pupil, School
from tests.registry.conftest import (
    ABSENCE_HEADER,
    ATTEST_HEADER,
    ENROL_HEADER,
    PUPIL_HEADER,
    SCHOOL_HEADER,
    national_number,
    write,
)

A = ["100001", "School A", "GO", "secondary", "Deurne", "2100", "CLB X", "Board A"]
B = ["200002", "School B", "CITY", "secondary", "Hoboken", "2660", "CLB Y", "Board B"]
LOTTE = national_number("2010-04-05", 11)
SAM = national_number("2005-02-03", 12)
NOOR = national_number("2010-06-07", 13)


def _pupils():
    return [[LOTTE, "Lotte", "Peeters", "2010-04-05", "F", "2100", "2023-09-01", "0", "0", "0", "0"],
            [SAM, "Sam", "Janssens", "2005-02-03", "M", "2100", "2023-09-01", "1", "0", "1", "0"],
            [NOOR, "Noor", "Maes", "2010-06-07", "F", "2660", "2023-09-01", "0", "1", "0", "0"]]


def first_set(folder: Path) -> Path:
    write(folder, "schools.csv", SCHOOL_HEADER, [A, B])
    write(folder, "pupils.csv", PUPIL_HEADER, _pupils())
    write(folder, "enrolments.csv", ENROL_HEADER, [
        [LOTTE, "100001", "2023-2024", "2023-09-01", "2024-06-30", "S2", "A", "", "0", ""],
        [LOTTE, "100001", "2024-2025", "2024-09-02", "", "S3", "", "ASO", "0", ""],
        [SAM, "100001", "2024-2025", "2024-09-02", "", "S6", "", "TSO", "0", ""],
        [NOOR, "200002", "2024-2025", "2024-09-02", "", "S3", "", "ASO", "0", ""],
    ])
    write(folder, "absences.csv", ABSENCE_HEADER, [[LOTTE, "100001", "2024-10-07", "AM", "B"], [LOTTE, "100001", "2024-10-07", "PM", "B"]])
    write(folder, "attestations.csv", ATTEST_HEADER, [[LOTTE, "100001", "2023-2024", "S2", "A", ""]])
    return folder


def second_set(folder: Path) -> Path:
    write(folder, "schools.csv", SCHOOL_HEADER, [A, B])
    write(folder, "pupils.csv", PUPIL_HEADER, _pupils())
    write(folder, "enrolments.csv", ENROL_HEADER, [
        [LOTTE, "100001", "2023-2024", "2023-09-01", "2024-06-30", "S2", "A", "", "0", ""],
        [LOTTE, "100001", "2024-2025", "2024-09-02", "2025-01-17", "S3", "", "ASO", "0", "school_change"],
        [LOTTE, "200002", "2024-2025", "2025-01-20", "", "S3", "", "TSO", "0", ""],
        [SAM, "100001", "2024-2025", "2024-09-02", "2025-03-14", "S6", "", "TSO", "0", "left"],
        [NOOR, "200002", "2024-2025", "2024-09-02", "", "S3", "", "ASO", "0", ""],
    ])
    write(folder, "absences.csv", ABSENCE_HEADER, [
        [LOTTE, "100001", "2024-10-07", "AM", "B"], [LOTTE, "100001", "2024-10-07", "PM", "B"],
        [LOTTE, "200002", "2025-02-03", "AM", "B"], [LOTTE, "200002", "2025-02-04", "AM", "B"], [LOTTE, "200002", "2025-02-04", "PM", "B"]])
    write(folder, "attestations.csv", ATTEST_HEADER, [[LOTTE, "100001", "2023-2024", "S2", "A", ""],
                                                     [LOTTE, "200002", "2024-2025", "S3", "B", ""]])
    return folder


def import_both(tmp_path: Path):
    first = import_paths([first_set(tmp_path / "one")])
    assert first.ok, first.report_text()
    second = import_paths([second_set(tmp_path / "two")])
    assert second.ok, second.report_text()
    return first.run, second.run


def pupil_of(nn: str) -> Pupil:
    return Pupil.objects.select_related("name").get(name__first_name={LOTTE: "Lotte", SAM: "Sam", NOOR: "Noor"}[nn])


def build_city(tmp_path: Path, make_user) -> dict:
    """Both imports, and a user on each side: staff and CLB of the old school (A, CLB X) and of the new
    school (B, CLB Y), and a care coordinator."""
    run1, run2 = import_both(tmp_path)
    a, b = School.objects.get(school_number="100001"), School.objects.get(school_number="200002")
    x, y = Clb.objects.get(name="CLB X"), Clb.objects.get(name="CLB Y")
    return {
        "run1": run1, "run2": run2, "A": a, "B": b, "X": x, "Y": y,
        "lotte": pupil_of(LOTTE), "sam": pupil_of(SAM), "noor": pupil_of(NOOR),
        "staff_a": make_user(Role.SCHOOL_STAFF, school=a), "staff_b": make_user(Role.SCHOOL_STAFF, school=b),
        "clb_x": make_user(Role.CLB_WORKER, clb=x), "clb_y": make_user(Role.CLB_WORKER, clb=y),
        "coordinator": make_user(Role.CARE_COORDINATOR),
    }
