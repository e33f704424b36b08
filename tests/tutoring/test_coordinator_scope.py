"""A tutor coordinator sees the pupils who asked their initiative (or whom their tutors work or worked
with), never the rest of the city's pool; and a need's priority only as a tier, never its number."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from leerloopbaan.kernel.audit.testing import assert_audited
from leerloopbaan.tutoring.matching import selectors as sel
from leerloopbaan.tutoring.matching import services as svc
from leerloopbaan.tutoring.models import TutoringNeed

from .test_needs import activate, consent_on, form_data, make_need, make_tutor
from .test_roles_matching import world  # noqa: F401 (fixture)


@pytest.fixture
def scoped(world):  # noqa: F811
    w = world
    # waiting, priority 1: one asked only Y, one asked only X
    w["y_only"] = make_need(w["a6"], w["A"], subject="maths", priority=1, initiatives=[w["Y"]])
    w["x_only"] = make_need(w["b2"], w["B"], subject="maths", priority=1, initiatives=[w["X"]])
    # asked only Y, but matched with a tutor of X: X's coordinators work with this pupil
    w["y_asked_x_matched"] = make_need(w["b3"], w["B"], subject="maths", initiatives=[w["Y"]])
    w["m_cross"] = activate(w["y_asked_x_matched"], make_tutor(w["X"], "Xena"))
    return w


def visible(user) -> set[int]:
    return set(TutoringNeed.objects.visible_to(user).values_list("pk", flat=True))


def test_the_scope_is_the_initiatives_a_need_asked_or_is_matched_with(scoped):
    w = scoped
    cx, cy = visible(w["cx"]), visible(w["cy"])
    assert w["x_only"].pk in cx and w["x_only"].pk not in cy
    assert w["y_only"].pk in cy and w["y_only"].pk not in cx
    assert w["y_asked_x_matched"].pk in cx  # matched with X's tutor
    assert w["y_asked_x_matched"].pk not in cy  # Y was asked, but the pupil is no longer waiting for Y
    assert w["m_y"].need_id in cy and w["m_y"].need_id not in cx


def test_a_coordinator_of_x_gets_404_for_needs_and_matches_of_y(scoped, login, client):
    w = scoped
    login(w["cx"])
    with assert_audited(count=0, action=None):
        for url in (f"/tutoring/needs/{w['y_only'].pk}/", f"/tutoring/needs/{w['m_y'].need_id}/", f"/tutoring/matches/{w['m_y'].pk}/",
                    f"/tutoring/runs/{w['x_run'].pk}/proposals/override/?need={w['y_only'].pk}"):
            assert client.get(url).status_code == 404, url
        assert client.post(f"/tutoring/matches/{w['m_y'].pk}/end/", {"version": 1, "reason": "goal_reached"}).status_code == 404
    assert client.get(f"/tutoring/needs/{w['x_only'].pk}/").status_code == 200
    assert client.get(f"/tutoring/matches/{w['m_cross'].pk}/").status_code == 200


def test_a_coordinator_never_sees_another_initiatives_pupils_in_lists(scoped, login, client):
    w = scoped
    login(w["cx"])
    with assert_audited(count=1, subject_type="pupil") as audit:
        html = client.get("/tutoring/needs/").content.decode()
    assert w["a6"].pupil_key not in audit.subjects() and w["a4"].pupil_key not in audit.subjects()
    assert w["b2"].pupil_key in audit.subjects()
    assert "Amira6" not in html and "Amira4" not in html and "Bram2" in html
    for status in ("waiting", "matched"):
        assert "Amira6" not in client.get(f"/tutoring/needs/?status={status}").content.decode()
    assert "Amira6" not in client.get(f"/tutoring/runs/{w['x_run'].pk}/").content.decode()
    login(w["cy"])
    html = client.get("/tutoring/needs/").content.decode()
    assert "Amira6" in html and "Bram2" not in html


def test_a_run_matches_only_the_needs_that_asked_its_initiative(scoped):
    w = scoped
    for coordinator, initiative, mine, other in ((w["cx"], w["X"], "x_only", "y_only"), (w["cy"], w["Y"], "y_only", "x_only")):
        make_tutor(initiative, f"Maths{initiative.pk}", capacity=3)
        run = svc.run_create(user=coordinator, initiative=initiative)
        proposed = set(run.matches.values_list("need_id", flat=True))
        considered = proposed | {u["need"] for u in run.unmatched}
        assert w[mine].pk in proposed
        assert w[other].pk not in considered
        assert considered <= visible(coordinator)
        svc.run_discard(user=coordinator, run=run)


def test_coordinators_see_the_priority_as_a_tier_never_the_number(scoped, login, client):
    w = scoped
    login(w["cx"])
    html = client.get(f"/tutoring/needs/{w['x_only'].pk}/").content.decode()
    assert re.search(r'id="need-priority">\s*high\s*<', html)
    pages = [html, client.get("/tutoring/needs/").content.decode(), client.get(f"/tutoring/runs/{w['x_run'].pk}/").content.decode(),
             client.get(f"/tutoring/matches/{w['m1'].pk}/").content.decode(),
             client.get(f"/tutoring/runs/{w['x_run'].pk}/proposals/override/?need={w['x_only'].pk}").content.decode()]
    for page in pages:
        lowered = page.lower()
        assert not re.search(r"priority\s*[0-9]", lowered)
        assert not re.search(r"<td>\s*[123]\s*</td>", lowered)  # no bare priority cell
    assert re.search(r"<td>\s*high\s*</td>", pages[1]) and re.search(r"priority\s+(high|medium|low)", pages[2].lower())
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"
    html = client.get(f"/tutoring/needs/{w['x_only'].pk}/").content.decode()
    assert re.search(r'id="need-priority">\s*hoog\s*<', html)


def test_a_school_asks_one_or_more_initiatives(scoped, login, client):
    w = scoped
    pupil = w["a2"]
    with pytest.raises(svc.MatchingError, match="at least one tutoring initiative"):
        svc.need_create(user=w["staff"], pupil=pupil, subject="maths", consent_by="parent", consent_on=consent_on(), slots=[1],
                        modes=["online"])
    login(w["staff"])
    html = client.post("/tutoring/needs/new/", form_data(pupil, initiatives=[])).content.decode()
    assert "Choose at least one tutoring initiative to ask." in html
    assert not TutoringNeed.objects.filter(pupil=pupil).exists()
    response = client.post("/tutoring/needs/new/", form_data(pupil, initiatives=[str(w["Y"].pk)]))
    assert response.status_code == 302
    need = TutoringNeed.objects.get(pupil=pupil)
    assert set(need.initiatives.all()) == {w["Y"]}
    assert need.pk in visible(w["cy"]) and need.pk not in visible(w["cx"])
    assert need.pk not in {n.need.pk for n in sel.need_list(user=w["cx"])}
