"""Conflicts of interest: the coordinator records the schools where a tutor works or has children,
and the engine never proposes that tutor for pupils of those schools."""

from __future__ import annotations

import pytest

from leerloopbaan.kernel.audit.models import AuditEntry
from leerloopbaan.kernel.audit.testing import assert_audited
from leerloopbaan.tutoring.matching import services as services_matching
from leerloopbaan.tutoring.models import Match

from .test_needs import build_world, make_need, make_tutor

pytestmark = pytest.mark.django_db


def test_coordinator_sets_a_conflict_school_and_the_engine_respects_it(make_user, login, client):
    w = build_world(make_user)
    tutor = make_tutor(w["X"], "Tina")
    tutor.postcode = "2100"
    tutor.save(update_fields=["postcode"])
    need = make_need(w["a1"], w["A"])
    c = login(w["cx"])
    page = c.get(f"/tutoring/tutors/{tutor.pk}/profile/")
    assert page.status_code == 200 and b"conflict_schools" in page.content
    form = page.context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k != "conflict_schools"}
    post = {}
    for k, v in data.items():
        post[k] = [str(x) for x in v] if isinstance(v, list | tuple) else str(v)
    post["conflict_schools"] = [str(w["A"].pk)]
    for name in form.fields:
        if name.startswith("subject_") and name not in post:
            post[name] = ""
    with assert_audited(count=None, action="update", subject_type="tutor"):
        response = c.post(f"/tutoring/tutors/{tutor.pk}/profile/", post)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    assert list(tutor.conflict_schools.all()) == [w["A"]]
    assert AuditEntry.objects.filter(action="update", purpose="tutor conflicts of interest").count() == 1
    run = services_matching.run_create(user=w["cx"], initiative=w["X"])
    assert not Match.objects.filter(run=run, need=need, tutor=tutor).exists()
    # without the conflict the same pair is proposed: the test can fail
    tutor.conflict_schools.clear()
    run = services_matching.run_create(user=w["cx"], initiative=w["X"])
    assert Match.objects.filter(run=run, need=need, tutor=tutor).exists()


def test_only_the_initiatives_coordinator_sets_conflicts(make_user):
    from django.core.exceptions import PermissionDenied

    from leerloopbaan.tutoring.tutors.services import tutor_conflicts_set

    w = build_world(make_user)
    tutor = make_tutor(w["X"], "Tina")
    with pytest.raises(PermissionDenied):
        tutor_conflicts_set(user=w["cy"], tutor=tutor, schools=[w["A"]])
    assert not tutor.conflict_schools.exists()
