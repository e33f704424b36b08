"""Hand-computed cases for the derived measures and the VSV definition."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace as NS

from leerloopbaan.registry import measures as m
from leerloopbaan.registry.measures import Enrol

D = dt.date


def e(year, grade="S6", start=None, end=None, reason="left", track="ASO", school="1", programme=""):
    first = int(year[:4])
    return Enrol(school, year, start or D(first, 9, 1), end if end is not None else D(first + 1, 6, 30), grade, track, programme, reason)


AMIR = D(2001, 3, 14)


def status(enrolments, quals=(), year="2018-2019", birth=AMIR):
    return m.vsv_status(birth_date=birth, enrolments=enrolments, qualifications=quals, school_year=year)


def test_school_year_and_age():
    assert m.school_year_of(D(2019, 8, 31)) == "2018-2019" and m.school_year_of(D(2019, 9, 1)) == "2019-2020"
    assert m.age_on(D(2001, 3, 14), D(2019, 3, 13)) == 17 and m.age_on(D(2001, 3, 14), D(2019, 3, 14)) == 18
    assert m.age_in_calendar_year(D(2001, 12, 31), 2019) == 18


def test_school_delay():
    birth = D(2005, 11, 30)  # P1 in 2011-2012, S1 in 2017-2018
    assert m.expected_grade(birth, "2011-2012") == "P1"
    assert m.school_delay(birth, "2017-2018", "S1") == 0
    assert m.school_delay(birth, "2018-2019", "S1") == 1  # repeated a year
    assert m.school_delay(birth, "2019-2020", "S1") == 2
    assert m.school_delay(birth, "2016-2017", "S1") == -1  # a year ahead
    assert m.school_delay(birth, "2009-2010", "K2") is None


def test_b_absences_thresholds_across_school_change():
    # 3 B half days in school A before a mid-year change, 2 in school B after: 5 -> CLB
    rows = [(D(2018, 10, 8), "B"), (D(2018, 10, 8), "B"), (D(2018, 11, 19), "B"), (D(2018, 11, 20), "Z"),
            (D(2019, 2, 4), "B"), (D(2019, 2, 5), "B"), (D(2019, 9, 2), "B")]
    result = m.b_half_days(rows)
    assert result["2018-2019"].half_days == 5 and result["2018-2019"].clb_required and not result["2018-2019"].problematic
    assert result["2019-2020"].half_days == 1 and not result["2019-2020"].clb_required
    thirty = m.b_half_days([(D(2019, 1, 1) + dt.timedelta(days=i // 2), "B") for i in range(30)])
    assert thirty["2018-2019"].problematic
    assert not m.b_half_days([(D(2019, 1, 1), "B")] * 29)["2018-2019"].problematic
    assert not m.b_half_days([(D(2019, 1, 1), "B")] * 4)["2018-2019"].clb_required


def test_school_changes_and_waterfall():
    rows = [NS(school="A", school_year="2017-2018", start_date=D(2017, 9, 1), track="ASO"),
            NS(school="A", school_year="2018-2019", start_date=D(2018, 9, 1), track="TSO"),
            NS(school="B", school_year="2018-2019", start_date=D(2019, 1, 21), track="BSO"),
            NS(school="C", school_year="2019-2020", start_date=D(2019, 9, 1), track="BSO")]
    assert m.school_changes(rows) == {"2017-2018": {"mid_year": 0, "between_years": 0},
                                      "2018-2019": {"mid_year": 1, "between_years": 0},
                                      "2019-2020": {"mid_year": 0, "between_years": 1}}
    assert m.downward_moves(rows) == [("2018-2019", "ASO", "TSO"), ("2018-2019", "TSO", "BSO")]


def test_oki():
    c = [NS(as_of=D(2013, 9, 1), home_language_not_dutch=1, mother_low_education=1, school_allowance=0, neighbourhood_high_delay=1),
         NS(as_of=D(2016, 9, 1), home_language_not_dutch=1, mother_low_education=0, school_allowance=0, neighbourhood_high_delay=0)]
    assert m.oki_on(c, D(2013, 8, 31)) is None
    assert m.oki_on(c, D(2015, 1, 1)) == 3 and m.oki_on(c, D(2016, 9, 1)) == 1
    assert m.school_oki([3, 1, None]) == 2.0 and m.school_oki([None]) is None


def test_vsv_unqualified_leaver():
    assert status([e("2017-2018", "S5"), e("2018-2019", "S6")]) == "unqualified"


def test_vsv_condition_1_secondary_in_year():
    assert status([e("2018-2019", "P6")]) is None
    assert status([e("2018-2019", "S6", track="BUSO", programme="OV2")]) is None
    assert status([e("2018-2019", "S6", track="BUSO", programme="OV3")]) == "unqualified"


def test_vsv_condition_2_no_enrolment_next_year():
    assert status([e("2018-2019"), e("2019-2020", "S7")]) is None


def test_vsv_condition_3_qualification_now_or_earlier():
    assert status([e("2018-2019")], quals=[("2018-2019", "secondary_diploma")]) == "qualified"
    assert status([e("2018-2019")], quals=[("2016-2017", "bso_certificate")]) == "qualified"
    assert status([e("2018-2019")], quals=[("2019-2020", "syntra_certificate")]) == "unqualified"  # later: not counted


def test_vsv_condition_4_compulsory_school_age():
    assert status([e("2018-2019")], birth=D(2001, 12, 31)) == "unqualified"  # turns 18 in 2019
    assert status([e("2018-2019")], birth=D(2002, 1, 1)) is None  # turns 18 in 2020


def test_vsv_censoring():
    assert status([e("2018-2019", reason="moved_out")]) is None
    assert status([e("2018-2019", reason="deceased")]) is None
    open_end = Enrol("1", "2018-2019", D(2018, 9, 1), None, "S6", "ASO", "", "")
    assert status([open_end]) is None  # still enrolled at the end of the data


def test_vsv_definitions_are_versioned():
    assert "2021" in m.VSV_DEFINITIONS and m.CURRENT_VSV in m.VSV_DEFINITIONS
    assert m.vsv_rate(1, 2) == 0.5 and m.vsv_rate(0, 0) is None
