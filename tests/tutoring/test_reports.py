"""Reports for the city on a small known data set: participation against the 10 % target, waiting and
waiting time, tutor retention; small cells suppressed; no names; coordinators see their initiative."""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone, translation

from leerloopbaan.accounts.roles import Role
from leerloopbaan.registry.models import Enrolment
from leerloopbaan.tutoring.models import Match
from leerloopbaan.tutoring.reports import selectors as reports
from tests.factories import InitiativeFactory, MatchFactory, RiskScoreFactory, school_year_start

from .test_needs import build_world, make_need, make_pupil, make_tutor


def ref() -> datetime.date:
    """A day in this school year, whatever the date of the test run."""
    return school_year_start() + datetime.timedelta(days=120)


def at(days_before: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(ref() - datetime.timedelta(days=days_before), datetime.time(12)))


def day(days_before: int) -> datetime.date:
    return ref() - datetime.timedelta(days=days_before)


@pytest.fixture(autouse=True)
def _english_and_no_cache(client):
    from django.conf import settings
    from django.utils import translation

    cache.clear()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield
    cache.clear()


@pytest.fixture
def data(db, make_user):
    w = build_world(make_user)   # a1..a6 (Deurne), b1..b3 (Hoboken): OKI 0, no band: not in scope
    A, B, X, Y = w["A"], w["B"], w["X"], w["Y"]
    for i in range(6):
        make_pupil(A, f"Oki{i}", oki=2)                      # in scope
    make_pupil(A, "Med1", band="medium")
    make_pupil(A, "Med2", band="medium")
    make_pupil(A, "High1", band="high")                      # Deurne: 9 in scope
    make_pupil(A, "Low1", band="low", oki=1)                 # not in scope
    for i in range(3):
        make_pupil(B, f"Hob{i}", oki=3)                      # Hoboken: 3 in scope
    gone = make_pupil(A, "Gone", oki=4)                      # left before the day: not in scope
    Enrolment.objects.filter(pupil=gone).update(end_date=day(10))
    # participation
    tx = make_tutor(X, "Xena", capacity=3, approved_at=at(10))
    ty = make_tutor(Y, "Yves", capacity=3, approved_at=at(10))

    def match(pupil, school, tutor, *, created, started, ended=None, subject="maths"):
        need = make_need(pupil, school, subject=subject, status="ended" if ended else "matched", created_at=at(created))
        return MatchFactory(need=need, tutor=tutor, status="ended" if ended is not None else "active", started_on=day(started),
                            ended_on=day(ended) if ended is not None else None)

    match(w["a1"], A, tx, created=45, started=20)                         # 25 days waited
    match(w["a1"], A, ty, created=30, started=10, subject="french")       # 20
    match(w["a2"], A, tx, created=125, started=120, ended=1)              # 5 (started on 1 September)
    match(w["a3"], A, tx, created=300, started=250, ended=130)            # ended before this school year: not counted
    match(w["b1"], B, ty, created=40, started=20)                         # 20
    # waiting
    make_need(w["a4"], A, created_at=at(10))
    make_need(w["a5"], A, created_at=at(30))
    make_need(w["b2"], B, created_at=at(20))
    # retention (initiative X)
    make_tutor(X, "Stay", approved_at=at(400))
    make_tutor(X, "Early", approved_at=at(400), left_at=at(300), status="left")
    make_tutor(X, "Mid", approved_at=at(400), left_at=at(150), status="left")
    make_tutor(X, "Half", approved_at=at(200))
    make_tutor(X, "New", approved_at=at(30))
    return w


def cells(rows):
    return {r.label: r.cells for r in rows}


def test_figures_on_a_known_data_set(data, settings, make_user):
    settings.SMALL_CELL_THRESHOLD = 1
    with translation.override("en"):  # the figures as an English page shows them (kernel.formatting)
        report = reports.tutoring_report(user=make_user(Role.CITY_ANALYST), today=ref())
    assert report.city and report.target_share == 10
    assert cells(report.districts) == {
        "Deurne": {"in_scope": "9", "target": "1", "participants": "2", "of_target": "200%"},
        "Hoboken": {"in_scope": "3", "target": "1", "participants": "1", "of_target": "100%"},
    }
    assert report.total.cells == {"in_scope": "12", "target": "2", "participants": "3", "of_target": "150%"}
    assert cells(report.initiatives) == {
        "Initiative X": {"participants": "2", "active": "1", "tutors": "4", "capacity": "–"},
        "Initiative Y": {"participants": "2", "active": "2", "tutors": "1", "capacity": "–"},
    }
    assert cells(report.waiting) == {"Deurne": {"waiting": "2"}, "Hoboken": {"waiting": "1"}}
    assert report.waiting_total.cells == {"waiting": "3", "median_to_match": "20", "median_so_far": "20", "matched": "4"}
    assert cells(report.retention)["Initiative X"] == {"cohort_6": "4", "retained_6": "75%", "cohort_12": "3", "retained_12": "33%"}
    assert cells(report.retention)["Initiative Y"] == {"cohort_6": "0", "retained_6": "–", "cohort_12": "0", "retained_12": "–"}


def test_the_population_in_scope(data):
    assert reports.population_in_scope(ref()) == {"Deurne": 9, "Hoboken": 3}
    # the latest band counts: a later low score takes a pupil out
    from leerloopbaan.ews.models import ModelRun, RiskScore

    high = RiskScore.objects.get(pupil__name__first_name="High1")
    RiskScoreFactory(pupil=high.pupil, school=high.school, reference_date=day(5), model_run=ModelRun.objects.get(), risk=0.1, band="low")
    assert reports.population_in_scope(ref()) == {"Deurne": 8, "Hoboken": 3}


def test_small_cells_are_suppressed(data, make_user):
    report = reports.tutoring_report(user=make_user(Role.PROGRAMME_MANAGER), today=ref())
    d = cells(report.districts)
    # Hoboken (3) is small; Deurne (9) is hidden too (×), or it could be computed back from the total
    assert d["Hoboken"] == {"in_scope": "<5", "target": "<5", "participants": "<5", "of_target": "<5"}
    assert d["Deurne"] == {"in_scope": "×", "target": "×", "participants": "<5", "of_target": "<5"}
    # the target (10 % of the 12 in scope) is a figure over a shown count; 3 participants are not
    assert report.total.cells == {"in_scope": "12", "target": "2", "participants": "<5", "of_target": "<5"}
    assert report.waiting_total.cells == {"waiting": "<5", "median_to_match": "<5", "median_so_far": "<5", "matched": "<5"}
    assert cells(report.retention)["Initiative X"] == {"cohort_6": "<5", "retained_6": "<5", "cohort_12": "<5", "retained_12": "<5"}


@pytest.mark.parametrize("role", [Role.CITY_ANALYST, Role.PROGRAMME_MANAGER, Role.ADMIN])
def test_city_roles_see_the_report_without_names(role, data, make_user, login, client):
    login(make_user(role))
    response = client.get("/tutoring/reports/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "&lt;5" in html and 'id="participation-table"' in html and 'id="retention-table"' in html
    for name in ("Amira", "Alphalast", "Bram", "Oki0", "Xena", "Tutorlast", data["a1"].pupil_key, data["a1"].short_key):
        assert name not in html


def test_a_coordinator_sees_their_initiatives_part(data, login, client):
    report = reports.tutoring_report(user=data["cx"], today=ref())
    assert not report.city and report.districts == [] and report.total is None
    assert [r.label for r in report.initiatives] == ["Initiative X"] and [r.label for r in report.retention] == ["Initiative X"]
    login(data["cx"])
    html = client.get("/tutoring/reports/").content.decode()
    assert "Initiative X" in html and "Initiative Y" not in html and 'id="participation-table"' not in html


@pytest.mark.parametrize("role", [Role.SCHOOL_STAFF, Role.TUTOR, Role.YOUTH, Role.CARE_COORDINATOR])
def test_other_roles_get_no_report(role, data, make_user, login, client):
    login(make_user(role, school=data["A"]) if role == Role.SCHOOL_STAFF else make_user(role))
    assert client.get("/tutoring/reports/").status_code == 403


def test_retention_with_an_initiative_without_tutors(db, make_user):
    InitiativeFactory(name="Leeg", kind="city")
    report = reports.tutoring_report(user=make_user(Role.CITY_ANALYST), today=ref())
    assert cells(report.retention)["Leeg"]["retained_6"] == "–"
    assert report.total.cells["in_scope"] == "0"


def test_one_small_initiative_hides_a_second_cell(data, make_user):
    """With the city total shown, a single small initiative would follow from the total minus the others."""
    w = data
    Match.objects.filter(tutor__initiative=w["Y"], need__pupil=w["a1"]).delete()   # no pupil with two initiatives
    tx = make_tutor(w["X"], "Xtra", capacity=3, approved_at=at(10))
    for i in range(5):
        pupil = make_pupil(w["A"], f"Extra{i}", oki=2)
        need = make_need(pupil, w["A"], status="matched", created_at=at(30))
        MatchFactory(need=need, tutor=tx if i < 3 else Match.objects.filter(tutor__initiative=w["X"]).first().tutor, started_on=day(10))
    report = reports.tutoring_report(user=make_user(Role.CITY_ANALYST), today=ref())
    rows = {r.label: r.cells for r in report.initiatives}
    assert rows["Initiative Y"]["participants"] == "<5"     # 1 pupil
    assert rows["Initiative X"]["participants"] == "×"      # 7, hidden beside the one small cell
    assert report.total.cells["participants"] == "8"
