"""The monitoring page: past lists against the outcomes known today, the stability of consecutive
lists, feature drift per import; hand-computed on a tiny city, through disclosure, city analysts only."""

from __future__ import annotations

import datetime
import html
import json
import math
import re
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from leerloopbaan.accounts.roles import Role
from leerloopbaan.ews.city.monitoring import metrics, selectors, services
from leerloopbaan.ews.models import DriftBaseline, FeatureDrift
from leerloopbaan.kernel.audit.testing import assert_audited
from leerloopbaan.registry.models import ImportRun
from tests.factories import (
    AttestationFactory,
    ClbFactory,
    EnrolmentFactory,
    ModelRunFactory,
    PupilFactory,
    RiskScoreFactory,
    SchoolFactory,
)
from tests.kernel.attacker import assert_safe, releases

pytestmark = pytest.mark.django_db

YEAR, NEXT = "2021-2022", "2022-2023"  # YEAR is final: NEXT is in the registry
D1, D2, D3 = (
    datetime.date(2021, 12, 1),
    datetime.date(2022, 1, 3),
    datetime.date(2022, 2, 1),
)  # D3: the latest list
SHOWN_ROLES = [Role.CITY_ANALYST, Role.ADMIN]
OTHER_ROLES = [r for r in Role.values if r not in SHOWN_ROLES]

# school A, 50 pupils on the list of D1, in order of risk (0.99, 0.98, ...):
#   0-4 high band, left without a qualification   5-9 high band, left with one
#   10-14 medium, left without                     15-29 low, left with one (15-19 are gone by D2)
#   30-44 low, still at school in NEXT             45-49 low, left during NEXT (not final: not yet known)
A_OUTCOMES = ["unq"] * 5 + ["qual"] * 5 + ["unq"] * 5 + ["qual"] * 15 + ["still"] * 15 + ["left_next"] * 5
# school B, 10 pupils: 0-1 high band and 2 medium, left without a qualification (3 leavers without:
# a small count); 3-7 low, with one; 8-9 still at school
B_OUTCOMES = ["unq"] * 3 + ["qual"] * 5 + ["still"] * 2


class World:
    def __init__(self):
        self.run = ModelRunFactory(version="monitor-run", model_name="rule", path="models/test.json")
        self.n = 0
        self.pupils: dict[str, list] = {}

    def school(self, number: str, outcomes: list[str]):
        school = SchoolFactory(
            school_number=number, name=f"Testschool {number}", clb=ClbFactory(name="CLB test")
        )
        self.pupils[number] = [self.pupil(school, o) for o in outcomes]
        return school

    def pupil(self, school, outcome: str):
        self.n += 1
        p = PupilFactory(pupil_key=f"{self.n:04d}monitor{self.n:04d}", birth_date=datetime.date(2003, 3, 1))
        end_year = datetime.date(2022, 6, 30)
        if outcome in ("unq", "qual"):
            EnrolmentFactory(
                pupil=p,
                school=school,
                school_year=YEAR,
                grade="S6",
                track="TSO",
                end_date=end_year,
                end_reason="qualified" if outcome == "qual" else "left",
            )
            if outcome == "qual":
                AttestationFactory(
                    pupil=p,
                    school=school,
                    school_year=YEAR,
                    grade="S6",
                    result="A",
                    qualification="secondary_diploma",
                )
        else:
            EnrolmentFactory(
                pupil=p, school=school, school_year=YEAR, grade="S5", track="TSO", end_date=end_year
            )
            EnrolmentFactory(
                pupil=p,
                school=school,
                school_year=NEXT,
                grade="S6",
                track="TSO",
                end_date=datetime.date(2023, 3, 1) if outcome == "left_next" else None,
                end_reason="left" if outcome == "left_next" else "",
            )
        return p

    def score(self, pupil, school, day, risk, band):
        RiskScoreFactory(
            pupil=pupil, school=school, reference_date=day, model_run=self.run, risk=risk, band=band
        )


def a_band(i: int) -> str:
    return "high" if i < 10 else "medium" if i < 15 else "low"


def score_school_a(w: World, a):
    pupils = w.pupils[a.school_number]
    for i, p in enumerate(pupils):
        w.score(p, a, D1, round(0.99 - i / 100, 2), a_band(i))
    # D2 (and D3 the same): 15-19 are gone; 5-9 fall below 10-14, out of the high band
    order = [*range(5), *range(10, 15), *range(5, 10), *range(20, 50)]
    for day in (D2, D3):
        for rank, i in enumerate(order):
            w.score(
                pupils[i],
                a,
                day,
                round(0.99 - rank / 100, 2),
                "high" if i < 5 else "medium" if i < 15 else "low",
            )


@pytest.fixture
def one_school():
    w = World()
    a = w.school("100001", A_OUTCOMES)
    score_school_a(w, a)
    w.a = a
    cache.clear()
    return w


@pytest.fixture
def two_schools(one_school):
    w = one_school
    b = w.school("100002", B_OUTCOMES)
    for day in (D1, D2, D3):
        for i, p in enumerate(w.pupils["100002"]):
            w.score(p, b, day, round(0.9 - i / 20, 2), "high" if i < 2 else "medium" if i < 3 else "low")
    w.b = b
    cache.clear()
    return w


def cells(body: str, table_id: str) -> list[list[str]]:
    start = body.index(f'id="{table_id}"')
    table = body[start : body.index("</table>", start)]
    return [
        [
            html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, flags=re.S)
        ]
        for tr in re.findall(r"<tr[^>]*>.*?</tr>", table, flags=re.S)
    ]


# --- by hand ----------------------------------------------------------------------------------------


def test_the_outcomes_known_today(one_school):
    outcomes, final = selectors.outcomes_known()
    assert final == [YEAR]
    pupils = one_school.pupils["100001"]
    known = {p.pk for p in pupils[:30]}
    assert set(outcomes.index) == known  # still at school, or left in NEXT (not final): not yet known
    assert (outcomes["outcome"] == "unqualified").sum() == 10 and set(outcomes["leaving_year"]) == {YEAR}


def test_precision_and_recall_by_hand(one_school):
    dates = selectors.scored_dates()
    assert [d for d, _run in dates] == [D1, D2, D3]
    outcomes, _final = selectors.outcomes_known()
    c = metrics.list_counts(selectors.scores_of(D1, one_school.run), selectors._for_list(outcomes, D1)).loc[
        one_school.a.pk
    ]
    assert (c.scored, c.pending, c.known, c.unq) == (50, 20, 30, 10)
    assert (c.high, c.high_unq) == (10, 5)  # precision 5/10, recall 5/10
    assert (c.top, c.top_unq) == (
        5,
        5,
    )  # the top 10 % of 50: five pupils, all left without: precision 1, recall 1/2
    page = selectors.monitoring()
    assert page.latest_date == D3 and [d.reference_date for d in page.lists] == [
        D1,
        D2,
    ]  # D3 is on the city dashboard
    d1 = page.lists[0]
    assert d1.model_version == "monitor-run" and [r.label for r in d1.schools] == [
        "Testschool 100001 (100001)"
    ]
    for row in (d1.city, d1.schools[0]):  # every cell is 0 or at least 5: all shown
        assert row.pending_share.value == pytest.approx(20 / 50)
        assert (
            row.known.value,
            row.unq.value,
            row.high.value,
            row.high_unq.value,
            row.top.value,
            row.top_unq.value,
        ) == (30, 10, 10, 5, 5, 5)
        assert row.high_precision.value == pytest.approx(0.5) and row.high_recall.value == pytest.approx(0.5)
        assert row.top_precision.value == pytest.approx(1.0) and row.top_recall.value == pytest.approx(0.5)
    d2 = page.lists[1].city  # 45 pupils left; 0-4 alone in the high band and the top 10 % (5 of 45)
    assert (d2.known.value, d2.unq.value, d2.high.value, d2.high_unq.value, d2.top.value) == (25, 10, 5, 5, 5)
    assert d2.pending_share.value == pytest.approx(20 / 45)
    assert d2.high_precision.value == pytest.approx(1.0) and d2.high_recall.value == pytest.approx(0.5)


def test_stability_by_hand(one_school):
    page = selectors.monitoring()
    first, second = page.pairs
    assert (first.before, first.after, second.before, second.after) == (D1, D2, D2, D3)
    assert not first.model_changed
    r = first.city
    assert (r.both.value, r.high.value, r.still.value) == (
        45,
        10,
        5,
    ) and r.still_share.value == pytest.approx(0.5)
    # ranks of the 45 pupils on both lists: 5-9 move five places down, 10-14 five up; no ties
    n, d2 = 45, 10 * 5**2
    assert r.spearman.value == pytest.approx(1 - 6 * d2 / (n * (n * n - 1)))
    assert first.schools[0].spearman.value == pytest.approx(r.spearman.value)
    r = second.city  # D3 is D2 again
    assert (r.both.value, r.high.value, r.still.value, r.spearman.value) == (45, 5, 5, pytest.approx(1.0))


def test_one_list_per_month_scored_by_the_latest_run(one_school):
    w, p = one_school, one_school.pupils["100001"][0]
    newer = ModelRunFactory(version="monitor-run-2", model_name="rule", path="models/test-2.json")
    RiskScoreFactory(pupil=p, school=w.a, reference_date=D1, model_run=newer, risk=0.5, band="medium")
    for day in (datetime.date(2021, 11, 10), datetime.date(2021, 11, 24)):
        RiskScoreFactory(pupil=p, school=w.a, reference_date=day, model_run=w.run, risk=0.5, band="medium")
    dates = selectors.monthly(selectors.scored_dates())
    assert [(d, r.version) for d, r in dates] == [
        (datetime.date(2021, 11, 24), "monitor-run"),
        (D1, "monitor-run-2"),
        (D2, "monitor-run"),
        (D3, "monitor-run"),
    ]
    page = selectors.monitoring()
    assert (
        page.lists[1].model_version == "monitor-run-2" and page.lists[1].city.high.value == 0
    )  # the new run's list: one pupil
    assert page.pairs[1].model_changed


# --- disclosure -------------------------------------------------------------------------------------


def test_a_school_with_three_leavers_shows_no_exact_small_count(two_schools, make_user, login):
    c = login(make_user(Role.CITY_ANALYST))
    with releases() as got:
        body = c.get(
            reverse("ews:city_monitoring"), {"list": D1.isoformat(), "pair": D1.isoformat()}
        ).content.decode()
    assert_safe(got)
    rows = {r[0]: r for r in cells(body, "monitoring-list-schools")}
    b = rows["Testschool 100002 (100002)"]
    # outcome not yet known, on the list x2 (known, of whom without), precision, recall (x2), all without
    assert b[10] == "<5" and b[2] == "<5" and b[3] == "<5"
    assert b[4] == b[5] == "–"  # no rate over a small count
    assert not any(cell in ("1", "2", "3", "4") for r in rows.values() for cell in r[1:])
    # the raw counts behind them are what the attacker could not pin
    page = selectors.monitoring()
    school_b = next(r for r in page.lists[0].schools if r.key == str(two_schools.b.pk))
    assert school_b.unq.small and school_b.high.small and school_b.high_precision.value is None
    # the city and A cannot both be exact where they differ by B's small count
    a = next(r for r in page.lists[0].schools if r.key == str(two_schools.a.pk))
    assert not (a.unq.shown and page.lists[0].city.unq.shown)


def test_every_list_and_pair_pins_nothing(two_schools, make_user, login):
    c = login(make_user(Role.ADMIN))
    with releases() as got:
        for day in (D1, D2):
            c.get(reverse("ews:city_monitoring"), {"list": day.isoformat(), "pair": day.isoformat()})
            cache.clear()
    assert_safe(got)


# --- the page -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", SHOWN_ROLES)
def test_city_analyst_and_admin_see_the_page_in_dutch(one_school, make_user, login, role):
    c = login(make_user(role))
    with assert_audited(count=1, subject_type="aggregate") as audit:
        response = c.get(reverse("ews:city_monitoring"))
    assert response.status_code == 200 and audit.entries[0].purpose == "early warning monitoring"
    body = response.content.decode()
    for text in (
        "Monitoring van de vroegsignalering",
        "Hadden vroegere lijsten gelijk?",
        "Hoe stabiel zijn de lijsten?",
        "Zijn de kenmerken verschoven?",
        "Precisie",
        "Uitkomst nog niet gekend",
        "Nog in de hoge band",
    ):
        assert text in body, text
    assert "monitor-run" in body  # which run scored
    assert "40,0%" in body and "50,0%" in body  # not yet known 20 of 50; precision 5 of 10
    assert "0001monitor" not in body and "Testschool 100001" in body  # schools, never pupils
    nav = reverse("ews:city_monitoring")
    assert f'href="{nav}"' in c.get(reverse("site:home")).content.decode()  # in the navigation


def test_the_page_in_english(one_school, make_user, login):
    c = login(make_user(Role.CITY_ANALYST))
    c.cookies["django_language"] = "en"
    body = c.get(reverse("ews:city_monitoring"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Were past lists right?" in body


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_other_roles_get_403(one_school, make_user, login, role):
    c = login(make_user(role))
    assert c.get(reverse("ews:city_monitoring")).status_code == 403
    assert f'href="{reverse("ews:city_monitoring")}"' not in c.get(reverse("site:home")).content.decode()


def test_school_staff_of_the_school_get_403(one_school, make_user, login):
    c = login(make_user(Role.SCHOOL_STAFF, school=one_school.a))
    assert c.get(reverse("ews:city_monitoring"), {"list": D1.isoformat()}).status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("ews:city_monitoring"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_empty_city(make_user, login):
    c = login(make_user(Role.CITY_ANALYST))
    body = c.get(reverse("ews:city_monitoring"), {"list": "not-a-date"}).content.decode()
    for element in ("monitoring-no-lists", "monitoring-no-pairs", "monitoring-no-drift"):
        assert f'id="{element}"' in body


# --- feature drift -------------------------------------------------------------------------------------


def finished_import(day: datetime.date) -> ImportRun:
    moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0)))
    return ImportRun.objects.create(
        source="upload", status=ImportRun.Status.DONE, started_at=moment, finished_at=moment
    )


def test_drift_of_an_import_against_the_training_bins_by_hand(one_school):
    # the training rows: grades 1 and 6 half and half; on D1 school A has 30 pupils in S6 and 20 in S5
    DriftBaseline.objects.create(
        model_run=one_school.run,
        rows=100,
        bins={"grade": {"edges": [1.0, 6.0], "shares": [0.5, 0.5, 0.0, 0.0]}},
    )
    drift = services.measure_drift(finished_import(D1))
    assert drift.model_run == one_school.run and drift.reference_date == D1 and drift.population == 50
    assert drift.shares["grade"] == [0.0, 1.0, 0.0, 0.0]
    e = 1e-4
    assert drift.psi["grade"] == pytest.approx((e - 0.5) * math.log(e / 0.5) + 0.5 * math.log(2), abs=1e-6)
    assert metrics.psi_level(drift.psi["grade"]) == "shifted"
    # the page: PSI and the Dutch verdict
    page = selectors.monitoring()
    assert page.drifts[0].features[0].feature == "grade" and page.drifts[0].population.value == 50


def test_the_training_rows_are_rebuilt_from_the_run(one_school):
    run = one_school.run
    run.report = {"data": {"reference_dates": [D1.isoformat()], "cohorts": [2016]}}
    run.save()
    baseline = services.baseline_for(run)
    # on D1 the 30 pupils in S6 (entry cohort 2016) have an outcome; the S5 pupils' cohort is censored
    assert baseline.rows == 30
    assert baseline.bins["grade"] == {"edges": [6.0], "shares": [1.0, 0.0, 0.0]}
    assert baseline.bins["retentions"]["shares"][0] == 1.0
    assert services.baseline_for(run) == baseline  # built once


def test_a_run_without_training_dates_measures_nothing(one_school):
    assert services.measure_drift(finished_import(D1)) is None
    assert not FeatureDrift.objects.exists()


def test_an_import_measures_the_drift_in_the_background(one_school, django_capture_on_commit_callbacks):
    from leerloopbaan.registry.signals import import_completed

    DriftBaseline.objects.create(
        model_run=one_school.run, rows=10, bins={"grade": {"edges": [6.0], "shares": [1.0, 0.0, 0.0]}}
    )
    run = finished_import(D2)
    with django_capture_on_commit_callbacks(execute=True):
        import_completed.send(sender=ImportRun, run=run, counts={})
    drift = FeatureDrift.objects.get(import_run=run)
    assert drift.reference_date == D2 and drift.psi == {"grade": 0.0}
    # a refused import or a dry run is not measured
    refused = ImportRun.objects.create(
        source="upload", status=ImportRun.Status.REFUSED, finished_at=timezone.now()
    )
    assert services.measure_drift(refused) is None


def test_the_drift_section_in_dutch(one_school, make_user, login):
    DriftBaseline.objects.create(
        model_run=one_school.run,
        rows=100,
        bins={
            "grade": {"edges": [1.0, 6.0], "shares": [0.5, 0.5, 0.0, 0.0]},
            "dual": {"edges": [0.0], "shares": [1.0, 0.0, 0.0]},
        },
    )
    services.measure_drift(finished_import(D1))
    cache.clear()
    c = login(make_user(Role.CITY_ANALYST))
    with releases() as got:
        body = c.get(reverse("ews:city_monitoring")).content.decode()
    assert_safe(got)
    rows = cells(body, "monitoring-drift")
    assert rows[1][0].startswith("in het …e jaar secundair") and rows[1][3] == "verschoven"
    assert rows[2][0].startswith("volgt duaal leren") and rows[2][2] == "0,000" and rows[2][3] == "stabiel"
    assert "Population Stability Index" in body and "vanaf 0,25 verschoven" in body


def test_the_command_prints_the_published_figures(two_schools):
    out = StringIO()
    call_command("ews_monitor", "--json", "--schools", stdout=out)
    data = json.loads(out.getvalue())
    assert data["latest_date"] == D3.isoformat() and [d["reference_date"] for d in data["lists"]] == [
        D1.isoformat(),
        D2.isoformat(),
    ]
    b = next(s for s in data["lists"][0]["schools"] if "100002" in s["school"])
    assert b["unq"] == "<5" and b["high_precision"] is None
    assert data["stability"][0]["first"] == D1.isoformat()
    text = StringIO()
    call_command("ews_monitor", stdout=text)
    assert "past lists, the city" in text.getvalue() and "feature drift: none measured yet" in text.getvalue()
