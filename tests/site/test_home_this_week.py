"""The home page's "this week": per role, counts that open the list of exactly those items.

Every expected count is worked out here by hand from the rows the test makes; another school's items
are never counted; the home page's number of queries does not grow with the data.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leerloopbaan.accounts.roles import Role
from leerloopbaan.care.models import Handover
from leerloopbaan.kernel import clock
from tests.ews.test_roles_ews import build_city, user_for
from tests.factories import (
    AttestationRequestFactory,
    CheckInFactory,
    EnrolmentFactory,
    InitiativeFactory,
    IssuerFactory,
    IssuerLinkFactory,
    MatchFactory,
    ModelRunFactory,
    PortfolioFactory,
    PupilAccountLinkFactory,
    PupilFactory,
    RiskScoreFactory,
    SupportRequestFactory,
    TutorFactory,
    TutoringNeedFactory,
)
from tests.kernel.attacker import assert_safe, releases

pytestmark = pytest.mark.django_db


def _week(html: str) -> dict[str, tuple[str, str]]:
    """{key: (count as shown, link)} of the "this week" cards."""
    out = {}
    for m in re.finditer(
        r'id="week-([\w]+)" href="([^"]*)"><span class="figure-big week-count">([^<]*)</span>', html
    ):
        out[m.group(1)] = (m.group(3), m.group(2).replace("&amp;", "&"))
    return out


@pytest.fixture
def city(db):
    out = build_city()
    now = clock.now()
    past, future = now - datetime.timedelta(days=2), now + datetime.timedelta(days=5)
    a, b = out["A"], out["B"]
    # support requests: A has two overdue open ones, one open in time, one closed past its date; B one overdue
    out["overdue_a"] = [
        SupportRequestFactory(school=a, pupil=out["a1"], status="new", due_at=past),
        SupportRequestFactory(school=a, pupil=out["a2"], status="assigned", due_at=past),
    ]
    SupportRequestFactory(school=a, pupil=out["a3"], status="new", due_at=future)
    SupportRequestFactory(school=a, pupil=out["a4"], status="closed", due_at=past)
    out["overdue_b"] = SupportRequestFactory(school=b, pupil=out["b1"], status="new", due_at=past)
    # handovers: into A (one with CLB X as the receiving CLB), out of A, one acknowledged, one without a receiver
    out["to_a_clb"] = Handover.objects.create(
        pupil=out["b2"], from_school=b, to_school=a, to_clb=out["X"], kind="school_change"
    )
    out["to_a"] = Handover.objects.create(pupil=out["b3"], from_school=b, to_school=a, kind="school_change")
    out["from_a"] = Handover.objects.create(
        pupil=out["a5"], from_school=a, to_school=b, to_clb=out["Y"], kind="school_change"
    )
    Handover.objects.create(
        pupil=out["b4"], from_school=b, to_school=a, kind="school_change", status="acknowledged"
    )
    out["nowhere"] = Handover.objects.create(pupil=out["b5"], from_school=b, kind="disappeared")
    return out


def _get_home(client) -> str:
    response = client.get("/home/")
    assert response.status_code == 200
    return response.content.decode()


def _keys_in(html: str, pupils) -> set[str]:
    return {p.pupil_key for p in pupils if p.pupil_key in html}


def test_school_staff_counts_and_their_lists(city, make_user, login, client):
    staff = user_for(Role.SCHOOL_STAFF, city, make_user)
    login(staff)
    week = _week(_get_home(client))
    # by hand: A's latest scores are low for 0-2, medium for 3-5, high for 6-7; every previous score was low
    assert week["new_high"][0] == "2"
    assert week["up"][0] == "5"
    assert week["overdue_requests"][0] == "2"
    assert week["handovers"][0] == "2"  # into A, open; not the outgoing one, not the acknowledged one
    assert "to_screen" not in week and "checkins" not in week

    everyone = [city[f"{p}{i}"] for p in "ab" for i in range(8)]
    html = client.get(week["new_high"][1]).content.decode()
    assert _keys_in(html, everyone) == {city["a6"].pupil_key, city["a7"].pupil_key}
    assert "Anouk7" in html
    html = client.get(week["up"][1]).content.decode()
    assert _keys_in(html, everyone) == {city[f"a{i}"].pupil_key for i in (3, 4, 5, 6, 7)}

    html = client.get(week["overdue_requests"][1]).content.decode()
    shown = set(map(int, re.findall(r"/care/requests/(\d+)/", html)))
    assert shown == {r.pk for r in city["overdue_a"]}

    html = client.get(week["handovers"][1]).content.decode()
    shown = set(map(int, re.findall(r"/care/handovers/(\d+)/", html)))
    assert shown == {city["to_a_clb"].pk, city["to_a"].pk}


def test_a_rise_is_against_the_previous_score_of_the_same_pupil(city, make_user, login, client):
    """A pupil high before and high now is not new; a pupil whose only score is high is new; a score
    of an unapproved run is never read (neither as the latest nor as the previous score)."""
    a0, a1 = city["a0"], city["a1"]
    run, latest = city["run"], city["latest"]
    from leerloopbaan.ews.models import RiskScore

    RiskScore.objects.filter(pupil=a0, model_run=run).update(band="high", risk=0.9)  # low -> high: new, up
    RiskScore.objects.filter(pupil=city["a6"]).update(band="high")  # high -> high: neither
    hidden = ModelRunFactory(version="unapproved", approved=False)
    RiskScoreFactory(
        pupil=a1,
        school=city["A"],
        reference_date=latest - datetime.timedelta(days=10),
        model_run=hidden,
        band="high",
    )
    login(user_for(Role.SCHOOL_STAFF, city, make_user))
    week = _week(_get_home(client))
    # new in high: a0 and a7 (a6 was high before); up: a0, a3, a4, a5, a7 (a1 stays low; its unapproved high is not read)
    assert week["new_high"][0] == "2"
    assert week["up"][0] == "5"
    html = client.get(week["new_high"][1]).content.decode()
    assert a0.pupil_key in html and city["a6"].pupil_key not in html


def test_clb_worker_counts(city, make_user, login, client):
    login(user_for(Role.CLB_WORKER, city, make_user))
    week = _week(_get_home(client))
    assert (week["new_high"][0], week["up"][0]) == ("2", "5")  # CLB X serves A only
    assert week["overdue_requests"][0] == "2"
    assert week["handovers"][0] == "1"  # the one naming CLB X as receiving CLB
    html = client.get(week["handovers"][1]).content.decode()
    assert set(map(int, re.findall(r"/care/handovers/(\d+)/", html))) == {city["to_a_clb"].pk}


def test_care_coordinator_counts(city, make_user, login, client):
    login(make_user(Role.CARE_COORDINATOR))
    week = _week(_get_home(client))
    assert "new_high" not in week
    assert week["overdue_requests"][0] == "3"  # A's two and B's one
    assert week["new_requests"][0] == "3"  # new: A's overdue one, A's in time, B's
    assert week["handovers"][0] == "1"  # only the one without a receiving school
    html = client.get(week["overdue_requests"][1]).content.decode()
    assert set(map(int, re.findall(r"/care/requests/(\d+)/", html))) == {r.pk for r in city["overdue_a"]} | {
        city["overdue_b"].pk
    }
    html = client.get(week["handovers"][1]).content.decode()
    assert set(map(int, re.findall(r"/care/handovers/(\d+)/", html))) == {city["nowhere"].pk}


@pytest.mark.parametrize("role", [Role.CITY_ANALYST, Role.PROGRAMME_MANAGER])
def test_city_counts_are_published(role, city, make_user, login, client):
    login(make_user(role))
    html = _get_home(client)
    week = _week(html)
    # new in high: 2 per school = 4 (a count from 1 to 4 is suppressed); up: 5 per school = 10
    assert week["city_new_high"][0] == "&lt;5"
    assert week["city_up"][0] == "10"
    assert week["city_up"][1] == "/ews/city/"
    assert "new_high" not in week and "overdue_requests" not in week


def test_the_city_counts_pin_no_suppressed_cell(city, make_user, login, client):
    """The home page's one release (city counts of this week and the pupils enrolled) against the attacker."""
    from django.core.cache import cache

    login(make_user(Role.CITY_ANALYST))
    cache.clear()
    with releases() as got:
        _get_home(client)
    assert_safe(got)
    assert len(got) == 1 and got[0][("week", "new_high")].small


def test_programme_manager_is_told_programme_management_comes_later(city, make_user, login, client):
    login(make_user(Role.PROGRAMME_MANAGER))
    html = _get_home(client)
    assert "Programmabeheer komt in een volgende versie" in html
    for url in ("/registry/outflow/", "/ews/city/", "/tutoring/reports/"):
        assert f'href="{url}"' in html


@pytest.fixture
def tutoring(city, make_user):
    coordinator = make_user(Role.TUTOR_COORDINATOR)
    mine = InitiativeFactory(name="Mine", coordinators=[coordinator])
    other = InitiativeFactory(name="Other")
    to_screen = [
        TutorFactory(initiative=mine, status="applied", first_name="Applied1"),
        TutorFactory(initiative=mine, status="applied", first_name="Applied2"),
        TutorFactory(initiative=mine, status="screening", first_name="Screening1"),
    ]
    TutorFactory(initiative=mine, status="training", first_name="Training1")
    TutorFactory(initiative=other, status="applied", first_name="OtherApplied")
    tutor_user = make_user(Role.TUTOR)
    tutor = TutorFactory(initiative=mine, user=tutor_user, first_name="Mytutor")
    long_ago = clock.today() - datetime.timedelta(days=40)
    missed = MatchFactory(
        tutor=tutor,
        started_on=long_ago,
        need=TutoringNeedFactory(pupil=city["a0"], school=city["A"], status="matched"),
    )
    fine = MatchFactory(
        tutor=tutor,
        started_on=long_ago,
        need=TutoringNeedFactory(pupil=city["a1"], school=city["A"], status="matched"),
    )
    CheckInFactory(match=fine, date=clock.today() - datetime.timedelta(days=5))
    MatchFactory(
        tutor=TutorFactory(initiative=mine),
        need=TutoringNeedFactory(pupil=city["a2"], school=city["A"], status="matched"),
    )
    MatchFactory(
        tutor=TutorFactory(initiative=other),
        started_on=long_ago,
        need=TutoringNeedFactory(pupil=city["b0"], school=city["B"], status="matched"),
    )
    return {
        "coordinator": coordinator,
        "tutor_user": tutor_user,
        "to_screen": to_screen,
        "missed": missed,
        "fine": fine,
    }


def test_tutor_coordinator_counts(tutoring, login, client):
    login(tutoring["coordinator"])
    week = _week(_get_home(client))
    assert week["to_screen"][0] == "3"
    assert week["checkins"][0] == "1"
    html = client.get(week["to_screen"][1]).content.decode()
    names = set(re.findall(r"(Applied\d|Screening\d|Training\d|OtherApplied)", html))
    assert names == {"Applied1", "Applied2", "Screening1"}
    html = client.get(week["checkins"][1]).content.decode()
    shown = set(map(int, re.findall(r"/tutoring/matches/(\d+)/", html)))
    assert shown == {tutoring["missed"].pk}


def test_tutor_counts(tutoring, login, client):
    login(tutoring["tutor_user"])
    week = _week(_get_home(client))
    assert week["checkins"][0] == "1"
    html = client.get(week["checkins"][1]).content.decode()
    assert f'id="pupil-{tutoring["missed"].pk}"' in html and f'id="pupil-{tutoring["fine"].pk}"' not in html


@pytest.mark.parametrize("role", [Role.YOUTH, Role.PARENT])
def test_young_person_and_parent_see_their_open_requests(role, city, make_user, login, client):
    user = make_user(role)
    portfolio = PortfolioFactory(pupil=city["a0"])
    PupilAccountLinkFactory(user=user, pupil=city["a0"], relation="self" if role == Role.YOUTH else "parent")
    AttestationRequestFactory(portfolio=portfolio)
    AttestationRequestFactory(portfolio=portfolio)
    AttestationRequestFactory(portfolio=portfolio, status="issued")
    AttestationRequestFactory(portfolio=PortfolioFactory(pupil=city["a1"]))  # someone else's
    login(user)
    week = _week(_get_home(client))
    assert week["credentials"][0] == "2"
    assert week["credentials"][1].startswith("/portfolio/")


def test_organisation_counts_its_own_requests(city, make_user, login, client):
    from leerloopbaan.accounts.models import User

    analyst = make_user(Role.CITY_ANALYST)
    issuer = IssuerFactory(verified_by=analyst)
    other = IssuerFactory(verified_by=analyst)
    for _ in range(3):
        IssuerLinkFactory(issuer=issuer, portfolio=AttestationRequestFactory(issuer=issuer).portfolio)
    IssuerLinkFactory(
        issuer=issuer, portfolio=AttestationRequestFactory(issuer=issuer, status="declined").portfolio
    )
    AttestationRequestFactory(
        issuer=issuer
    )  # the young person does not share (any longer): not the organisation's to see
    IssuerLinkFactory(issuer=other, portfolio=AttestationRequestFactory(issuer=other).portfolio)
    contact = User.objects.get(email=issuer.contact_email)
    login(contact)
    week = _week(_get_home(client))
    assert week["credentials"][0] == "3"
    html = client.get(week["credentials"][1]).content.decode()
    assert len(set(re.findall(r"/portfolio/org/requests/(\d+)/", html))) == 3


def _query_count(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        _get_home(client)
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "role", [Role.SCHOOL_STAFF, Role.CLB_WORKER, Role.CARE_COORDINATOR, Role.CITY_ANALYST]
)
def test_the_home_page_makes_as_many_queries_with_more_data(role, city, make_user, login, client):
    login(user_for(role, city, make_user))
    before = _query_count(client)
    now = clock.now()
    for i in range(6):
        p = PupilFactory(first_name=f"Extra{i}")
        EnrolmentFactory(pupil=p, school=city["A"], grade="S3")
        RiskScoreFactory(
            pupil=p,
            school=city["A"],
            reference_date=city["latest"] - datetime.timedelta(days=20),
            model_run=city["run"],
            band="low",
        )
        RiskScoreFactory(
            pupil=p, school=city["A"], reference_date=city["latest"], model_run=city["run"], band="high"
        )
        SupportRequestFactory(
            school=city["A"], pupil=p, status="new", due_at=now - datetime.timedelta(days=1)
        )
        Handover.objects.create(
            pupil=p, from_school=city["B"], to_school=city["A"], to_clb=city["X"], kind="school_change"
        )
    assert _query_count(client) == before


def test_tutoring_home_makes_as_many_queries_with_more_data(tutoring, login, client, city):
    login(tutoring["coordinator"])
    before = _query_count(client)
    mine = tutoring["missed"].tutor.initiative
    for i in range(4):
        TutorFactory(initiative=mine, status="applied")
        MatchFactory(
            tutor=TutorFactory(initiative=mine),
            started_on=clock.today() - datetime.timedelta(days=50),
            need=TutoringNeedFactory(pupil=city[f"a{i + 3}"], school=city["A"], status="matched"),
        )
    assert _query_count(client) == before
    week = _week(_get_home(client))
    assert (week["to_screen"][0], week["checkins"][0]) == ("7", "5")


@pytest.mark.parametrize("role", [r for r in Role if r != Role.ADMIN])
def test_no_placeholder_once_the_data_are_there(role, city, make_user, login, client):
    """With schools, pupils and scores imported, no home page says that something "appears here"."""
    login(user_for(role, city, make_user))
    html = _get_home(client)
    assert "verschijnen hier" not in html and "verschijnt hier" not in html and "komen hier" not in html
