"""The kernel's one transition view, on the support request's action URLs: 404 outside the scope or for an
unknown action, 409 with a clear message on a stale version, 403 with a clear message for a transition the
state or the actor does not allow; the request page shows only the buttons allowed_actions gives."""

import pytest

from leerloopbaan.care.models import RequestEvent, SupportRequest
from leerloopbaan.care.requests import services
from leerloopbaan.kernel import workflow

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def req(care):
    return services.support_request_create(user=care["staff"], school=care["A"], subject_level="pupil", pupil=care["a7"], description="x")


def stored(req):
    return SupportRequest.objects.values_list("status", "version").get(pk=req.pk), RequestEvent.objects.filter(request=req).count()


def test_outside_the_scope_and_unknown_actions_answer_404(care, req, login, client):
    login(care["staff_b"])
    assert client.post(f"/care/requests/{req.pk}/withdraw/", {"version": 1}).status_code == 404
    login(care["coordinator"])
    assert client.post(f"/care/requests/{req.pk}/reopen/", {"version": 1}).status_code == 404
    assert client.get(f"/care/requests/{req.pk}/intake/").status_code == 405
    assert stored(req) == (("new", 1), 1)


def test_a_stale_version_answers_409_with_a_clear_message(care, req, login, client):
    login(care["coordinator"])
    assert client.post(f"/care/requests/{req.pk}/intake/", {"version": 1}).status_code == 302
    before = stored(req)
    response = client.post(f"/care/requests/{req.pk}/close/", {"version": 1, "outcome": "referred"})
    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else changed this request" in html or "Iemand anders" in html
    assert f'href="/care/requests/{req.pk}/"' in html
    assert stored(req) == before


def test_a_transition_the_state_does_not_allow_answers_403_with_a_clear_message(care, req, login, client):
    login(care["coordinator"])
    response = client.post(f"/care/requests/{req.pk}/assign/", {"version": 1, "kind": "offer", "offer": care["offer"].pk})
    assert response.status_code == 403
    html = response.content.decode()
    assert "cannot become" in html or "kan niet" in html
    assert stored(req) == (("new", 1), 1)


def test_an_actor_the_guard_refuses_gets_403(care, req, login, client):
    login(care["staff"])  # the requesting school may withdraw, not take in
    response = client.post(f"/care/requests/{req.pk}/intake/", {"version": 1})
    assert response.status_code == 403
    assert stored(req) == (("new", 1), 1)


def test_the_page_shows_the_buttons_allowed_actions_gives(care, req, login, client):
    assert [t.action for t in workflow.allowed_actions(care["coordinator"], req)] == ["intake", "close"]
    assert [t.action for t in workflow.allowed_actions(care["staff"], req)] == ["withdraw"]
    assert workflow.allowed_actions(care["contact"], req) == []
    login(care["coordinator"])
    html = client.get(f"/care/requests/{req.pk}/").content.decode()
    assert 'id="intake-form"' in html and 'id="close-form"' in html and 'id="withdraw-form"' not in html
    login(care["staff"])
    html = client.get(f"/care/requests/{req.pk}/").content.decode()
    assert 'id="withdraw-form"' in html and 'id="intake-form"' not in html and 'id="close-form"' not in html
