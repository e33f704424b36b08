"""Issue 15 ("Honest numbers"): the running school year (its outflow not complete) is no point of
the outflow trend."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from leerloopbaan.accounts.roles import Role
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


def test_the_unfinished_school_year_is_no_point_of_the_trend(make_user, login):
    school = SchoolFactory(school_number="100001", district="Antwerpen")
    for i in range(10):
        _leaver(school, FINAL, qualified=i >= 5)
    for _i in range(6):  # the running year: only those who left so far, all without a qualification
        _leaver(school, CURRENT, qualified=False)
    cache.clear()
    body = login(make_user(Role.CITY_ANALYST)).get(reverse("registry:outflow")).content.decode()
    chart = body[body.index('id="outflow-chart"'): body.index("</svg>", body.index('id="outflow-chart"'))]
    assert f"<title>{FINAL}: 50.0%</title>" in chart
    assert f"{CURRENT}:" not in re.sub(r"<text[^>]*>[^<]*</text>", "", chart)  # no point (its label on the axis may stay)
    years = body[body.index('id="outflow-years"'): body.index("</table>", body.index('id="outflow-years"'))]
    row = re.search(rf"<tr><td>{CURRENT}.*?</tr>", years, flags=re.S)
    assert row is None or "provisional" in row.group(0)
