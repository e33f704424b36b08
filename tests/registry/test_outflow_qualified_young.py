"""Issue 15 ("Honest numbers"): a leaver with a qualification counts at any age (data-format.md:
condition 4 only decides whether a leaver without a qualification is an early school leaver)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from leerloopbaan.registry.importer import import_paths
from tests.registry.conftest import (
    ATTEST_HEADER,
    ENROL_HEADER,
    PUPIL_HEADER,
    SCHOOL_HEADER,
    national_number,
    write,
)

pytestmark = pytest.mark.django_db


def test_a_17_year_old_who_leaves_qualified_is_a_leaver(tmp_path):
    # born March 2002: 17 in 2019, the calendar year in which 2018-2019 ends; left with a diploma
    young = national_number("2002-03-01", 21)
    folder = tmp_path / "set"
    write(folder, "schools.csv", SCHOOL_HEADER, [["012345", "Lyceum", "CITY", "secondary", "Antwerpen", "2000", "Stedelijk CLB", "AGSO"]])
    write(folder, "pupils.csv", PUPIL_HEADER, [[young, "Jonge", "Vertrekker", "2002-03-01", "F", "2000", "2013-09-01", "0", "0", "0", "0"]])
    write(folder, "enrolments.csv", ENROL_HEADER, [[young, "012345", "2018-2019", "2018-09-01", "2019-06-30", "S6", "", "ASO", "0", "qualified"]])
    write(folder, "attestations.csv", ATTEST_HEADER, [[young, "012345", "2018-2019", "S6", "certificate", "secondary_diploma"]])
    result = import_paths([folder])
    assert result.ok, result.report_text()
    out = io.StringIO()
    call_command("outflow", "--school-year", "2018-2019", stdout=out)
    assert out.getvalue().splitlines() == ["group,leavers,unqualified,rate", "all,1,0,0.0"]
