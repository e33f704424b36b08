"""The tutoring panel of the pupil page follows enrolment, in time (issue 14.1): a school sees the
pupil's open needs entered inside the pupil's enrolments there, not those entered before the pupil
came or while the pupil was away."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from leerloopbaan.accounts.roles import Role
from leerloopbaan.kernel.schoolyear import next_school_year
from leerloopbaan.registry.selectors import pupil_subject
from leerloopbaan.tutoring.matching.selectors import pupil_page_tutoring
from tests.factories import (
    EnrolmentFactory,
    PupilFactory,
    SchoolFactory,
    TutoringNeedFactory,
    school_year_start,
    this_school_year,
)

pytestmark = pytest.mark.django_db


def _at(day: datetime.date) -> datetime.datetime:
    """Noon of ``day`` on the Brussels calendar."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


@pytest.fixture
def came_back(make_user):
    """A pupil at school S last school year from its first day to 31 January, away from S since, and
    back at S from the first day of this school year; a need of S entered in each of those times."""
    school = SchoolFactory()
    pupil = PupilFactory(first_name="Mila")
    this_year = this_school_year()
    last_year = next_school_year(this_year, -1)
    first_last_year, first_this_year = school_year_start(last_year), school_year_start(this_year)
    left = datetime.date(first_last_year.year + 1, 1, 31)
    EnrolmentFactory(pupil=pupil, school=school, school_year=last_year, start_date=first_last_year, end_date=left)
    EnrolmentFactory(pupil=pupil, school=school, school_year=this_year, start_date=first_this_year)
    needs = {
        "before": TutoringNeedFactory(pupil=pupil, school=school, subject="dutch", created_at=_at(first_last_year - datetime.timedelta(days=1))),
        "first_stay": TutoringNeedFactory(pupil=pupil, school=school, subject="maths", created_at=_at(first_last_year), status="matched"),
        "away": TutoringNeedFactory(pupil=pupil, school=school, subject="french", created_at=_at(left + datetime.timedelta(days=1))),
        "back": TutoringNeedFactory(pupil=pupil, school=school, subject="english", created_at=_at(first_this_year)),
    }
    return {"pupil": pupil, "needs": needs, "staff": make_user(Role.SCHOOL_STAFF, school=school),
            "clb": make_user(Role.CLB_WORKER, clb=school.clb), "admin": make_user(Role.ADMIN)}


def _shown(user, pupil) -> set[int]:
    panel = pupil_page_tutoring(pupil_subject(user=user, pupil_key=pupil.pupil_key))
    return {row.need.pk for row in panel["needs"]} if panel else set()


@pytest.mark.parametrize("who", ["staff", "clb"])
def test_open_needs_are_cut_to_the_pupils_time_at_the_school(came_back, who):
    needs = came_back["needs"]
    assert _shown(came_back[who], came_back["pupil"]) == {needs["first_stay"].pk, needs["back"].pk}


def test_roles_without_windows_see_the_needs_their_scope_gives(came_back):
    assert _shown(came_back["admin"], came_back["pupil"]) == {n.pk for n in came_back["needs"].values()}
