"""The effect report on synthetic cities where the old method was wrong (issue "Honest numbers"):
pupils who leave school, pupils enrolled part of the window, groups with different trends before
the start, the balance table, the Holm correction and the method text in Dutch."""

import datetime

import pytest
from django.utils import translation

from leerloopbaan.care.effects import selectors as effects
from leerloopbaan.care.effects.pdf import method
from leerloopbaan.care.engine import effects as engine
from leerloopbaan.registry.models import Absence
from tests.factories import (
    AttestationFactory,
    EnrolmentFactory,
    ModelRunFactory,
    OrganisationFactory,
    PupilFactory,
    RiskScoreFactory,
    SchoolFactory,
    SupportOfferFactory,
)

from .test_effects_pages import _received

pytestmark = pytest.mark.django_db(databases="__all__")

YEAR = "2023-2024"
START = datetime.date(2024, 1, 8)  # a Monday
TODAY = datetime.date(2024, 10, 15)
DAY = datetime.timedelta(days=1)

MON_WED = {0, 2}  # absent on Monday and Wednesday mornings: 2 of 10 half-days, 20 %


def steady(weekdays=frozenset(MON_WED)):
    return lambda day: day.weekday() in weekdays


def rising(day):
    """No B absence in the first half of the 90 days before START, Monday, Wednesday and Friday
    mornings in the second half (30 %), every morning after START (50 %): a rise already under way."""
    if day < START - datetime.timedelta(days=45):
        return False
    if day < START:
        return day.weekday() in (0, 2, 4)
    return day.weekday() < 5


def flat(day):
    """About as much before START as ``rising`` (Monday mornings, and Wednesday mornings of even
    weeks: 15 %), no trend, and the same after START."""
    return day.weekday() == 0 or (day.weekday() == 2 and day.isocalendar()[1] % 2 == 0)


@pytest.fixture
def base(db):
    return {
        "school": SchoolFactory(school_number="500", name="School H", district="Deurne"),
        "run": ModelRunFactory(version="h1"),
        "offer": SupportOfferFactory(
            provider=OrganisationFactory(name="Buurtwerk H"),
            title="Spijbelcoaching",
            levels=["pupil"],
            predictors=["absence"],
        ),
    }


def pupil(
    base, key, risk, absent, *, arrived=None, left=None, reason="left", qualified=False, scored_after=True
):
    """An S3 pupil of YEAR enrolled from 1 September (or ``arrived``) until ``left`` (with ``reason``),
    scored two weeks before START (and 120 days after it unless ``scored_after`` is false), absent (B,
    morning) on the weekdays of the enrolment for which ``absent(day)`` holds."""
    p = PupilFactory(
        pupil_key=f"honest {key}".ljust(64, "."),
        birth_date=datetime.date(2009, 3, 1),
        characteristics={"as_of": datetime.date(2023, 9, 1), "home_language_not_dutch": True},
    )
    first = arrived or datetime.date(2023, 9, 1)
    EnrolmentFactory(
        pupil=p,
        school=base["school"],
        school_year=YEAR,
        start_date=first,
        end_date=left,
        end_reason=reason if left else "",
        grade="S3",
        track="BSO",
    )
    days = [first + i * DAY for i in range(((left or datetime.date(2024, 6, 30)) - first).days + 1)]
    Absence.objects.bulk_create(
        [
            Absence(pupil=p, school=base["school"], date=d, half_day="AM", code="B")
            for d in days
            if d.weekday() < 5 and absent(d)
        ]
    )
    for day, value in ((START - 14 * DAY, risk), (START + 120 * DAY, risk)):
        if day < START or scored_after:
            RiskScoreFactory(
                pupil=p,
                school=base["school"],
                reference_date=day,
                model_run=base["run"],
                risk=value,
                band="medium",
                grade="S3",
                track="BSO",
            )
    if not left or qualified:
        AttestationFactory(
            pupil=p,
            school=base["school"],
            school_year=YEAR,
            grade="S3",
            result="A",
            qualification="bso_certificate" if qualified else "",
        )
    return p


def treat(base, p):
    _received(base["offer"], p, base["school"], start=START)


# --- leaving school is an outcome, and leavers stay in ---------------------------------------------


def test_leavers_stay_in_and_leaving_is_an_outcome(base):
    """10 pupils received the offer and 5 of them left school three weeks later; 12 comparison pupils
    stayed. Everyone is absent on 20 % of the half-days they are enrolled, before and after. The old
    report counted the leavers' absences per calendar day -- their missing weeks looked like no
    absence -- and so found a drop of about 3.4 B half-days a month (and said nothing of the 5
    leavers). Now absence is per enrolled half-day (no difference) and leaving is an outcome: +50 pp."""
    for i in range(10):
        leaves = i % 2 == 0
        treat(
            base,
            pupil(
                base,
                f"t{i}",
                0.50 + i / 100,
                steady(),
                left=START + 20 * DAY if leaves else None,
                scored_after=not leaves,
            ),
        )
    for i in range(12):
        pupil(base, f"c{i}", 0.50 + i / 100 + 0.003, steady())
    e = effects.offer_effect(base["offer"], YEAR, today=TODAY)
    assert (e.treated, e.matched, e.unmatched) == (10, 10, 0)
    left = e.estimates["left_school"]
    assert left.n == 10 and left.treated_post == 0.5 and left.control_post == 0.0 and left.effect == 0.5
    b = e.estimates["b_rate"]
    assert b.n == 10 and abs(b.effect) < 0.01 and b.covers(0.0)
    assert abs(b.treated_post - 0.2) < 0.01  # the leavers' 20 % over their 3 weeks, not 7 % over 90 days
    # the leavers have no risk score and no attestation after leaving: those outcomes are over the stayers
    assert e.estimates["risk"].n == 5 and e.estimates["c_attest"].n == 5
    # published: 5 of 10 left (no small count), the reading names the correction for 5 outcomes
    [shown] = effects.publish_effects([e], "test")
    row = shown.row("left_school")
    assert row["shown"] and row["effect"] == "+50 pp" and row["treated_post"] == "50%"
    assert row["p"] == "0.015" and row["p_holm"] == "0.075"  # 0.0150 x 5
    assert "not significant after correction for testing 5 outcomes" in row["verdict"]


def test_left_school_definition(base):
    """Left school (between the start and 31 August): an enrolment ended as left, other or school change,
    no new enrolment by 1 October, no qualification. Moved out: unknown."""
    june = datetime.date(2024, 6, 30)
    cases = {
        "left": (pupil(base, "a", 0.5, steady(), left=START + 30 * DAY), 1.0),
        "left with a qualification": (pupil(base, "b", 0.5, steady(), left=june, qualified=True), 0.0),
        "school change, no new school": (
            pupil(base, "c", 0.5, steady(), left=START + 30 * DAY, reason="school_change"),
            1.0,
        ),
        "other": (pupil(base, "d", 0.5, steady(), left=june, reason="other"), 1.0),
        "moved out": (pupil(base, "e", 0.5, steady(), left=START + 30 * DAY, reason="moved_out"), None),
        "still enrolled": (pupil(base, "f", 0.5, steady()), 0.0),
        "left before the start": (pupil(base, "g", 0.5, steady(), left=START - 30 * DAY), 0.0),
        "qualified (end reason)": (pupil(base, "h", 0.5, steady(), left=june, reason="qualified"), 0.0),
    }
    back = pupil(base, "i", 0.5, steady(), left=START + 30 * DAY)  # left, and enrolled again in September
    EnrolmentFactory(
        pupil=back,
        school=base["school"],
        school_year="2024-2025",
        start_date=datetime.date(2024, 9, 2),
        grade="S3",
    )
    cases["came back by 1 October"] = (back, 0.0)
    late = pupil(base, "j", 0.5, steady(), left=START + 30 * DAY)
    EnrolmentFactory(
        pupil=late,
        school=base["school"],
        school_year="2024-2025",
        start_date=datetime.date(2024, 11, 4),
        grade="S3",
    )
    cases["came back after 1 October"] = (late, 1.0)
    facts = effects._Facts([p.pk for p, _ in cases.values()], START - 90 * DAY, START + 90 * DAY)
    got = {name: facts.left_school(p.pk, START, TODAY) for name, (p, _) in cases.items()}
    assert got == {name: expected for name, (_, expected) in cases.items()}
    # before the end of the follow-up: what is known today (the June leaver has not left yet)
    assert facts.left_school(cases["other"][0].pk, START, datetime.date(2024, 3, 1)) == 0.0


# --- absence per enrolled half-day --------------------------------------------------------------


def _by_hand(first: datetime.date, until: datetime.date, weekdays: set) -> float:
    enrolled = absent = 0
    day = first
    while day < until:
        if day.weekday() < 5:
            enrolled += 2
            absent += day.weekday() in weekdays
        day += DAY
    return absent / enrolled


def test_absence_is_per_enrolled_half_day(base):
    """Two pupils absent on Monday and Wednesday mornings: one enrolled all year, one who arrived a
    month before the start. Per enrolled half-day both are at about 20 % (computed by hand); per
    calendar day (the old B half-days a month) the newcomer looked three times less absent."""
    settled = pupil(base, "s", 0.5, steady())
    newcomer = pupil(base, "n", 0.5, steady(), arrived=START - 30 * DAY)
    facts = effects._Facts([settled.pk, newcomer.pk], START - 90 * DAY, START + 90 * DAY)
    pre_settled, _post, trend_settled = facts.measures(settled.pk, START, TODAY)
    pre_new, _post, trend_new = facts.measures(newcomer.pk, START, TODAY)
    assert pre_settled["b_rate"] == _by_hand(START - 90 * DAY, START, MON_WED)
    assert pre_new["b_rate"] == _by_hand(START - 30 * DAY, START, MON_WED)
    assert abs(pre_settled["b_rate"] - 0.2) < 0.02 and abs(pre_new["b_rate"] - 0.2) < 0.02
    assert trend_new is None and trend_settled is not None  # no enrolled day in the first 45 days


def test_newcomers_are_not_an_effect(base):
    """6 newcomers (arrived a month before the start) received the offer, 8 pupils enrolled all year
    did not; all are absent 20 % of their enrolled half-days, before and after. The old report
    counted the newcomers' pre-start absences over 90 calendar days and found a rise of 5.7 B
    half-days a month; per enrolled half-day there is none."""
    for i in range(6):
        treat(base, pupil(base, f"t{i}", 0.50 + i / 100, steady(), arrived=START - 30 * DAY))
    for i in range(8):
        pupil(base, f"c{i}", 0.50 + i / 100 + 0.003, steady())
    e = effects.offer_effect(base["offer"], YEAR, today=TODAY)
    assert e.matched == 6
    b = e.estimates["b_rate"]
    assert abs(b.treated_pre - 0.2) < 0.01 and abs(b.control_pre - 0.2) < 0.01
    assert abs(b.effect) < 0.01  # under 1 pp: which weekdays fall in a window, not the offer


# --- matching on the trend before the start, with a balance table ----------------------------


def test_matching_on_the_pre_start_trend(base):
    """6 treated pupils whose problematic absence was already rising before the start (0 % then 30 %)
    and rose further (50 %), without any effect of the offer. Candidates: 6 pupils at about the same
    level but flat (15 % throughout) with a risk 0.001 above a treated pupil's, and 6 rising like
    them with a risk 0.004 above. Matched on risk alone (the old report) the flat ones were taken and
    the rise looked like an effect of +14.9 B half-days a month (35 pp); matched on level and trend
    the rising ones are taken and there is no difference. The balance table shows the trend out of
    balance before matching and in balance after it."""
    for i in range(6):
        treat(base, pupil(base, f"t{i}", 0.50 + i / 100, rising))
    for i in range(6):
        pupil(base, f"f{i}", 0.501 + i / 100, flat)
        pupil(base, f"r{i}", 0.504 + i / 100, rising)
    e = effects.offer_effect(base["offer"], YEAR, today=TODAY)
    assert e.matched == 6 and e.candidates == 12
    b = e.estimates["b_rate"]
    assert abs(b.effect) < 0.005 and b.covers(0.0)
    assert b.treated_post - b.treated_pre > 0.3  # the rise is there, in both groups
    rows = {row.variable: row for row in e.balance}
    assert set(rows) == set(engine.BALANCE_VARIABLES)
    assert rows["b_trend"].smd_before > 0.1 and rows["b_trend"].balanced
    assert rows["grade"].balanced and rows["oki"].balanced
    # the risk score: 0.004 apart within each pair, not balanced on so narrow a spread (SMD -0.21)
    assert not rows["risk"].balanced
    [shown] = effects.publish_effects([e], "test")
    published = {row["variable"]: row for row in shown.balance}
    assert (
        published["b_trend"]["shown"]
        and published["b_trend"]["balanced"]
        and published["b_trend"]["after"] == "+0.00"
    )
    assert not published["risk"]["balanced"]


def test_balance_table_on_the_page(base, make_user, login, client):
    from leerloopbaan.accounts.roles import Role

    for i in range(6):
        treat(base, pupil(base, f"t{i}", 0.50 + i / 100, rising))
    for i in range(6):
        pupil(base, f"f{i}", 0.501 + i / 100, flat)
        pupil(base, f"r{i}", 0.504 + i / 100, rising)
    login(make_user(Role.PROGRAMME_MANAGER))
    client.cookies["leerloopbaan_language"] = "en"
    html = client.get(f"/care/effects/{base['offer'].pk}/{YEAR}/").content.decode()
    assert (
        'id="effect-balance"' in html
        and "Change in problematic absence" in html
        and "✓ yes" in html
        and "✗ no" in html
    )
    assert "p after correction (Holm)" in html


# --- Holm over the outcomes ------------------------------------------------------------------------


def _effect(ps: dict, *, c_yes=10) -> effects.OfferEffect:
    """An offer with 20 matched pairs and the given p-values (C-attest: ``c_yes`` pupils of 20 with one)."""
    estimates = {}
    for name in engine.OUTCOMES:
        share = name in engine.LEVEL_OUTCOMES
        t_post = c_yes / 20 if name == "c_attest" else 0.5 if share else 0.2
        estimates[name] = engine.Estimate(
            name,
            20,
            None if share else 0.2,
            t_post,
            None if share else 0.2,
            0.5 if share else 0.25,
            -0.05,
            -0.08,
            -0.02,
            ps[name],
            None,
        )
    return effects.OfferEffect(
        1, "Offer", "Provider", YEAR, treated=20, matched=20, unmatched=0, estimates=estimates, candidates=50
    )


def test_holm_reading_by_hand():
    """p 0.030, 0.020, 0.040, 0.500, 0.001 -> Holm: 0.001 x 5 = 0.005, 0.020 x 4 = 0.080, 0.030 x 3 =
    0.090, 0.040 x 2 = 0.080 -> 0.090, 0.500 x 1 -> 0.500. Only the last is called lower; B, Z and
    the risk score are significant on their own but not after the correction."""
    ps = {"b_rate": 0.03, "z_rate": 0.02, "risk": 0.04, "c_attest": 0.5, "left_school": 0.001}
    [shown] = effects.publish_effects([_effect(ps)], "test")
    with translation.override("en"):
        got = {r["outcome"]: (r["p"], r["p_holm"], str(r["verdict"])) for r in shown.rows}
    corrected = "not significant after correction for testing 5 outcomes at once"
    assert got == {
        "b_rate": ("0.030", "0.090", corrected),
        "z_rate": ("0.020", "0.080", corrected),
        "risk": ("0.040", "0.090", corrected),
        "c_attest": ("0.500", "0.500", "no clear difference"),
        "left_school": ("0.001", "0.005", "lower than the comparison group"),
    }
    assert [round(r["values"]["p_holm"], 10) for r in shown.rows] == [0.09, 0.08, 0.09, 0.5, 0.005]


def test_a_hidden_p_value_counts_as_one_in_the_correction():
    """With 2 of 20 pupils with a C-attest (a small count) the C-attest row is hidden, and its
    p-value (0.001) with it: in the correction it counts as 1, so the shown corrected p-values do not
    depend on it. Z 0.02 x 5 = 0.10, B 0.03 x 4 = 0.12, risk 0.04 x 3 = 0.12, left 0.5 x 2 = 1 (the
    correction over the true p-values would give 0.08, 0.09, 0.09, 0.5: never more)."""
    ps = {"b_rate": 0.03, "z_rate": 0.02, "risk": 0.04, "c_attest": 0.001, "left_school": 0.5}
    [shown] = effects.publish_effects([_effect(ps, c_yes=2)], "test")
    assert not shown.row("c_attest")["shown"]
    assert {r["outcome"]: r["p_holm"] for r in shown.rows} == {
        "b_rate": "0.120",
        "z_rate": "0.100",
        "risk": "0.120",
        "c_attest": "",
        "left_school": "1.000",
    }
    [other] = effects.publish_effects([_effect({**ps, "c_attest": 0.9}, c_yes=2)], "test")
    assert [r["p_holm"] for r in other.rows] == [r["p_holm"] for r in shown.rows]


# --- the method in Dutch, with English available ---------------------------------------------------


def test_method_text_is_dutch_first_with_english_available():
    with translation.override("nl-be"):
        dutch = " ".join(method())
    with translation.override("en"):
        english = " ".join(method())
    assert "geen gerandomiseerde proef" in dutch and "ingeschreven" in dutch and "Holm" in dutch
    assert "not a randomised trial" in english and "enrolled" in english
    assert dutch != english


def test_report_page_method_in_dutch(base, make_user, login, client):
    from leerloopbaan.accounts.roles import Role

    login(make_user(Role.PROGRAMME_MANAGER))
    html = client.get(f"/care/effects/{base['offer'].pk}/{YEAR}/").content.decode()
    assert "geen gerandomiseerde proef" in html and "Wat dit wel en niet zegt" in html
