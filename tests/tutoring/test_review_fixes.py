"""Finding of the privacy review: a proposal or a simulation never widens a coordinator's scope, and a
pupil matched by another initiative shows no name of that initiative's tutor."""

from __future__ import annotations

import pytest

from leerloopbaan.tutoring.matching import selectors as sel
from leerloopbaan.tutoring.matching import services as svc
from leerloopbaan.tutoring.models import Match, TutoringNeed

from .test_needs import activate, build_world, make_need, make_tutor

pytestmark = pytest.mark.django_db


def test_a_simulation_does_not_keep_a_pupil_in_the_coordinators_scope(make_user, login, client):
    w = build_world(make_user)
    make_tutor(w["X"], "Xavier")
    need = make_need(w["a1"], w["A"])
    run = svc.run_create(user=w["cx"], initiative=w["X"], simulation=True)
    assert Match.objects.filter(run=run, need=need).exists()  # X's tutor was proposed in the simulation
    y_tutor = make_tutor(w["Y"], "Yannick")
    y_tutor.last_name = "Ypsilon"
    y_tutor.save(update_fields=["last_name"])
    activate(need, y_tutor)
    assert TutoringNeed.objects.get(pk=need.pk).status == "matched"
    assert need.pk not in set(sel.need_scope(w["cx"]).values_list("pk", flat=True))
    login(w["cx"])
    assert client.get(f"/tutoring/needs/{need.pk}/").status_code == 404
    html = client.get("/tutoring/needs/").content.decode()
    assert "Ypsilon" not in html and "Amira1" not in html
    # Y's own coordinator sees its tutor by full name
    assert sel.tutor_label(w["cy"], y_tutor) == "Yannick Ypsilon"
    assert "Ypsilon" not in sel.tutor_label(w["cx"], y_tutor)


def test_match_and_run_pages_name_the_tutors_shown_in_the_audit(make_user, login, client):
    from leerloopbaan.kernel.audit.testing import assert_audited
    w = build_world(make_user)
    tutor = make_tutor(w["X"], "Xavier")
    match = activate(make_need(w["a1"], w["A"]), tutor)
    login(w["cx"])
    with assert_audited(count=1, subject_type="tutor") as audit:
        assert client.get(f"/tutoring/matches/{match.pk}/").status_code == 200
    assert f"tutor:{tutor.pk}" in audit.subjects()
    make_need(w["a2"], w["A"])
    run = svc.run_create(user=w["cx"], initiative=w["X"])
    with assert_audited(count=1, subject_type="tutor") as audit:
        assert client.get(f"/tutoring/runs/{run.pk}/").status_code == 200
    assert f"tutor:{tutor.pk}" in audit.subjects()
