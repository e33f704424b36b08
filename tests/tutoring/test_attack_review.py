"""Attack review of issue 15's city-wide matching: each test reproduces a defect found by trying to break it."""

from __future__ import annotations

import pytest

from leerloopbaan.tutoring.matching import services as svc
from leerloopbaan.tutoring.models import TutoringNeed

from ..factories import ModelRunFactory, RiskScoreFactory
from .test_needs import build_world, give_band, make_need, make_tutor


@pytest.fixture
def world(db, make_user):
    return build_world(make_user)


def test_an_unapproved_runs_stored_score_never_sets_the_priority(world):
    """The priority reads the latest risk score; a later score of an unapproved run (stored before approval
    was enforced, or by a refused training) must not count: the latest score that may be shown does."""
    A = world["A"]
    make_tutor(world["X"], "Uno", max_level=9)
    need = make_need(world["a1"], A, priority=3)
    give_band(world["a1"], "low")  # approved run: low
    enrolment = world["a1"].enrolments.order_by("-start_date").first()
    refused = ModelRunFactory(version="refused", approved=False)
    from leerloopbaan.kernel import clock

    RiskScoreFactory(
        pupil=world["a1"],
        school=enrolment.school,
        reference_date=clock.today(),
        model_run=refused,
        band="high",
        grade=enrolment.grade,
    )
    svc.run_create(user=world["cx"], initiative=world["X"])
    assert TutoringNeed.objects.get(pk=need.pk).priority == 3
    assert svc.need_priority(world["a1"], user=world["cx"]) == 3


def test_the_reports_population_counts_no_band_of_an_unapproved_run(world):
    """The pupils in scope (OKI >= 2 or band medium/high) read the latest band: an unapproved run's does not count."""
    from leerloopbaan.kernel import clock
    from leerloopbaan.tutoring.reports import selectors as reports

    before = sum(reports.population_in_scope(clock.today()).values())
    enrolment = world["a1"].enrolments.order_by("-start_date").first()
    RiskScoreFactory(
        pupil=world["a1"],
        school=enrolment.school,
        reference_date=clock.today(),
        model_run=ModelRunFactory(version="refused", approved=False),
        band="high",
        grade=enrolment.grade,
    )
    assert sum(reports.population_in_scope(clock.today()).values()) == before


def test_the_school_mail_goes_only_to_people_still_at_the_school(
    world, make_user, django_capture_on_commit_callbacks
):
    """The need was entered by a staff member of School A who has since moved to School B, and by nobody
    else: they may no longer see A's pupils, so A's mail (how many of its pupils got a tutor) is not theirs.
    A CLB worker of A's CLB who entered a need still gets it."""
    import datetime

    from django.core import mail

    from leerloopbaan.accounts.models import Membership
    from leerloopbaan.accounts.roles import Role
    from leerloopbaan.kernel import clock

    moved = make_user(Role.SCHOOL_STAFF, school=world["A"])
    Membership.objects.filter(user=moved).update(end_date=clock.today() - datetime.timedelta(days=1))
    Membership.objects.create(user=moved, kind="school", school=world["B"], start_date=clock.today())
    first = make_need(world["a1"], world["A"], created_by=moved)
    second = make_need(world["a2"], world["A"], created_by=world["clb"])
    make_tutor(world["X"], "Xavi")
    make_tutor(world["X"], "Xena")
    run = svc.run_create(user=world["cx"], initiative=world["X"])
    for m in run.matches.all():
        svc.match_accept(user=world["cx"], match=m, version=m.version)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        svc.run_publish(user=world["cx"], run=run)
    to = {m.to[0] for m in mail.outbox if "School A" in m.subject}
    assert {first.pk, second.pk} == set(run.matches.values_list("need_id", flat=True))
    assert world["staff"].email in to and world["clb"].email in to
    assert moved.email not in to
