"""Small cities for the learning-gain tests: two schools, pupils enrolled in each, results."""

from __future__ import annotations

import datetime

import pytest

from leerloopbaan.accounts.roles import Role
from leerloopbaan.assessments.models import Instrument
from leerloopbaan.kernel import clock
from tests.factories import (
    ClbFactory,
    EnrolmentFactory,
    InitiativeFactory,
    MatchFactory,
    PupilAccountLinkFactory,
    PupilFactory,
    ResultFactory,
    SchoolFactory,
    TutorFactory,
    TutoringNeedFactory,
    school_year_start,
)

# Dates of the learning-gain city, read from the (Brussels) clock when a test runs.


def year_start() -> datetime.date:
    """1 September of the current school year."""
    return school_year_start()


def earlier() -> tuple[datetime.date, datetime.date]:
    """The first and last day of the school year two years ago."""
    first = year_start().year
    return datetime.date(first - 2, 9, 1), datetime.date(first - 1, 6, 30)


def p4_date() -> datetime.date:
    """The day of the P4 test: June of the previous school year."""
    return datetime.date(year_start().year - 1, 6, 10)


@pytest.fixture(autouse=True)
def _english(client, settings):
    """Messages and pages in English in these tests (the Dutch catalogue is filled later)."""
    from django.utils import translation

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Norms are cached per data version; each test starts without them."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def key(prefix: str, i: int) -> str:
    return f"{prefix}{i:063d}"


def make_results(instrument: Instrument, pupils, scores, date):
    for pupil, score in zip(pupils, scores, strict=True):
        ResultFactory(pupil=pupil, instrument=instrument, date=date, scale_score=score)


@pytest.fixture
def city(db, make_user):
    """School A (pupils a0..a29) and B (b0..b29), current enrolments; maths results at P4 and P6 for
    every pupil, a norm on each (30 pupils each, 60 in all); users of each party."""
    clb_x, clb_y = ClbFactory(name="CLB X"), ClbFactory(name="CLB Y")
    a = SchoolFactory(school_number="100", name="School A", network="GO", level="primary", district="Deurne", clb=clb_x)
    b = SchoolFactory(school_number="200", name="School B", network="CITY", level="primary", district="Hoboken", clb=clb_y)
    out = {"A": a, "B": b, "X": clb_x, "Y": clb_y}
    (first_day, last_day), start = earlier(), year_start()
    for school, prefix, first in ((a, "a", "Anouk"), (b, "b", "Bilal")):
        for i in range(30):
            p = PupilFactory(pupil_key=key(prefix, i), birth_date=datetime.date(2014, 3, 1), sex="F",
                             first_name=f"{first}{i}", last_name="Test")
            EnrolmentFactory(pupil=p, school=school, school_year=f"{first_day.year}-{last_day.year}",
                             start_date=first_day, end_date=last_day, grade="P4")
            EnrolmentFactory(pupil=p, school=school, school_year=f"{start.year}-{start.year + 1}", start_date=start, grade="P6")
            out[f"{prefix}{i}"] = p
    p4 = Instrument.objects.get(code="LGT-WI-P4")
    p6 = Instrument.objects.get(code="LGT-WI-P6")
    pupils = [out[f"a{i}"] for i in range(30)] + [out[f"b{i}"] for i in range(30)]
    make_results(p4, pupils, [200.0 + i for i in range(60)], p4_date())
    make_results(p6, pupils, [240.0 + i for i in range(60)], clock.today())
    out.update({
        "p4": p4, "p6": p6,
        "staff": make_user(Role.SCHOOL_STAFF, school=a), "staff_b": make_user(Role.SCHOOL_STAFF, school=b),
        "clb": make_user(Role.CLB_WORKER, clb=clb_x),
    })
    return out


def user_for(role, city, make_user):
    if role == Role.SCHOOL_STAFF:
        return city["staff"]
    if role == Role.CLB_WORKER:
        return city["clb"]
    user = make_user(role)
    if role in (Role.YOUTH, Role.PARENT):
        PupilAccountLinkFactory(user=user, pupil=city["a0"], relation="self" if role == Role.YOUTH else "parent")
    return user


def tutoring_match(pupil, school, *, subject="maths", started_on=None, mode="online", status="active", need_status="matched"):
    """A tutoring need of ``pupil`` with a match that started on ``started_on`` (None: no match)."""
    initiative = InitiativeFactory(name="Test tutoring", kind="city")
    need = TutoringNeedFactory(pupil=pupil, school=school, subject=subject, level=6, age_group="primary", languages=[], slots=[],
                               modes=[], district="", consent_by="parent", consent_on=datetime.date(2020, 1, 1), status=need_status)
    if started_on is None:
        return need
    tutor = TutorFactory(initiative=initiative, first_name="Tom", last_name=f"Tutor{pupil.pk}", email=f"t{pupil.pk}@example.test")
    return MatchFactory(need=need, tutor=tutor, status=status, mode=mode, started_on=started_on)
