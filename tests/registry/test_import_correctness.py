"""Import correctness: true counts."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest

from leerloopbaan.registry.importer import import_paths
from tests.registry.conftest import (
    PUPIL_HEADER,
    write,
)


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
