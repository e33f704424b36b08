"""The same columns in an .xlsx sheet import like the CSV (data-format.md)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook

from leerloopbaan.registry.importer import import_paths
from leerloopbaan.registry.models import Absence, Attestation, Enrolment, Pupil, School

pytestmark = pytest.mark.django_db


def to_xlsx(source: Path, target: Path) -> Path:
    book = Workbook()
    sheet = book.active
    with source.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.reader(handle):
            # numbers stay text where the spec keeps them as text (school numbers, national numbers)
            sheet.append(row)
    book.save(target)
    return target


def test_example_as_xlsx_imports_like_csv(example, tmp_path):
    folder = tmp_path / "xlsx"
    folder.mkdir()
    for csv_file in sorted(example.glob("*.csv")):
        to_xlsx(csv_file, folder / (csv_file.stem + ".xlsx"))
    result = import_paths([folder])
    assert result.ok, result.report_text()
    assert (School.objects.count(), Pupil.objects.count(), Enrolment.objects.count(), Absence.objects.count(),
            Attestation.objects.count()) == (2, 4, 7, 5, 5)
    assert set(School.objects.values_list("school_number", flat=True)) == {"030551", "012345"}
    # importing the CSV files of the same data set afterwards changes nothing
    again = import_paths([example])
    assert again.ok and all(c["added"] == 0 and c["updated"] == 0 for c in again.counts.values())


def test_bad_xlsx_row_is_reported_with_its_line(example, tmp_path):
    folder = tmp_path / "xlsx"
    folder.mkdir()
    for csv_file in sorted(example.glob("*.csv")):
        to_xlsx(csv_file, folder / (csv_file.stem + ".xlsx"))
    book_path = folder / "schools.xlsx"
    from openpyxl import load_workbook

    book = load_workbook(book_path)
    book.active["E3"] = "Gent"  # district of the second school
    book.save(book_path)
    result = import_paths([folder])
    assert not result.ok
    assert [(e.file, e.line, e.column, e.value) for e in result.errors] == [("schools.xlsx", 3, "district", "Gent")]
    assert School.objects.count() == 0


def test_a_broken_xlsx_is_refused_with_a_message(tmp_path):
    folder = tmp_path / "ds"
    folder.mkdir()
    (folder / "schools.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    result = import_paths([folder])
    assert not result.ok and "spreadsheet cannot be read" in result.errors[0].reason
