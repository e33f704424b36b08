"""Issue 15: the "high early school leaving, no support" flag judges the last school year whose
outflow is complete, never the running one, and names it."""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache
from django.urls import reverse

from leerloopbaan.accounts.roles import Role
from leerloopbaan.care.effects import selectors as effects
from tests.factories import AttestationFactory, EnrolmentFactory, PupilFactory, SchoolFactory

pytestmark = pytest.mark.django_db

FINAL, CURRENT = "2021-2022", "2022-2023"


def _leaver(school, year: str, *, qualified: bool) -> None:
    p = PupilFactory(birth_date=datetime.date(2003, 3, 1))
    first = int(year[:4])
    EnrolmentFactory(pupil=p, school=school, school_year=year, end_date=datetime.date(first + 1, 6, 30), grade="S6", track="TSO",
                     end_reason="qualified" if qualified else "left")
    if qualified:
        AttestationFactory(pupil=p, school=school, school_year=year, grade="S6", result="A", qualification="secondary_diploma")


@pytest.fixture
def schools():
    high = SchoolFactory(school_number="100001", name="Hoge School", district="Antwerpen")
    low = SchoolFactory(school_number="100002", name="Lage School", district="Antwerpen")
    for i in range(10):
        _leaver(high, FINAL, qualified=i >= 5)
        _leaver(low, FINAL, qualified=True)
    for _i in range(6):  # the running school year: a few leavers so far, all qualified
        _leaver(low, CURRENT, qualified=True)
    cache.clear()
    return high, low


def test_the_flag_uses_the_last_complete_school_year(schools):
    high, _low = schools
    flags = effects.flag_schools_without_support(CURRENT)
    assert flags.outcome_year == FINAL
    assert [s.school_number for s in flags.schools] == [high.school_number]


def test_the_page_names_the_year_it_judges(schools, make_user, login):
    body = login(make_user(Role.CITY_ANALYST)).get(reverse("care:flagged_schools"), {"school_year": CURRENT}).content.decode()
    assert 'id="flagged-table"' in body and "Hoge School" in body and FINAL in body
