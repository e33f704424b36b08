"""The city dashboard: exact aggregates, small cells suppressed, no pupil on the page, city roles only."""

from __future__ import annotations

import datetime
import re

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leerloopbaan.accounts.roles import Role
from leerloopbaan.ews.city import selectors as city
from leerloopbaan.kernel.audit.testing import assert_audited
from leerloopbaan.registry.models import Pupil
from leerloopbaan.registry.outflow import report as flows
from tests.factories import (
    AttestationFactory,
    EnrolmentFactory,
    ModelRunFactory,
    PupilFactory,
    RiskScoreFactory,
    SchoolFactory,
)

pytestmark = pytest.mark.django_db

YEAR, NEXT = "2021-2022", "2022-2023"
SCORED_ON = datetime.date(2022, 12, 1)
CITY_ROLES = [Role.CITY_ANALYST, Role.PROGRAMME_MANAGER, Role.ADMIN]
OTHER_ROLES = [r for r in Role.values if r not in CITY_ROLES]

# school number, district, network, track, programme, leavers, of whom unqualified
SCHOOLS = [
    ("100001", "Antwerpen", "GO", "TSO", "Handel", 8, 2),
    ("100002", "Antwerpen", "CATHOLIC", "BSO", "Kantoor", 6, 3),
    ("100003", "Berchem", "GO", "ASO", "Wetenschappen", 5, 0),
    ("100004", "Deurne", "CITY", "ASO", "Latijn", 3, 1),
]


class City:
    """The schools of SCHOOLS (made from the test factories) and one model run; ``pupil()`` adds a named S6
    pupil of YEAR with a risk score. ``counter`` numbers the pupils (their keys); whoever adds pupils of
    their own to the city counts on with it."""

    def __init__(self):
        self.counter = 0
        self.run = ModelRunFactory(version="test-run", model_name="rule", path="models/test.json")
        self.schools = {}
        for number, district, network, *_rest in SCHOOLS:
            self.schools[number] = SchoolFactory(school_number=number, name=f"Testschool {number}", network=network, district=district)

    def pupil(self, school, *, track, programme, leaves=True, qualified=False, risk=0.1, band="low"):
        """An S6 pupil of ``school`` in YEAR (until 30 June), scored on SCORED_ON. A leaver left (qualified, with
        a diploma, or not); a pupil who does not leave goes on to S7 in NEXT."""
        self.counter += 1
        p = PupilFactory(pupil_key=f"{self.counter:04d}deadbeefcafe{self.counter:04d}", birth_date=datetime.date(2003, 3, 1), sex="F",
                         first_name="Zoltana", last_name=f"Onvindbaar{self.counter}")
        EnrolmentFactory(pupil=p, school=school, school_year=YEAR, end_date=datetime.date(2022, 6, 30), grade="S6", track=track,
                         programme=programme, end_reason=("qualified" if qualified else "left") if leaves else "")
        if not leaves:  # still at school in the next school year: not a leaver
            EnrolmentFactory(pupil=p, school=school, school_year=NEXT, grade="S7", track=track, programme=programme)
        if qualified:
            AttestationFactory(pupil=p, school=school, school_year=YEAR, grade="S6", result="A", qualification="secondary_diploma")
        RiskScoreFactory(pupil=p, school=school, reference_date=SCORED_ON, model_run=self.run, risk=risk, band=band, track=track, grade="S6")
        return p


@pytest.fixture
def small_city():
    c = City()
    for number, _d, _n, track, programme, n, unqualified in SCHOOLS:
        school = c.schools[number]
        for i in range(n):
            bad = i < unqualified
            c.pupil(school, track=track, programme=programme, qualified=not bad,
                    risk=0.8 if bad else 0.1, band="high" if bad else "low")
    # two pupils still at school in Antwerpen (scored, not leavers)
    for _i in range(2):
        c.pupil(c.schools["100001"], track="TSO", programme="Handel", leaves=False, risk=0.5, band="medium")
    # an older score of another run: not used (only the latest reference date counts)
    RiskScoreFactory(pupil=Pupil.objects.first(), school=c.schools["100004"], reference_date=datetime.date(2021, 12, 1),
                     model_run=c.run, risk=0.9, band="high", track="ASO", grade="S6")
    return c


def row(board, key):
    return next(r for r in board.rows if r.key == key)


def cells(body, table_id):
    """The rows of an HTML table as lists of cell texts."""
    start = body.index(f'id="{table_id}"')
    table = body[start: body.index("</table>", start)]
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, flags=re.S)]
            for tr in re.findall(r"<tr[^>]*>.*?</tr>", table, flags=re.S)]


def test_figures_by_district(small_city):
    board = city.dashboard(by="district")
    assert board.year == YEAR and board.years == [YEAR] and board.reference_date == SCORED_ON
    antwerpen = row(board, "Antwerpen")
    # 14 leavers, 5 unqualified; the 5 is hidden: unqualified 6 = 5 + 0 (Berchem) + 1 (Deurne) would give Deurne away
    assert (antwerpen.vsv.unqualified.state, antwerpen.vsv.rate.state) == ("hidden", "hidden")
    # and Deurne's 3 leavers are not "city - Antwerpen - Berchem": one of those is hidden
    assert "hidden" in {antwerpen.vsv.leavers.state, row(board, "Berchem").vsv.leavers.state, board.total.vsv.leavers.state}
    # 14 leavers + 2 pupils still at school scored; 5 high (0.8), 9 low (0.1), 2 medium (0.5); high 5 = 6 - 1 (Deurne): hidden
    assert antwerpen.risk.high.state == "hidden"
    if antwerpen.risk.scored.shown:  # the mean is shown with its count, never without
        assert antwerpen.risk.scored.value == 16
        assert antwerpen.risk.mean.value == pytest.approx((5 * 0.8 + 9 * 0.1 + 2 * 0.5) / 16)
    else:
        assert antwerpen.risk.mean.value is None
    assert antwerpen.risk.high_share.value is None
    deurne = row(board, "Deurne")  # 3 leavers (1 unqualified), 3 scored: suppressed, and every rate over them
    assert deurne.vsv.state == "small" and deurne.risk.state == "small"
    assert deurne.vsv.rate.value is None and deurne.risk.mean.value is None and deurne.risk.high_share.value is None
    berchem = row(board, "Berchem")  # 5 leavers; Deurne = total - Antwerpen - Berchem must not be possible
    assert "hidden" in {berchem.vsv.leavers.state, antwerpen.vsv.leavers.state, board.total.vsv.leavers.state}
    assert berchem.vsv.unqualified.value == 0  # zero names no pupil
    assert board.total.vsv.unqualified.state == "hidden"
    # the same leavers as the outflow page
    assert {r.group: (r.leavers, r.unqualified) for r in flows.outflow(YEAR, by="district") if not r.suppressed} == {
        "Antwerpen": (14, 5), "Berchem": (5, 0)}


def test_figures_by_school_network_track(small_city):
    """Every grouping is published in one release per school year (schools nested in their district
    and network), so grouping by school hides what grouping by district would give away."""
    board = city.dashboard(by="school")
    school = row(board, "100001")  # 8 leavers, 2 unqualified; Antwerpen 14 = 8 + 6 would pin one of them
    assert school.vsv.unqualified.state == "small" and school.vsv.rate.state != "shown"
    assert row(board, "100004").vsv.state == "small"
    assert row(board, "100001").label == "Testschool 100001 (100001)"
    board = city.dashboard(by="network")  # GO 13, CATHOLIC 6, CITY 3 -> CATHOLIC hidden as complement
    assert (row(board, "GO").vsv.leavers.value, row(board, "GO").vsv.unqualified.state) == (13, "small")  # 2 unqualified
    assert row(board, "CITY").vsv.state == "small" and row(board, "CATHOLIC").vsv.leavers.state == "hidden"
    board = city.dashboard(by="track")  # TSO 8, BSO 6, ASO 8 leavers: no group small, but 2, 3 and 1 unqualified are
    assert {r.key: r.vsv.leavers.value for r in board.rows} == {"ASO": 8, "BSO": 6, "TSO": 8}
    assert {r.key: r.vsv.unqualified.state for r in board.rows} == {"ASO": "small", "BSO": "small", "TSO": "small"}


def test_suppression_rules():
    """The group table as the outflow declares it (leavers, none unqualified, and the year total),
    decided by kernel.disclosure: a lone small group hides the smallest other; zero is shown."""
    from leerloopbaan.kernel.disclosure import Release

    def states(groups: dict[str, int]) -> dict[str, str]:
        release = Release("test")
        for k, n in groups.items():
            flows._declare_group(release, YEAR, "district", k, n, 0)
        for kind in ("leavers", "unqualified", "qualified"):
            release.total(flows.key(kind, YEAR), [flows.key(kind, YEAR, "district", k) for k in groups])
        pub = release.publish()
        return {k: pub[flows.key("leavers", YEAR, "district", k)].state for k in groups}

    assert states({"a": 3, "b": 5, "c": 9}) == {"a": "small", "b": "hidden", "c": "shown"}
    assert states({"a": 3, "b": 2, "c": 9}) == {"a": "small", "b": "small", "c": "shown"}
    assert states({"a": 0, "b": 5, "c": 9}) == {"a": "shown", "b": "shown", "c": "shown"}
    assert states({"a": 7, "b": 5}) == {"a": "shown", "b": "shown"}


def test_trajectories_sorted_by_lowest_qualification_rate(small_city):
    board = city.dashboard()
    assert board.trajectory_years == [YEAR]
    # Kantoor 6 (3 qualified), Handel 8 (6), Wetenschappen 5 (5): 3, 3 and 2 are small, and the programmes
    # add up to the city's leavers, so every qualification rate is suppressed: the rows go by name
    got = [(t.programme, t.track, str(t.leavers), str(t.qualified), str(t.unqualified)) for t in board.trajectories]
    assert got == [("Handel", "TSO", "8", "×", "<5"), ("Kantoor", "BSO", "6", "<5", "<5"), ("Wetenschappen", "ASO", "×", "×", "0")]
    assert all(t.rate.value is None for t in board.trajectories)
    pooled = board.small_programmes  # Latijn: 3 leavers
    assert (pooled.programmes, pooled.state, pooled.rate.value) == (1, "small", None)


def test_trend_per_district(small_city):
    board = city.dashboard()
    assert board.trend_years == [YEAR]
    # the current year's district counts are the group table's: Deurne under 5 and Antwerpen's rate
    # hidden with the counts that would give Deurne away; only what the group table shows is drawn
    assert "Deurne" not in board.trend and "Antwerpen" not in board.trend
    shown = {r.label: r.vsv.rate for r in board.rows if r.vsv.rate.shown}
    assert {k: v[0].value for k, v in board.trend.items()} == {k: v.value for k, v in shown.items()}


@pytest.mark.parametrize("role", CITY_ROLES)
def test_page_shows_suppressed_aggregates_never_pupils(small_city, make_user, login, role):
    c = login(make_user(role))
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with assert_audited(count=1, action="read", subject_type="aggregate") as audit:
        response = c.get(reverse("ews:city_dashboard"), {"by": "district"})
    assert response.status_code == 200
    entry = audit.entries[0]
    assert entry.purpose == "city dashboard" and entry.subjects == "" and entry.detail["school_year"] == YEAR
    assert entry.detail["by"] == "district" and entry.detail["reference_date"] == SCORED_ON.isoformat()
    body = response.content.decode()
    rows = {r[0]: r[1:] for r in cells(body, "city-groups")[2:]}
    assert rows["Antwerpen"][1:3] == ["×", "×"] and rows["Antwerpen"][3:5] in (["16", "36.9%"], ["×", "×"])
    assert rows["Deurne"] == ["&lt;5", "&lt;5", "–", "&lt;5", "–", "–"]
    assert rows["Berchem"][1] == "0" and "×" in (rows["Berchem"][0], rows["Antwerpen"][0], rows["City"][0])
    assert "35.7%" not in body and 'id="city-hidden-note"' in body
    # the trend draws only district-year rates that are shown (Berchem's 0 %), never Deurne's or Antwerpen's
    assert ("id=\"city-trend-chart\"" in body) is (rows["Berchem"][2] != "×")
    main = body.split("<main")[1].split("</main>")[0]
    assert "<script" not in main and "http" not in main.replace('xmlns="http://www.w3.org/2000/svg"', "")
    for p in Pupil.objects.all():
        assert p.pupil_key not in body and p.pupil_key[:10] not in body and p.pupil_key[:8] not in body
    assert "Zoltana" not in body and "Onvindbaar" not in body
    trajectories = cells(body, "city-trajectories")
    assert trajectories[1][:5] == ["Handel", "TSO", "8", "×", "&lt;5"]
    assert trajectories[-1][1:] == ["&lt;5", "&lt;5", "&lt;5", "–"]


def test_page_selectors_and_dutch(small_city, make_user, login):
    c = login(make_user(Role.CITY_ANALYST))
    body = c.get(reverse("ews:city_dashboard"), {"by": "school", "school_year": "1999-2000"}).content.decode()
    assert '<option value="school" selected>' in body and f'<option value="{YEAR}" selected>' in body
    assert "Testschool 100001 (100001)" in body and "Stadsdashboard" in body
    assert "<caption>" in body and 'scope="col"' in body and 'scope="row"' in body
    assert c.get(reverse("ews:city_dashboard"), {"by": "pupil"}).status_code == 200  # unknown dimension: the default


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_other_roles_get_403(small_city, make_user, login, role):
    with assert_audited(count=0, action="read", subject_type="aggregate"):
        response = login(make_user(role)).get(reverse("ews:city_dashboard"))
    assert response.status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("ews:city_dashboard"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_empty_registry(make_user, login):
    response = login(make_user(Role.CITY_ANALYST)).get(reverse("ews:city_dashboard"))
    assert response.status_code == 200 and 'id="city-groups"' not in response.content.decode()


def test_queries_do_not_grow_with_pupils(small_city):
    with CaptureQueriesContext(connection) as before:
        city.dashboard(by="school")
    school = small_city.schools["100002"]
    for _i in range(30):
        small_city.pupil(school, track="BSO", programme="Kantoor")
    with CaptureQueriesContext(connection) as after:
        board = city.dashboard(by="school")
    assert row(board, "100002").vsv.leavers.value == 36
    assert len(after) == len(before) <= 15
