"""The worked example in tests/fixtures is the specification's example, file for file.

The specification lives beside the repository (``../shared/spec/example``) when a working copy has
it; a clone with nothing beside it skips this one test and runs every other on the fixture.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import EXAMPLE

SPEC_EXAMPLE = Path(__file__).resolve().parents[3] / "shared" / "spec" / "example"


def _data_files(folder: Path) -> dict[str, bytes]:
    """Every data file of the example (the prose README stays in the specification), newlines normalised."""
    return {p.name: p.read_bytes().replace(b"\r\n", b"\n")
            for p in sorted(folder.iterdir()) if p.is_file() and p.suffix.lower() != ".md"}


def test_fixture_holds_the_five_kinds():
    assert sorted(_data_files(EXAMPLE)) == ["absences.csv", "attestations.csv", "enrolments.csv", "pupils.csv",
                                             "schools.csv"]


@pytest.mark.skipif(not SPEC_EXAMPLE.is_dir(), reason="the specification (../shared/spec/example) is not beside this clone")
def test_fixture_matches_the_specification():
    assert _data_files(EXAMPLE) == _data_files(SPEC_EXAMPLE)
