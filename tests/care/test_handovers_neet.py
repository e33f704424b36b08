"""Issue 15: the possible-NEET list holds young people aged 18 to 24 (on the reference date) who left
without a qualification in the running school year or the two before it and are not enrolled now."""

from __future__ import annotations

import datetime

from leerloopbaan.accounts.roles import Role
from leerloopbaan.care.handovers import selectors
from tests.factories import EnrolmentFactory, PupilFactory


def _left(birth: datetime.date, year: str) -> None:
    p = PupilFactory(birth_date=birth)
    first = int(year[:4])
    EnrolmentFactory(pupil=p, school_year=year, start_date=datetime.date(first, 9, 1), end_date=datetime.date(first + 1, 6, 30),
                     grade="S6", track="BSO", end_reason="left")
    return p


def test_the_neet_list_holds_18_to_24_year_olds_who_left_recently(db, make_user):
    today = datetime.date(2026, 12, 6)  # school year 2026-2027
    recent = _left(datetime.date(2005, 2, 3), "2024-2025")  # 21, left 2024-2025
    last_year = _left(datetime.date(2007, 5, 1), "2025-2026")  # 19, left 2025-2026
    _left(datetime.date(1995, 1, 1), "2013-2014")  # 31: no longer a young person
    _left(datetime.date(2003, 5, 1), "2021-2022")  # 23, but left five school years ago
    _left(datetime.date(2001, 11, 1), "2024-2025")  # left recently, but 25
    data = selectors.follow_up_list(user=make_user(Role.CARE_COORDINATOR), days=0, today=today)
    assert {r.pupil for r in data.neet} == {recent, last_year}
