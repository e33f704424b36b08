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
    assert f"<title>{FINAL}: 50%</title>" in chart  # nl-BE (kernel.charts)
    assert f"{CURRENT}:" not in re.sub(r"<text[^>]*>[^<]*</text>", "", chart)  # no point (its label on the axis may stay)
    years = body[body.index('id="outflow-years"'): body.index("</table>", body.index('id="outflow-years"'))]
    row = re.search(rf"<tr><td>{CURRENT}.*?</tr>", years, flags=re.S)
    assert row is None or "provisional" in row.group(0)


def test_the_page_opens_on_the_last_complete_year_and_marks_the_running_one(make_user, login):
    school = SchoolFactory(school_number="100001", district="Antwerpen")
    for i in range(6):
        _leaver(school, FINAL, qualified=i >= 3)
    for _i in range(6):
        _leaver(school, CURRENT, qualified=False)
    cache.clear()
    client = login(make_user(Role.CITY_ANALYST))
    body = client.get(reverse("registry:outflow")).content.decode()
    picker = body[body.index('id="school_year"'): body.index("</select>", body.index('id="school_year"'))]
    assert re.search(rf'<option value="{FINAL}" selected>{FINAL}</option>', picker)
    assert re.search(rf'<option value="{CURRENT}">{CURRENT} \(\w+\)</option>', picker)
    assert 'id="outflow-provisional"' not in body
    chosen = client.get(reverse("registry:outflow"), {"school_year": CURRENT}).content.decode()
    assert 'id="outflow-provisional"' in chosen


def test_the_command_warns_that_the_running_year_is_provisional():
    import io

    from django.core.management import call_command

    school = SchoolFactory(school_number="100001", district="Antwerpen")
    _leaver(school, FINAL, qualified=True)
    _leaver(school, CURRENT, qualified=False)
    out, err = io.StringIO(), io.StringIO()
    call_command("outflow", "--school-year", CURRENT, stdout=out, stderr=err)
    assert out.getvalue().splitlines()[0] == "group,leavers,unqualified,rate"
    assert "not complete" in err.getvalue()
    err = io.StringIO()
    call_command("outflow", "--school-year", FINAL, stdout=io.StringIO(), stderr=err)
    assert err.getvalue() == ""
