"""For every role: which tutors it sees and which tutor pages it may use; every read of a tutor audited.

A coordinator of initiative X never sees, screens or changes a tutor of initiative Y (404); a tutor sees
only themself; every other role gets 403 on the coordinator's and the tutor's pages."""
# ruff: noqa: F401, F811 -- the shared fixture tw is imported from test_tutors_helpers

import pytest

from leerloopbaan.accounts.roles import Role
from leerloopbaan.kernel.audit.testing import assert_audited
from leerloopbaan.tutoring.models import Tutor
from tests.factories import ClbFactory, SchoolFactory

from .test_tutors_helpers import active_tutor, sign_up, tw

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def world(tw, make_user):
    """tx, tx2: tutors of X (tx active, with an account); ty: an applicant of Y; a user of every role."""
    clb = ClbFactory(name="CLB Noord")
    school = SchoolFactory(school_number="900", name="School N", district="Merksem", clb=clb)
    tx = active_tutor(tw["X"], tw["cx"], email="tx@example.test", first_name="Xander", last_name="Xavier")
    tx2 = sign_up(tw["X"], email="tx2@example.test", first_name="Xena", last_name="Xoxo")
    ty = sign_up(tw["Y"], email="ty@example.test", first_name="Yara", last_name="Yilmaz")
    users = {
        Role.TUTOR_COORDINATOR: tw["cx"], Role.ADMIN: tw["admin"], Role.TUTOR: tx.user,
        Role.SCHOOL_STAFF: make_user(Role.SCHOOL_STAFF, school=school), Role.CLB_WORKER: make_user(Role.CLB_WORKER, clb=clb),
    }
    for role in Role.values:
        users.setdefault(role, make_user(role))
    return {**tw, "tx": tx, "tx2": tx2, "ty": ty, "users": users}


# role -> the tutors it sees in the coordinator's list (None: the pages answer 403)
EXPECTED = {
    Role.TUTOR_COORDINATOR: {"tx", "tx2"},
    Role.ADMIN: {"tx", "tx2", "ty"},
    Role.TUTOR: None,
    Role.CITY_ANALYST: None,
    Role.PROGRAMME_MANAGER: None,
    Role.SCHOOL_STAFF: None,
    Role.CLB_WORKER: None,
    Role.CARE_COORDINATOR: None,
    Role.ORGANISATION_CONTACT: None,
    Role.YOUTH: None,
    Role.PARENT: None,
}

PAGES = ["/tutoring/tutors/{pk}/", "/tutoring/tutors/{pk}/profile/", "/tutoring/tutors/{pk}/screening/",
         "/tutoring/tutors/{pk}/training/"]
POSTS = ["/tutoring/tutors/{pk}/decision/", "/tutoring/tutors/{pk}/status/", "/tutoring/tutors/{pk}/screening/",
         "/tutoring/tutors/{pk}/training/", "/tutoring/tutors/{pk}/profile/"]
NAMES = {"tx": "Xander", "tx2": "Xena", "ty": "Yara"}


def test_every_role_is_covered():
    assert set(EXPECTED) == set(Role.values)


@pytest.mark.parametrize("role", list(EXPECTED))
def test_tutor_pages_per_role(role, world, login, client):
    seen = EXPECTED[role]
    login(world["users"][role])
    if seen is None:
        assert client.get("/tutoring/tutors/").status_code == 403
        for name in NAMES:
            pk = world[name].pk
            for url in PAGES:
                assert client.get(url.format(pk=pk)).status_code in (403, 404), (url, name)
            for url in POSTS:
                assert client.post(url.format(pk=pk), {"version": 1, "decision": "reject", "reason": "x", "action": "leave"}
                                   ).status_code in (403, 404), (url, name)
        for initiative in ("X", "Y"):
            assert client.get(f"/tutoring/initiatives/{world[initiative].pk}/edit/").status_code in (403, 404)
        assert {t.status for t in Tutor.objects.all()} == {"active", "applied"}  # nothing changed
        return
    with assert_audited(count=1, subject_type="tutor") as audit:
        html = client.get("/tutoring/tutors/").content.decode()
    assert audit.subjects() == {f"tutor:{world[n].pk}" for n in seen}
    for name, first in NAMES.items():
        pk = world[name].pk
        assert (first in html) is (name in seen), name
        if name in seen:
            for url in PAGES:
                with assert_audited(count=1, subject_type="tutor", subjects=[f"tutor:{pk}"]):
                    response = client.get(url.format(pk=pk))
                assert response.status_code == 200 and first in response.content.decode(), url
        else:
            for url in PAGES + ["/tutoring/tutors/{pk}/review/"]:
                with assert_audited(count=0, subject_type="tutor"):
                    assert client.get(url.format(pk=pk)).status_code == 404, url
            for url in POSTS:
                assert client.post(url.format(pk=pk), {"version": 1, "decision": "reject", "reason": "x", "action": "leave"}
                                   ).status_code == 404, url
            assert world[name].__class__.objects.get(pk=pk).status == "applied"  # nothing changed


def test_a_coordinator_of_x_cannot_screen_or_decide_for_y(world, login, client):
    ty = world["ty"]
    login(world["cx"])
    data = {"version": ty.version, "interview_status": "ok", "interview_evidence": "gezien", "good_conduct_status": "pending",
            "reference_status": "pending", "code_of_conduct_status": "pending"}
    assert client.post(f"/tutoring/tutors/{ty.pk}/screening/", data).status_code == 404
    assert client.post(f"/tutoring/tutors/{ty.pk}/decision/", {"version": ty.version, "decision": "reject", "reason": "x"}).status_code == 404
    assert client.post(f"/tutoring/tutors/{ty.pk}/status/", {"version": ty.version, "action": "screening"}).status_code == 404
    assert client.get(f"/tutoring/tutors/?status=applied&initiative={world['Y'].pk}").content.decode().count("Yara") == 0
    assert client.get(f"/tutoring/initiatives/{world['Y'].pk}/edit/").status_code == 404
    ty.refresh_from_db()
    assert ty.status == "applied" and not ty.screening.exclude(status="pending").exists()


def test_a_coordinator_removed_from_the_initiative_loses_its_tutors(world, login, client):
    world["X"].coordinators.remove(world["cx"])
    login(world["cx"])
    assert "Xander" not in client.get("/tutoring/tutors/").content.decode()
    assert client.get(f"/tutoring/tutors/{world['tx'].pk}/").status_code == 404


def test_a_tutor_sees_only_themself(world, login, client):
    tx = world["tx"]
    login(tx.user)
    with assert_audited(count=1, subject_type="tutor", subjects=[f"tutor:{tx.pk}"]) as audit:
        html = client.get("/tutoring/me/").content.decode()
    assert audit.subjects() == {f"tutor:{tx.pk}"}
    assert "Xander" in html and "Xena" not in html and "Yara" not in html
    for name in ("tx", "tx2", "ty"):
        assert client.get(f"/tutoring/tutors/{world[name].pk}/").status_code == 403
    assert client.get(f"/tutoring/tutors/{world['ty'].pk}/review/").status_code == 404
    assert client.get(f"/tutoring/tutors/{world['tx2'].pk}/review/").status_code == 404  # not active: no fellow yet
    assert client.post("/tutoring/me/status/", {"version": tx.version, "action": "screening"}).status_code == 403


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.TUTOR])
def test_the_tutors_own_pages_are_for_tutors(role, world, login, client):
    login(world["users"][role])
    for url in ("/tutoring/me/", "/tutoring/me/training/", "/tutoring/me/fellows/"):
        assert client.get(url).status_code == 403, url
    assert client.post("/tutoring/me/status/", {"version": 1, "action": "pause", "reason": "x"}).status_code == 403


def test_a_tutor_account_without_a_tutor_record_gets_404(world, make_user, login, client):
    login(make_user(Role.TUTOR))
    assert client.get("/tutoring/me/").status_code == 404
    assert client.get("/tutoring/me/training/").status_code == 404


def test_anonymous_visitors_only_sign_up(world, client):
    assert client.get("/tutoring/sign-up/").status_code == 200
    for url in ("/tutoring/tutors/", f"/tutoring/tutors/{world['tx'].pk}/", "/tutoring/me/", "/tutoring/me/training/",
                f"/tutoring/initiatives/{world['X'].pk}/edit/"):
        response = client.get(url)
        assert response.status_code == 302 and "/account/login/" in response["Location"], url


def test_a_tutor_who_left_cannot_log_in_any_more(world, client):
    from leerloopbaan.tutoring.tutors import services
    tx = world["tx"]
    tx.user.set_password("a-long-test-password")
    tx.user.save()
    credentials = {"username": "tx@example.test", "password": "a-long-test-password"}
    assert client.post("/account/login/", credentials).status_code == 302
    client.logout()
    services.tutor_leave(user=world["cx"], tutor=tx, version=tx.version, reason="gestopt")
    assert client.post("/account/login/", credentials).status_code == 200  # refused
    tx.user.refresh_from_db()
    assert tx.user.is_active is False


def test_status_filter_and_counts(world, login, client):
    login(world["cx"])
    response = client.get("/tutoring/tutors/?status=active")
    html = response.content.decode()
    assert "Xander" in html and "Xena" not in html
    stages = {value: n for value, _label, n in response.context["stages"]}
    assert stages["active"] == 1 and stages["applied"] == 1 and stages["rejected"] == 0
    assert "Xena" in client.get("/tutoring/tutors/?q=xoxo").content.decode()
