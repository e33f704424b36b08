"""For every role: which matching pages it reaches, what it sees of pupils, and that every read is audited."""

from __future__ import annotations

import pytest

from leerloopbaan.accounts.roles import Role
from leerloopbaan.kernel.audit.testing import assert_audited
from leerloopbaan.tutoring.matching import services as svc
from leerloopbaan.tutoring.models import MatchRun
from tests.factories import MatchFactory

from .test_needs import activate, build_world, consent_on, make_need, make_pupil, make_tutor


@pytest.fixture
def world(db, make_user):
    w = build_world(make_user)
    A, X, Y = w["A"], w["X"], w["Y"]
    # two high-risk pupils, priority 1, matched with the tutor
    w["p1"] = make_pupil(A, "Zoë", "Geheimnaam", band="high", oki=3)
    w["p2"] = make_pupil(A, "Yusuf", "Verborgen", band="high")
    w["tutor_user"] = make_user(Role.TUTOR)
    w["tutor"] = make_tutor(X, "Tine", user=w["tutor_user"], capacity=3)
    w["n1"] = svc.need_create(user=w["staff"], pupil=w["p1"], subject="maths", consent_by="parent", consent_on=consent_on(), slots=[1],
                              modes=["online"], description="Wil breuken oefenen",
                              initiatives=[X])
    w["n2"] = make_need(w["p2"], A, subject="french", priority=1, description="Spreekvaardigheid")
    w["m1"], w["m2"] = activate(w["n1"], w["tutor"]), activate(w["n2"], w["tutor"])
    # an ended match of the tutor and another tutor's match: not on the tutor's page
    ended = make_need(w["a3"], A, subject="science", status="ended")
    MatchFactory(need=ended, tutor=w["tutor"], status="ended", started_on=None, ended_on=w["m1"].started_on, end_reason="goal_reached")
    w["y_tutor"] = make_tutor(Y, "Yara")
    w["m_y"] = activate(make_need(w["a4"], A, subject="maths"), w["y_tutor"])
    w["b_need"] = make_need(w["b1"], w["B"], subject="maths")  # waiting, school B
    w["a_waiting"] = make_need(w["a5"], A, subject="dutch")   # waiting, school A
    make_tutor(X, "Xavier", subjects=("dutch",))
    w["x_run"] = svc.run_create(user=w["cx"], initiative=X)
    return w


# role -> status of: needs list, runs, matches, "your pupils", reports (None: refused, 403 or 404)
EXPECTED = {
    Role.SCHOOL_STAFF: (200, None, None, None, None),
    Role.CLB_WORKER: (200, None, None, None, None),
    Role.TUTOR_COORDINATOR: (200, 200, 200, None, 200),
    Role.TUTOR: (None, None, None, 200, None),
    Role.CITY_ANALYST: (None, None, None, None, 200),
    Role.PROGRAMME_MANAGER: (None, None, None, None, 200),
    Role.ADMIN: (200, 200, 200, None, 200),
    Role.CARE_COORDINATOR: (None, None, None, None, None),
    Role.ORGANISATION_CONTACT: (None, None, None, None, None),
    Role.YOUTH: (None, None, None, None, None),
    Role.PARENT: (None, None, None, None, None),
}
PAGES = ["/tutoring/needs/", "/tutoring/runs/", "/tutoring/matches/", "/tutoring/me/pupils/", "/tutoring/reports/"]


def test_every_role_is_covered():
    assert set(EXPECTED) == set(Role.values)


def user_for(role, w, make_user):
    return {Role.SCHOOL_STAFF: w["staff"], Role.CLB_WORKER: w["clb"], Role.TUTOR_COORDINATOR: w["cx"],
            Role.TUTOR: w["tutor_user"]}.get(role) or make_user(role)


@pytest.mark.parametrize("role", list(EXPECTED))
def test_pages_per_role(role, world, make_user, login, client):
    login(user_for(role, world, make_user))
    for page, expected in zip(PAGES, EXPECTED[role], strict=True):
        if expected is None:
            with assert_audited(count=0, action=None):
                assert client.get(page).status_code in (403, 404), page
        else:
            assert client.get(page).status_code == expected, page
    # nobody but the coordinators of X (and the admin) opens X's run
    status = client.get(f"/tutoring/runs/{world['x_run'].pk}/").status_code
    assert (status == 200) is (role in (Role.TUTOR_COORDINATOR, Role.ADMIN))


def test_the_tutor_sees_only_first_names_and_needs(world, login, client):
    w = world
    login(w["tutor_user"])
    with assert_audited(count=1, subject_type="pupil") as audit:
        html = client.get("/tutoring/me/pupils/").content.decode()
    assert audit.subjects() == {w["p1"].pupil_key, w["p2"].pupil_key}
    assert "Zoë" in html and "Yusuf" in html
    assert "Wil breuken oefenen" in html and "Spreekvaardigheid" in html and "mathematics" in html and "S2" in html
    assert "Monday afternoon" in html and "online" in html
    for secret in ("Geheimnaam", "Verborgen", w["p1"].pupil_key, w["p1"].short_key, w["p2"].short_key, "School A"):
        assert secret not in html
    lowered = html.lower()
    assert "priority" not in lowered and "prioriteit" not in lowered
    assert ">high<" not in lowered and "risk" not in lowered and "band" not in lowered
    assert "Amira3" not in html and "Amira4" not in html  # an ended match, another tutor's pupil
    assert f'action="/tutoring/matches/{w["m1"].pk}/check-in/"' in html
    # and nothing else of them
    assert client.get(f"/tutoring/needs/{w['n1'].pk}/").status_code in (403, 404)
    assert client.get(f"/tutoring/needs/new/?pupil={w['p1'].pupil_key}").status_code in (403, 404)
    assert client.get(f"/registry/pupils/{w['p1'].pupil_key}/").status_code == 404
    assert client.get(f"/tutoring/matches/{w['m1'].pk}/").status_code == 404


def test_a_coordinator_of_x_cannot_see_runs_and_matches_of_y(world, login, client):
    w = world
    y_run = svc.run_create(user=w["cy"], initiative=w["Y"])
    login(w["cx"])
    with assert_audited(count=0, action=None):
        for url in (f"/tutoring/runs/{y_run.pk}/", f"/tutoring/matches/{w['m_y'].pk}/", f"/tutoring/needs/{w['m_y'].need_id}/"):
            assert client.get(url).status_code == 404, url
        for url in (f"/tutoring/runs/{y_run.pk}/publish/", f"/tutoring/runs/{y_run.pk}/discard/",
                    f"/tutoring/runs/{y_run.pk}/proposals/accept/", f"/tutoring/matches/{w['m_y'].pk}/end/"):
            assert client.post(url, {"match": 1, "version": 1, "reason": "goal_reached"}).status_code == 404, url
    assert MatchRun.objects.get(pk=y_run.pk).status == "draft"
    html = client.get("/tutoring/matches/").content.decode()
    assert "Zoë" in html and "Amira4" not in html  # Y's match is not on X's dashboard
    html = client.get("/tutoring/runs/").content.decode()
    assert f"#{w['x_run'].pk}" in html and f'href="/tutoring/runs/{y_run.pk}/"' not in html
    # a waiting need that asked X (b_need asked every initiative): first name and school, with the priority's tier
    html = client.get("/tutoring/needs/?status=waiting").content.decode()
    assert "Bram1" in html and "Betalast" not in html and "School B" in html and "Priority" in html


def test_school_staff_of_a_cannot_see_needs_of_school_b(world, login, client):
    w = world
    login(w["staff"])
    with assert_audited(count=1, subject_type="pupil") as audit:
        html = client.get("/tutoring/needs/").content.decode()
    assert w["b1"].pupil_key not in audit.subjects() and w["p1"].pupil_key in audit.subjects()
    assert "Bram1" not in html and "Zoë Geheimnaam" in html
    assert "Tine" in html and "Tutorlast" not in html
    with assert_audited(count=0, action=None):
        assert client.get(f"/tutoring/needs/{w['b_need'].pk}/").status_code == 404
        assert client.post(f"/tutoring/needs/{w['b_need'].pk}/withdraw/", {"version": 1}).status_code == 404
    login(w["staff_b"])
    html = client.get("/tutoring/needs/").content.decode()
    assert "Bram1 Betalast" in html and "Zoë" not in html


def test_the_admin_sees_pupils_by_pseudonym(world, make_user, login, client):
    login(make_user(Role.ADMIN))
    html = client.get("/tutoring/needs/").content.decode()
    assert world["p1"].short_key in html and "Zoë" not in html and "Geheimnaam" not in html


def test_every_read_is_audited_once(world, make_user, login, client):
    w = world
    k1 = w["p1"].pupil_key
    login(w["cx"])
    run = w["x_run"]
    run_keys = set(run.matches.values_list("need__pupil__pupil_key", flat=True)) | {
        p for p in [w["b1"].pupil_key] if any(u["need"] == w["b_need"].pk for u in run.unmatched)}
    with assert_audited(count=1, subject_type="pupil") as audit:
        assert client.get(f"/tutoring/runs/{run.pk}/").status_code == 200
    assert audit.subjects() == run_keys and run_keys
    with assert_audited(count=1, subject_type="pupil", subjects=[k1]):
        assert client.get(f"/tutoring/matches/{w['m1'].pk}/").status_code == 200
    with assert_audited(count=1, subject_type="pupil", subjects=[k1]):
        assert client.get(f"/tutoring/needs/{w['n1'].pk}/").status_code == 200
    with assert_audited(count=1, subject_type="pupil", subjects=[k1]):
        assert client.get("/tutoring/matches/").status_code == 200
    with assert_audited(count=1, subject_type="pupil", subjects=[k1]):
        assert client.get("/tutoring/needs/").status_code == 200
    with assert_audited(count=0, action="read"):
        assert client.get("/tutoring/runs/").status_code == 200
        assert client.get("/tutoring/reports/").status_code == 200
    login(w["staff"])
    with assert_audited(count=1, subject_type="pupil", subjects=[k1]):
        assert client.get(f"/tutoring/needs/{w['n1'].pk}/").status_code == 200
    with assert_audited(count=1, subject_type="pupil", subjects=[k1]):
        assert client.get(f"/tutoring/matches/{w['m1'].pk}/check-in/").status_code == 200
    login(w["tutor_user"])
    with assert_audited(count=1, subject_type="pupil", subjects=[k1]):
        assert client.get(f"/tutoring/matches/{w['m1'].pk}/check-in/").status_code == 200
