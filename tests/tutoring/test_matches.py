"""Matches: the health dashboard, ending a match, check-ins by the tutor, the pupil and a teacher."""

from __future__ import annotations

import datetime

import pytest

from leerloopbaan.accounts.roles import Role
from leerloopbaan.kernel import clock
from leerloopbaan.kernel.audit.testing import assert_audited
from leerloopbaan.tutoring.matching import services as svc
from leerloopbaan.tutoring.models import CheckIn, TutoringNeed
from tests.factories import CheckInFactory

from .test_needs import activate, build_world, link_youth, make_need, make_tutor


@pytest.fixture
def world(db, make_user):
    w = build_world(make_user)
    w["tutor_user"] = make_user(Role.TUTOR)
    w["other_tutor_user"] = make_user(Role.TUTOR)
    w["tutor"] = make_tutor(w["X"], "Tine", user=w["tutor_user"], capacity=3)
    w["other_tutor"] = make_tutor(w["X"], "Otto", user=w["other_tutor_user"])
    w["m1"] = activate(make_need(w["a1"], w["A"]), w["tutor"], started_on=clock.today() - datetime.timedelta(days=40))
    w["m2"] = activate(make_need(w["a2"], w["A"]), w["tutor"], started_on=clock.today() - datetime.timedelta(days=40))
    w["m3"] = activate(make_need(w["a3"], w["A"]), w["tutor"], started_on=clock.today() - datetime.timedelta(days=10))
    w["m_other"] = activate(make_need(w["a4"], w["A"]), w["other_tutor"], started_on=clock.today() - datetime.timedelta(days=5))
    return w


def checkin(match, respondent, *, days_ago, rating=4, concern=False):
    return CheckInFactory(match=match, respondent=respondent, date=clock.today() - datetime.timedelta(days=days_ago), sessions=2,
                                  rating=rating, progress=3, concern=concern)


def test_match_health_on_the_dashboard(world, login, client):
    m1, m2, m3 = world["m1"], world["m2"], world["m3"]
    checkin(m1, "tutor", days_ago=35, rating=5)
    checkin(m1, "teacher", days_ago=30, rating=2)     # last check-in 30 days ago: overdue
    checkin(m2, "tutor", days_ago=3, rating=4, concern=True)
    # m3 started 10 days ago without a check-in: not overdue yet
    login(world["cx"])
    with assert_audited(count=1, subject_type="pupil") as audit:
        html = client.get("/tutoring/matches/").content.decode()
    assert audit.subjects() == {world[k].pupil_key for k in ("a1", "a2", "a3", "a4")}
    from leerloopbaan.tutoring.matching.selectors import match_health

    health = match_health(user=world["cx"])
    by = {r.match.pk: r for r in health["rows"]}
    assert (by[m1.pk].overdue, by[m1.pk].concern, by[m1.pk].mean_rating) == (True, False, 3.5)
    assert by[m1.pk].last_checkin == clock.today() - datetime.timedelta(days=30)
    assert (by[m2.pk].overdue, by[m2.pk].concern, by[m2.pk].mean_rating) == (False, True, 4.0)
    assert (by[m3.pk].overdue, by[m3.pk].concern, by[m3.pk].checkins) == (False, False, 0)
    assert (health["active"], health["overdue"], health["concern"], health["never_checked_in"]) == (4, 1, 1, 2)
    assert health["rows"][0].match == m2  # concerns first
    assert "concern" in html and "overdue" in html and "Amira1" in html and "Alphalast" not in html


def test_end_a_match_with_a_reason(world, login, client):
    cx, m1, m2 = world["cx"], world["m1"], world["m2"]
    login(cx)
    html = client.get(f"/tutoring/matches/{m1.pk}/").content.decode()
    assert 'id="end-form"' in html
    html = client.post(f"/tutoring/matches/{m1.pk}/end/", {"version": m1.version, "reason": "other", "note": ""}, follow=True).content.decode()
    assert "Describe in the note why the match ends." in html
    client.post(f"/tutoring/matches/{m1.pk}/end/", {"version": m1.version, "reason": "goal_reached", "note": "Breuken zitten goed"})
    m1.refresh_from_db()
    assert (m1.status, m1.ended_on, m1.end_reason, m1.end_note) == ("ended", clock.today(), "goal_reached", "Breuken zitten goed")
    assert TutoringNeed.objects.get(pk=m1.need_id).status == "ended"
    # the match did not work: the pupil waits for a new tutor
    svc.match_end(user=cx, match=m2, version=m2.version, reason="no_click")
    assert TutoringNeed.objects.get(pk=m2.need_id).status == "waiting"
    with pytest.raises(svc.MatchingError, match="not active"):
        m1.refresh_from_db()
        svc.match_end(user=cx, match=m1, version=m1.version, reason="goal_reached")
    # another initiative's coordinator: 404
    login(world["cy"])
    assert client.post(f"/tutoring/matches/{world['m3'].pk}/end/", {"version": 1, "reason": "goal_reached"}).status_code == 404


def test_checkin_by_the_tutor(world, login, client):
    m1 = world["m1"]
    login(world["tutor_user"])
    with assert_audited(count=1, action="create", subject_type="pupil", subjects=[world["a1"].pupil_key]):
        response = client.post(f"/tutoring/matches/{m1.pk}/check-in/", {"sessions": 3, "rating": 4, "progress": 3, "comment": "Goed bezig"})
    assert response["Location"] == "/tutoring/me/pupils/"
    c = CheckIn.objects.get()
    assert (c.match, c.respondent, c.sessions, c.rating, c.progress, c.concern, c.recorded_by) == (m1, "tutor", 3, 4, 3, False,
                                                                                                   world["tutor_user"])
    html = client.post(f"/tutoring/matches/{m1.pk}/check-in/", {"sessions": 1, "rating": 7, "progress": 3}).content.decode()
    assert "Select a valid choice" in html and CheckIn.objects.count() == 1
    with pytest.raises(svc.MatchingError, match="1 to 5"):
        svc.checkin_create(user=world["tutor_user"], match=m1, sessions=1, rating=0, progress=3)


def test_a_tutor_cannot_check_in_on_another_tutors_match(world, login, client):
    login(world["other_tutor_user"])
    m1 = world["m1"]
    with assert_audited(count=0, action=None):
        assert client.get(f"/tutoring/matches/{m1.pk}/check-in/").status_code == 404
        assert client.post(f"/tutoring/matches/{m1.pk}/check-in/", {"sessions": 1, "rating": 4, "progress": 4}).status_code == 404
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        svc.checkin_create(user=world["other_tutor_user"], match=m1, sessions=1, rating=4, progress=4)
    assert not CheckIn.objects.exists()


def test_checkin_by_the_pupil(world, make_user, login, client):
    youth = link_youth(make_user, world["a1"])
    login(youth)
    with assert_audited(count=1, subject_type="pupil", subjects=[world["a1"].pupil_key]):
        html = client.get("/tutoring/me/tutoring/").content.decode()
    assert "Tine" in html and "Tutorlast" not in html
    assert f'href="/tutoring/matches/{world["m1"].pk}/check-in/"' in html
    response = client.post(f"/tutoring/matches/{world['m1'].pk}/check-in/", {"sessions": 2, "rating": 5, "progress": 4, "concern": "on"})
    assert response["Location"] == "/tutoring/me/tutoring/"
    c = CheckIn.objects.get()
    assert (c.respondent, c.concern) == ("pupil", True)
    # not someone else's tutoring
    assert client.get(f"/tutoring/matches/{world['m2'].pk}/check-in/").status_code == 404


def test_checkin_by_a_teacher_of_the_pupils_school(world, login, client):
    m1 = world["m1"]
    login(world["staff"])
    html = client.get(f"/tutoring/needs/{m1.need_id}/").content.decode()
    assert f'href="/tutoring/matches/{m1.pk}/check-in/"' in html
    response = client.post(f"/tutoring/matches/{m1.pk}/check-in/", {"sessions": 0, "rating": 3, "progress": 2})
    assert response["Location"] == f"/tutoring/needs/{m1.need_id}/"
    assert CheckIn.objects.get().respondent == "teacher"
    # staff of another school, a CLB worker (not a teacher): no
    for user in (world["staff_b"], world["clb"]):
        login(user)
        assert client.post(f"/tutoring/matches/{m1.pk}/check-in/", {"sessions": 0, "rating": 3, "progress": 2}).status_code == 404
    assert CheckIn.objects.count() == 1


def test_no_checkin_on_an_ended_match(world, login, client):
    m1 = world["m1"]
    svc.match_end(user=world["cx"], match=m1, version=m1.version, reason="goal_reached")
    login(world["tutor_user"])
    assert client.post(f"/tutoring/matches/{m1.pk}/check-in/", {"sessions": 1, "rating": 4, "progress": 4}).status_code == 404
    m1.refresh_from_db()
    with pytest.raises(svc.MatchingError, match="not active"):
        svc.checkin_create(user=world["tutor_user"], match=m1, sessions=1, rating=4, progress=4)
