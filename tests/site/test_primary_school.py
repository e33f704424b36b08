"""A primary school's page: attendance, school delay and the transition to secondary, with what is not
scored and why; counts by hand, through disclosure control for anyone but the school's staff."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leerloopbaan.accounts.roles import Role
from leerloopbaan.kernel.schoolyear import next_school_year
from tests.factories import (
    AbsenceFactory,
    ClbFactory,
    EnrolmentFactory,
    PupilFactory,
    SchoolFactory,
    school_year_start,
    this_school_year,
)
from tests.kernel.attacker import assert_safe, releases

pytestmark = pytest.mark.django_db


def _absences(pupil, school, n, code="B"):
    start = school_year_start()
    for i in range(n):
        AbsenceFactory(
            pupil=pupil,
            school=school,
            date=start + datetime.timedelta(days=i // 2),
            half_day="AM" if i % 2 else "PM",
            code=code,
        )


@pytest.fixture
def primary(db):
    clb = ClbFactory(name="CLB P")
    p = SchoolFactory(school_number="300", name="Basisschool P", level="primary", clb=clb)
    other_p = SchoolFactory(school_number="301", name="Basisschool Q", level="primary", clb=clb)
    sec = SchoolFactory(school_number="400", name="Secundair S", level="secondary", clb=clb)
    buso = SchoolFactory(school_number="401", name="BuSO T", level="special_secondary", clb=clb)
    year = this_school_year()
    first = int(year[:4])
    prev = next_school_year(year, -1)
    prev_start, prev_end = school_year_start(prev), datetime.date(first, 6, 30)
    # this year in P4: 5 on time (born first - 9), 2 one year behind (first - 10), 1 ahead (first - 8)
    births = [first - 9] * 5 + [first - 10] * 2 + [first - 8]
    p4 = [
        PupilFactory(birth_date=datetime.date(b, 3, 1), first_name=f"Pfour{i}") for i, b in enumerate(births)
    ]
    for pupil in p4:
        EnrolmentFactory(pupil=pupil, school=p, school_year=year, grade="P4")
    # attendance: 5 B half days (the CLB), 30 B (problematic too), 12 of illness, 6 B at another school
    _absences(p4[0], p, 5)
    _absences(p4[1], p, 30)
    _absences(p4[2], p, 12, code="Z")
    _absences(p4[3], other_p, 6)
    # last year's sixth grade (born first - 12): 3 to 1A, 1 to 1B, 1 repeats P6 here, 1 to special secondary, 2 not enrolled
    sixth = [
        PupilFactory(birth_date=datetime.date(first - 12, 3, 1), first_name=f"Psix{i}") for i in range(8)
    ]
    for pupil in sixth:
        EnrolmentFactory(
            pupil=pupil, school=p, school_year=prev, grade="P6", start_date=prev_start, end_date=prev_end
        )
    for pupil in sixth[:3]:
        EnrolmentFactory(pupil=pupil, school=sec, school_year=year, grade="S1", stream="A")
    EnrolmentFactory(pupil=sixth[3], school=sec, school_year=year, grade="S1", stream="B")
    EnrolmentFactory(pupil=sixth[4], school=p, school_year=year, grade="P6")  # repeats: one year behind now
    EnrolmentFactory(pupil=sixth[5], school=buso, school_year=year, grade="S1")
    # a sixth grader of another primary school: never counted here
    q6 = PupilFactory(birth_date=datetime.date(first - 12, 3, 1))
    EnrolmentFactory(
        pupil=q6, school=other_p, school_year=prev, grade="P6", start_date=prev_start, end_date=prev_end
    )
    EnrolmentFactory(pupil=q6, school=sec, school_year=year, grade="S1", stream="A")
    return {"P": p, "Q": other_p, "S": sec, "clb": clb, "year": year, "prev": prev, "p4": p4, "sixth": sixth}


def _figures(html: str) -> dict[str, str]:
    return {m.group(1): m.group(2) for m in re.finditer(r'id="fig-([\w-]+)">([^<]*)</td>', html)}


def test_staff_of_the_school_see_their_counts(primary, make_user, login, client):
    login(make_user(Role.SCHOOL_STAFF, school=primary["P"]))
    response = client.get("/registry/primary/300/")
    assert response.status_code == 200
    html = response.content.decode()
    figures = _figures(html)
    # by hand: 8 in P4 and the one repeating P6
    assert figures["enrolled"] == "9"
    assert (
        figures["absence-clb"] == "2"
    )  # 5 and 30 B half days here; the 6 elsewhere and the illness do not count
    assert figures["absence-problematic"] == "1"
    assert (
        figures["delay-on_time"],
        figures["delay-behind_1"],
        figures["delay-ahead"],
        figures["delay-behind_2"],
    ) == ("5", "3", "1", "0")
    assert figures["leavers"] == "8"
    assert (
        figures["to-s1_a"],
        figures["to-s1_b"],
        figures["to-primary"],
        figures["to-other_secondary"],
        figures["to-not_enrolled"],
    ) == ("3", "1", "1", "1", "2")
    # what is not scored, and why, in Dutch
    assert (
        'id="not-scored"' in html
        and "geen enkel model is gevalideerd voor leerlingen van het lager onderwijs" in html
    )


def test_a_clb_worker_gets_the_counts_through_disclosure_control(primary, make_user, login, client):
    login(make_user(Role.CLB_WORKER, clb=primary["clb"]))
    html = client.get("/registry/primary/300/").content.decode()
    figures = _figures(html)
    for small in (
        "absence-clb",
        "absence-problematic",
        "delay-behind_1",
        "delay-ahead",
        "to-s1_a",
        "to-s1_b",
        "to-primary",
        "to-other_secondary",
        "to-not_enrolled",
    ):
        assert figures[small] in ("&lt;5", "×"), (small, figures[small])
    assert figures["delay-behind_2"] == "0"  # zero names no pupil
    assert 'id="disclosure-note"' in html


def test_the_page_outside_the_school_pins_no_suppressed_cell(primary, make_user, login, client):
    """The attacker (tests/kernel/attacker.py) works out no suppressed count from the page's figures."""
    login(make_user(Role.CLB_WORKER, clb=primary["clb"]))
    with releases() as got:
        assert client.get("/registry/primary/300/").status_code == 200
    assert_safe(got)
    assert any(not got[0][key].shown for key in got[0].release.counts)  # there was something to protect


def test_who_may_open_it(primary, make_user, login, client):
    login(make_user(Role.SCHOOL_STAFF, school=primary["Q"]))
    assert client.get("/registry/primary/300/").status_code == 404  # another school's staff
    assert client.get("/registry/primary/301/").status_code == 200
    login(make_user(Role.SCHOOL_STAFF, school=primary["S"]))
    assert client.get("/registry/primary/400/").status_code == 404  # a secondary school has its portrait
    login(make_user(Role.CITY_ANALYST))
    assert client.get("/registry/primary/300/").status_code == 200
    login(make_user(Role.TUTOR))
    assert client.get("/registry/primary/300/").status_code == 404


def test_primary_staff_land_on_their_school_page(primary, make_user, login, client):
    login(make_user(Role.SCHOOL_STAFF, school=primary["P"]))
    html = client.get("/home/").content.decode()
    assert (
        html.count('href="/registry/primary/300/"') >= 2
    )  # the school in the list, and the panel in place of the risk list
    assert 'href="/ews/risk/"' not in html.split('id="panels"')[1]
    # no risk counts; the rest stays
    assert 'id="week-new_high"' not in html and 'id="week-overdue_requests"' in html
    # secondary staff keep the risk list
    login(make_user(Role.SCHOOL_STAFF, school=primary["S"]))
    html = client.get("/home/").content.decode()
    assert "/registry/primary/" not in html


def test_the_page_makes_as_many_queries_with_more_pupils(primary, make_user, login, client):
    login(make_user(Role.CLB_WORKER, clb=primary["clb"]))

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/registry/primary/300/").status_code == 200
        return len(ctx.captured_queries)

    before = count()
    first = int(primary["year"][:4])
    for _ in range(5):
        pupil = PupilFactory(birth_date=datetime.date(first - 9, 3, 1))
        EnrolmentFactory(pupil=pupil, school=primary["P"], school_year=primary["year"], grade="P4")
        _absences(pupil, primary["P"], 6)
    assert count() == before
