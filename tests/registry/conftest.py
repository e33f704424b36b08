"""Helpers to write small data sets in the import format."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from leerloopbaan.kernel.pseudonym import check_digits

# The worked example of the import format (four pupils, two schools), kept in the repository so the
# tests stand alone; test_worked_example.py compares it with the specification's copy when that is present.
EXAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "worked_example"


def national_number(birth: str, serial: int) -> str:
    """A valid INSZ for a birth date YYYY-MM-DD and a serial 1-997."""
    yymmdd = birth[2:4] + birth[5:7] + birth[8:10]
    first_nine = f"{yymmdd}{serial:03d}"
    return first_nine + f"{check_digits(first_nine, birth >= '2000'):02d}"


def write(folder: Path, name: str, header: list[str], rows: list[list], delimiter: str = ",", bom: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    text = "\n".join(delimiter.join(str(v) for v in r) for r in [header, *rows]) + "\n"
    path.write_text(("\ufeff" if bom else "") + text, encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _example_key(settings):
    settings.PSEUDONYM_KEY = "example"


@pytest.fixture
def example(tmp_path) -> Path:
    target = tmp_path / "example"
    shutil.copytree(EXAMPLE, target)
    return target


SCHOOL_HEADER = ["school_number", "name", "network", "level", "district", "postcode", "clb", "board"]
PUPIL_HEADER = ["national_number", "first_name", "last_name", "birth_date", "sex", "postcode", "as_of",
                "home_language_not_dutch", "mother_low_education", "school_allowance", "neighbourhood_high_delay"]
ENROL_HEADER = ["national_number", "school_number", "school_year", "start_date", "end_date", "grade", "stream", "track",
                "dual", "end_reason"]
ABSENCE_HEADER = ["national_number", "school_number", "date", "half_day", "code"]
ATTEST_HEADER = ["national_number", "school_number", "school_year", "grade", "result", "qualification"]
