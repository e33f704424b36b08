"""Issue 16: the school portrait as a one-page brief: the school as a dot on the range of similar
schools, plain sentences recomputed here by hand, OKI in one line, a one-page A4 PDF with the chart
and nl-BE numbers; small counts of similar schools stay suppressed."""

from __future__ import annotations

import datetime
import io
import math
import re

import pytest
from django.core.cache import cache
from django.utils import translation

from leerloopbaan.accounts.roles import Role
from leerloopbaan.ews import selectors
from leerloopbaan.ews.school import brief
from leerloopbaan.ews.school import portrait as portrait_figures
from leerloopbaan.ews.school.pdf import portrait_pdf
from tests.factories import AttestationFactory, EnrolmentFactory, PupilFactory, SchoolFactory

FINAL, YEAR = "2021-2022", "2022-2023"


# --- the sentences, by hand -------------------------------------------------------------------


def test_fewer_leavers_than_expected_beyond_chance():
    # 100 leavers, 20.0 expected, 10 actual: sd = sqrt(20 * (1 - 20/100)) = 4, 2 sd = 8 < 10
    with translation.override("nl-be"):
        text = brief.value_added_sentence(FINAL, leavers=100, actual=10, expected=20.0)
    assert text == (
        "10 vroegtijdige schoolverlaters minder dan verwacht bij deze instroom "
        "(2021-2022: 10 in plaats van de verwachte 20,0)."
    )


def test_a_difference_within_chance_is_no_claim():
    # 40 leavers, 7.4 expected, 4 actual: 3.4 fewer, but sd = sqrt(7.4 * (1 - 7.4/40)) = 2.46 and 2 sd = 4.9 > 3.4
    assert math.isclose(math.sqrt(7.4 * (1 - 7.4 / 40)), 2.4558, abs_tol=1e-3)
    with translation.override("nl-be"):
        text = brief.value_added_sentence(FINAL, leavers=40, actual=4, expected=7.4)
    assert (
        text
        == "2021-2022: ongeveer evenveel vroegtijdige schoolverlaters als verwacht bij deze instroom (4, verwacht 7,4)."
    )
    assert "minder" not in text


def test_more_and_as_many_as_expected_and_nothing_without_figures():
    with translation.override("nl-be"):
        assert brief.value_added_sentence(FINAL, leavers=50, actual=21, expected=10.0).startswith(
            "11 vroegtijdige schoolverlaters meer dan verwacht"
        )
        # 6 fewer: 200 leavers, 6.0 expected, 0 actual: sd = sqrt(6 * 0.97) = 2.41, 2 sd = 4.8 < 6
        assert brief.value_added_sentence(FINAL, leavers=200, actual=0, expected=6.0).startswith(
            "6 vroegtijdige schoolverlaters minder dan verwacht"
        )
        # 1 more, the singular: 0.06 expected, 1 actual: sd = sqrt(0.06 * 0.9994) = 0.24, 2 sd = 0.49 < 0.94
        assert brief.value_added_sentence(FINAL, leavers=100, actual=1, expected=0.06).startswith(
            "1 vroegtijdige schoolverlater meer dan verwacht bij deze instroom"
        )
        # 1 fewer but within chance (2.4 expected): no claim
        assert brief.value_added_sentence(FINAL, leavers=50, actual=1, expected=2.4).startswith(
            "2021-2022: ongeveer evenveel"
        )
        assert "ongeveer evenveel" in brief.value_added_sentence(FINAL, leavers=50, actual=10, expected=10.3)
    assert (
        brief.value_added_sentence(FINAL, leavers=50, actual=None, expected=10.3) is None
    )  # a suppressed count: no sentence


def test_spread_and_position_by_hand():
    s = brief.spread([0.5, 0.1, 0.3, 0.2, 0.4])
    assert (s.low, s.q1, s.q3, s.high, s.n) == (0.1, pytest.approx(0.2), pytest.approx(0.4), 0.5, 5)
    assert brief.spread([0.1, 0.2]) is None  # two schools are no range
    with translation.override("nl-be"):
        assert brief.position_sentence("Schoolse vertraging", 0.45, s) == (
            "Schoolse vertraging: 45%, hoger dan de meeste vergelijkbare scholen (middelste helft 20% tot 40%)."
        )
        assert "lager dan de meeste" in brief.position_sentence("x", 0.15, s)
        assert "in de middelste helft" in brief.position_sentence("x", 0.3, s)
        assert brief.oki_line().startswith("OKI: onderwijskansenindicator")
        assert all(w in brief.oki_line() for w in ("thuistaal", "opleiding moeder", "schooltoelage", "buurt"))


# --- the page and its PDF ------------------------------------------------------------------------


def _leaver(school, *, qualified: bool) -> None:
    p = PupilFactory(birth_date=datetime.date(2003, 3, 1))
    EnrolmentFactory(
        pupil=p,
        school=school,
        school_year=FINAL,
        end_date=datetime.date(2022, 6, 30),
        grade="S6",
        track="TSO",
        end_reason="qualified" if qualified else "left",
    )
    if qualified:
        AttestationFactory(
            pupil=p,
            school=school,
            school_year=FINAL,
            grade="S6",
            result="A",
            qualification="secondary_diploma",
        )


def _stayers(school, n: int) -> None:
    for _i in range(n):
        p = PupilFactory(birth_date=datetime.date(2007, 3, 1))
        EnrolmentFactory(
            pupil=p,
            school=school,
            school_year=FINAL,
            grade="S4",
            track="TSO",
            start_date=datetime.date(2021, 9, 1),
            end_date=datetime.date(2022, 6, 30),
        )
        EnrolmentFactory(
            pupil=p,
            school=school,
            school_year=YEAR,
            grade="S5",
            track="TSO",
            start_date=datetime.date(2022, 9, 1),
        )


@pytest.fixture
def schools(request, db, monkeypatch):
    """The school (40 leavers, 5 without a qualification) and four similar schools (20 leavers each:
    10, 10, 10 and, unless the test says otherwise, 3 without a qualification). Every school is put
    in one OKI quintile."""
    last = getattr(request, "param", 3)
    target = SchoolFactory(school_number="410000", name="Sint-Brief")
    peers = [SchoolFactory(school_number=f"41000{i}") for i in range(1, 5)]
    for i in range(40):
        _leaver(target, qualified=i >= 5)
    _stayers(target, 10)
    for peer, unqualified in zip(peers, (10, 10, 10, last), strict=True):
        for i in range(20):
            _leaver(peer, qualified=i >= unqualified)
        _stayers(peer, 6)
    monkeypatch.setattr(portrait_figures, "oki_quintiles", lambda counts, levels: dict.fromkeys(counts, 1))
    cache.clear()
    return target, peers


def _vsv_range(data) -> str:
    desc = re.search(r"<desc[^>]*>([^<]*)</desc>", data["range_svg"]).group(1)
    return next(part for part in desc.split(";") if "2021-2022" in part).strip()


def test_the_brief_states_the_value_added_recomputed_by_hand(schools, make_user):
    target, _peers = schools
    with translation.override("nl-be"):
        data = selectors.school_portrait(make_user(Role.CITY_ANALYST), target, YEAR)
    # the city's rate (no OKI known: one level): 38 of 120 leavers; expected 40 * 38 / 120 = 12.67;
    # 5 - 12.67 = -7.67: 8 fewer; sd = sqrt(12.67 * (1 - 12.67 / 40)) = 2.94, 2 sd = 5.9 < 7.67
    expected = 40 * 38 / 120
    assert 2 * math.sqrt(expected * (1 - expected / 40)) < expected - 5
    assert data["sentences"][0] == (
        "8 vroegtijdige schoolverlaters minder dan verwacht bij deze instroom "
        "(2021-2022: 5 in plaats van de verwachte 12,7)."
    )
    assert data["peer_count"] == 4 and 'id="portrait-range-chart"' in data["range_svg"]
    assert data["oki_line"].startswith("OKI: onderwijskansenindicator")
    assert [r["expected"] for r in data["vsv_rows"]] == ["12,7"]  # nl-BE in the table too


@pytest.mark.parametrize("schools", [10], indirect=True)
def test_the_school_is_a_dot_on_the_range_of_similar_schools(schools, make_user):
    """Four similar schools with 10 of 20 leavers without a qualification each: the range is 50 %. The
    school: 5 of 40, 12.5 %, shown as 13% (the one rounding rule, half up, as in its tables)."""
    target, _peers = schools
    with translation.override("nl-be"):
        data = selectors.school_portrait(make_user(Role.CITY_ANALYST), target, YEAR)
    assert _vsv_range(data) == (
        "Vroegtijdige schoolverlaters (2021-2022): 13% (middelste helft van vergelijkbare scholen 50% tot 50%, "
        "vergelijkbare scholen 50% tot 50%)."
    )


def test_a_similar_schools_small_count_never_reaches_the_range(schools, make_user):
    """The fourth similar school has 3 leavers without a qualification: its rate (15 %) is not
    shown; the group's total (33 of 80) would pin it from the three others, so one of them is
    hidden too, and two schools are no range: the school is drawn without one."""
    target, _peers = schools
    with translation.override("nl-be"):
        data = selectors.school_portrait(make_user(Role.CITY_ANALYST), target, YEAR)
    assert _vsv_range(data) == "Vroegtijdige schoolverlaters (2021-2022): 13%."
    desc = re.search(r"<desc[^>]*>([^<]*)</desc>", data["range_svg"]).group(1)
    assert "15%" not in desc and "3 " not in desc
    assert data["vsv_rows"][0]["group_rate"] == "41%"  # the pooled group stays shown


def test_the_pdf_is_one_a4_page_with_the_chart_and_nl_be_numbers(schools, make_user):
    pypdf = pytest.importorskip("pypdf")
    target, _peers = schools
    with translation.override("nl-be"):
        data = selectors.school_portrait(make_user(Role.CITY_ANALYST), target, YEAR)
        content = portrait_pdf(data)
    reader = pypdf.PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (
        595,
        842,
    )  # A4 in points
    text = re.sub(r"\s+", " ", page.extract_text())
    assert "Schoolportret" in text and "Sint-Brief" in text
    assert "Deze school tussen 4 scholen met vergelijkbare OKI" in text  # the range chart's title, drawn
    assert "12,7" in text and "8 vroegtijdige schoolverlaters minder dan verwacht" in text
    assert "12.7" not in text
    assert "OKI: onderwijskansenindicator" in text


def test_a_long_comment_still_fits_on_one_page(schools, make_user):
    pypdf = pytest.importorskip("pypdf")
    target, _peers = schools

    class Comment:
        text = "Wij werken aan spijbelen. " * 400

    with translation.override("nl-be"):
        data = selectors.school_portrait(make_user(Role.CITY_ANALYST), target, YEAR)
        content = portrait_pdf({**data, "comment": Comment()})
    assert len(pypdf.PdfReader(io.BytesIO(content)).pages) == 1
