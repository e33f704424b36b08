"""Issue 15: the school portrait's city column is the whole city (absences and risk scores of every
school), not the school and its comparison group only."""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache
from django.utils import translation

from leerloopbaan.accounts.roles import Role
from leerloopbaan.ews import selectors
from tests.factories import (
    AbsenceFactory,
    EnrolmentFactory,
    ModelRunFactory,
    PupilFactory,
    RiskScoreFactory,
    SchoolFactory,
)

pytestmark = pytest.mark.django_db

YEAR = "2025-2026"


def test_the_city_column_counts_every_school(make_user):
    run = ModelRunFactory(version="city-column")
    mine, other = SchoolFactory(school_number="300001"), SchoolFactory(school_number="300002")
    for school, absent in ((mine, 0), (other, 10)):
        for _i in range(6):
            p = PupilFactory()
            EnrolmentFactory(pupil=p, school=school, school_year=YEAR, grade="S3")
            for d in range(absent):
                AbsenceFactory(pupil=p, school=school, date=datetime.date(2025, 10, 1) + datetime.timedelta(days=d), half_day="AM")
            RiskScoreFactory(pupil=p, school=school, model_run=run, reference_date=datetime.date(2025, 12, 1))
    cache.clear()
    with translation.override("en"):
        data = selectors.school_portrait(make_user(Role.CITY_ANALYST), mine, YEAR)
    rows = {f.label: f for f in data["figures"]}
    assert rows["Pupils"].city == "12"
    assert rows["B half days per pupil"].city == "5.0"  # English (the page is read in English); 60 B half days of the other school over 12 pupils
    assert rows["Pupils scored"].city == "12"
