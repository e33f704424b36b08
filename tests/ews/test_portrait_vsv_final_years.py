"""Issue 15: the portrait's VSV trend uses the outflow report's rule for a complete school year (the
next school year is in the registry), not "before today's school year"."""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache

from leerloopbaan.accounts.roles import Role
from leerloopbaan.ews import selectors
from tests.factories import EnrolmentFactory, PupilFactory, SchoolFactory

pytestmark = pytest.mark.django_db


def _pupil(school, years: list[str], *, leaves: bool) -> None:
    p = PupilFactory(birth_date=datetime.date(2003, 3, 1))
    for i, year in enumerate(years):
        first = int(year[:4])
        last = i == len(years) - 1
        EnrolmentFactory(pupil=p, school=school, school_year=year, grade=f"S{4 + i}", track="TSO",
                         start_date=datetime.date(first, 9, 1),
                         end_date=datetime.date(first + 1, 6, 30),
                         end_reason="left" if (leaves and last) else "")


def test_the_last_imported_year_is_no_point_of_the_trend(make_user):
    """The registry ends with 2022-2023 (today is later): nobody of 2022-2023 can be known to have
    left, so that year is not in the trend; 2021-2022 (2022-2023 imported) is."""
    school = SchoolFactory(school_number="310001")
    for i in range(6):
        _pupil(school, ["2021-2022"], leaves=i < 3)  # all six leave in 2021-2022 (none is in 2022-2023)
    for _i in range(6):
        _pupil(school, ["2021-2022", "2022-2023"], leaves=False)
    cache.clear()
    data = selectors.school_portrait(make_user(Role.CITY_ANALYST), school, "2022-2023")
    years = [row["year"] for row in data["vsv_rows"]]
    assert "2021-2022" in years
    assert "2022-2023" not in years
