"""One matching for the city (issue 15, item 7): every run is one solve over all initiatives, each with its
tutors, weights, rules and capacity; a pupil gets at most one proposal; a re-match counts capacity once;
the priority is recomputed at every run and waiting time counts; published matches are mailed.

Each test of a defect found in the review fails on the per-initiative matching it replaces."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied

from leerloopbaan.accounts.roles import Role
from leerloopbaan.kernel import clock
from leerloopbaan.kernel.audit.testing import assert_audited
from leerloopbaan.tutoring.matching import selectors as sel
from leerloopbaan.tutoring.matching import services as svc
from leerloopbaan.tutoring.models import Match, MatchRun, Tutor, TutoringNeed

from .test_needs import activate, build_world, give_band, make_need, make_tutor


@pytest.fixture
def world(db, make_user):
    return build_world(make_user)


def pairs(run: MatchRun) -> dict[int, int]:
    return dict(run.matches.filter(status=Match.Status.PROPOSED).values_list("need_id", "tutor_id"))


def days_ago(n: int) -> datetime.datetime:
    return clock.now() - datetime.timedelta(days=n)


def visible(user) -> set[int]:
    return set(TutoringNeed.objects.visible_to(user).values_list("pk", flat=True))


# --- one solve, one proposal per pupil -----------------------------------------------------------------


def test_two_initiatives_never_propose_the_same_pupil(world):
    """Both pupils asked Y, the first also X. Per initiative, X proposed the first pupil and Y proposed the
    first pupil again (and left the second waiting); one solve gives each pupil one tutor."""
    X, Y, A = world["X"], world["Y"], world["A"]
    both = make_need(world["a1"], A)  # asked X and Y
    only_y = make_need(world["a2"], A, initiatives=[Y])
    tx, ty = make_tutor(X, "Xavi"), make_tutor(Y, "Yves")
    x_run = svc.run_create(user=world["cx"], initiative=X)
    y_run = svc.run_create(user=world["cy"], initiative=Y)
    assert pairs(x_run) == {both.pk: tx.pk}
    assert pairs(y_run) == {only_y.pk: ty.pk}
    assert Match.objects.filter(need=both, status="proposed", run__status="draft").count() == 1
    # Y's run says how many of its pupils another initiative proposes, without naming them or the tutor
    assert y_run.stats["elsewhere"] == 1 and both.pk not in {u["need"] for u in y_run.unmatched}
    # X runs again: Y's open proposal holds its pupil and its tutor's place, X's own draft is replaced
    again = svc.run_create(user=world["cx"], initiative=X)
    assert pairs(again) == {both.pk: tx.pk} and MatchRun.objects.get(pk=x_run.pk).status == "discarded"
    assert pairs(MatchRun.objects.get(pk=y_run.pk)) == {only_y.pk: ty.pk}


def test_a_pupil_only_another_initiatives_tutor_can_teach_is_matched_there(world, login, client):
    """The pupil asked X, only Y has a French tutor. Per initiative the pupil waited; now Y's tutor takes the
    pupil when Y's rules admit pupils who asked another initiative."""
    X, Y, A = world["X"], world["Y"], world["A"]
    need = make_need(world["a1"], A, subject="french", initiatives=[X])
    make_tutor(X, "Xavi", subjects=("maths",))
    ty = make_tutor(Y, "Yves", subjects=("french",))
    Y.rules = {"open": True}  # Y also takes pupils who asked another initiative
    Y.save()
    x_run = svc.run_create(user=world["cx"], initiative=X)
    y_run = svc.run_create(user=world["cy"], initiative=Y)
    assert pairs(y_run) == {need.pk: ty.pk}
    assert pairs(x_run) == {} and x_run.unmatched == [] and x_run.stats["elsewhere"] == 1
    # Y's coordinators review the proposal: the pupil is in their scope while proposed in their draft ...
    assert need.pk in visible(world["cy"])
    login(world["cy"])
    assert "Amira1" in client.get(f"/tutoring/runs/{y_run.pk}/").content.decode()
    # ... X's coordinator sees no name of Y's tutor and no proposal of Y
    login(world["cx"])
    assert client.get(f"/tutoring/runs/{y_run.pk}/").status_code == 404
    assert "Yves" not in client.get(f"/tutoring/runs/{x_run.pk}/").content.decode()
    # published: an active match of Y's tutor
    m = y_run.matches.get()
    svc.match_accept(user=world["cy"], match=m, version=m.version)
    svc.run_publish(user=world["cy"], run=y_run)
    assert Match.objects.get(need=need, status="active").tutor == ty


def test_an_initiatives_rules_decide_which_pupils_its_tutors_take(world):
    X, Y, A = world["X"], world["Y"], world["A"]
    need = make_need(world["a1"], A, subject="french", initiatives=[X])
    make_tutor(X, "Xavi", subjects=("maths",))
    make_tutor(Y, "Yves", subjects=("french",))
    # Y takes only pupils who asked Y (no rules): the pupil waits, and X's run says why
    run = svc.run_create(user=world["cx"], initiative=X)
    (u,) = run.unmatched
    assert (u["need"], u["reason"], u["detail"]["subject"], u["detail"]["initiative"]) == (
        need.pk,
        "no_eligible_tutor",
        1,
        1,
    )
    # Y takes pupils who asked another initiative, but only in primary school (or only in Hoboken): still no
    for rules in (
        {"open": True, "age_groups": ["primary"]},
        {"open": True, "districts": ["Hoboken"]},
        {"open": True, "subjects": ["maths"]},
    ):
        Y.rules = rules
        Y.save()
        assert pairs(svc.run_create(user=world["cy"], initiative=Y)) == {}, rules
    Y.rules = {
        "open": True,
        "age_groups": ["lower_secondary"],
        "districts": ["Deurne"],
        "subjects": ["french"],
    }
    Y.save()
    assert set(pairs(svc.run_create(user=world["cy"], initiative=Y))) == {need.pk}


def test_a_discarded_draft_no_longer_widens_the_scope(world):
    X, Y, A = world["X"], world["Y"], world["A"]
    Y.rules = {"open": True}
    Y.save()
    need = make_need(world["a1"], A, subject="french", initiatives=[X])
    make_tutor(Y, "Yves", subjects=("french",))
    y_run = svc.run_create(user=world["cy"], initiative=Y)
    assert need.pk in visible(world["cy"])
    svc.run_discard(user=world["cy"], run=y_run)
    assert need.pk not in visible(world["cy"])
    sim = svc.run_create(user=world["cy"], initiative=Y, simulation=True)
    assert pairs(sim) == {need.pk: Tutor.objects.get(first_name="Yves").pk}
    assert need.pk not in visible(world["cy"])  # a simulation does not widen the scope ...
    assert sel.run_get(user=world["cy"], pk=sim.pk).proposals == []  # ... and does not show the pupil


def test_each_initiative_keeps_its_weights_and_its_capacity_in_the_one_solve(world):
    X, Y, A = world["X"], world["Y"], world["A"]
    Y.capacity = 1
    Y.weights = {"subject": 0, "level": 0, "distance": 0, "language": 0, "quality": 1}
    Y.save()
    needs = [make_need(world[f"a{i}"], A) for i in (1, 2, 3)]
    ty = make_tutor(Y, "Yves", capacity=3)
    tx = make_tutor(X, "Xavi", capacity=1)
    y_run = svc.run_create(user=world["cy"], initiative=Y)
    assert len(pairs(y_run)) == 1 and set(pairs(y_run).values()) == {ty.pk}  # Y's capacity: one new match
    assert y_run.stats["max_points"] == {
        "subject": 0,
        "level": 0,
        "distance": 0,
        "language": 0,
        "quality": 100,
    }
    m = y_run.matches.get()
    assert (
        m.explanation["criteria"]["quality"] == 50 and m.score == 50
    )  # Y's weights: quality only (neutral 0.5)
    x_run = svc.run_create(user=world["cx"], initiative=X)
    assert set(pairs(x_run).values()) == {tx.pk} and set(pairs(x_run)) | set(pairs(y_run)) < {
        n.pk for n in needs
    }


# --- the city run: who starts it, what each side sees -------------------------------------------------------


def test_the_city_run_writes_one_draft_per_initiative(world, make_user, login, client):
    X, Y, A = world["X"], world["Y"], world["A"]
    n1, n2 = make_need(world["a1"], A), make_need(world["a2"], A, subject="french")
    tx, ty = make_tutor(X, "Xavi"), make_tutor(Y, "Yves", subjects=("french",))
    old = svc.run_create(user=world["cx"], initiative=X)
    m = old.matches.get()
    svc.match_accept(user=world["cx"], match=m, version=m.version)
    pm = make_user(Role.PROGRAMME_MANAGER)
    for user in (world["cx"], world["staff"], make_user(Role.CITY_ANALYST)):
        with pytest.raises(PermissionDenied):
            svc.run_city(user=user)
    done = svc.run_city(user=pm)
    assert (done.needs, done.matched, len(done.runs)) == (2, 2, 2)
    x_run, y_run = (MatchRun.objects.get(initiative=i, status="draft") for i in (X, Y))
    assert pairs(x_run) == {n1.pk: tx.pk} and pairs(y_run) == {n2.pk: ty.pk}
    assert x_run.stats["city"] == y_run.stats["city"] and x_run.stats["replaced"] == old.pk
    assert x_run.matches.get().reviewed_at is not None  # the review of the replaced draft carries over
    # the programme manager sees numbers only: no pupil, no tutor, no run page
    login(pm)
    with assert_audited(count=0, action=None):
        html = client.get("/tutoring/runs/city/").content.decode()
        assert client.get(f"/tutoring/runs/{x_run.pk}/").status_code in (403, 404)
    assert 'id="city-waiting">2<' in html and "Amira" not in html and "Xavi" not in html
    assert client.post("/tutoring/runs/city/").status_code == 302
    # coordinators: their own draft only; no city run
    login(world["cx"])
    assert client.get("/tutoring/runs/city/").status_code == 403
    html = client.get(f"/tutoring/runs/{x_run.pk}/").content.decode()
    assert "Amira1" in html and "Amira2" not in html and "Yves" not in html


# --- re-match with a capacity -----------------------------------------------------------------------------


def test_a_capped_rematch_keeps_every_match_and_proposes_for_the_freed_place(world):
    """X has capacity 3 and three active matches; one tutor leaves. Per initiative the kept matches took their
    places twice: the re-match proposed nothing (and moved a kept pupil out); now it proposes the spare tutor."""
    X, A, cx = world["X"], world["A"], world["cx"]
    X.capacity = 3
    X.save()
    leaving, t1, t2 = make_tutor(X, "Leaver"), make_tutor(X, "Tia"), make_tutor(X, "Tom")
    n1, n2, n3 = (make_need(world[f"a{i}"], A) for i in (1, 2, 3))
    for n, t in ((n1, leaving), (n2, t1), (n3, t2)):
        activate(n, t)
    svc.matches_end_for_tutor(user=cx, tutor=leaving, reason="Verhuisd")
    Tutor.objects.filter(pk=leaving.pk).update(status=Tutor.Status.LEFT)
    spare = make_tutor(X, "Sam")
    run = svc.run_rematch(user=cx, initiative=X)
    assert pairs(run) == {n1.pk: spare.pk}
    assert run.stats["kept"] == 2 and not [w for w in run.stats["warnings"] if "re-assigned" in w]
    for m in run.matches.all():
        svc.match_accept(user=cx, match=m, version=m.version)
    report = svc.run_publish(user=cx, run=run)
    assert [m.need_id for m in report.activated] == [n1.pk] and not report.skipped
    assert dict(Match.objects.filter(status="active").values_list("need_id", "tutor_id")) == {
        n1.pk: spare.pk,
        n2.pk: t1.pk,
        n3.pk: t2.pk,
    }


# --- priority and waiting time ------------------------------------------------------------------------------


@pytest.fixture
def one_place(world):
    """One maths tutor of X up to S3 (level 9): an S1 pupil (level 7) scores 7 points more than an S2 pupil."""
    return make_tutor(world["X"], "Uno", max_level=9)


def test_the_priority_is_recomputed_from_the_latest_risk_score_at_every_run(world, one_place):
    A = world["A"]
    risky = make_need(world["a1"], A, level=8, priority=3)  # entered when the pupil had no risk score
    other = make_need(world["a2"], A, level=7, priority=3)  # a better pair, no risk
    give_band(world["a1"], "high")  # scored high after the need was entered
    run = svc.run_create(user=world["cx"], initiative=world["X"])
    assert pairs(run) == {risky.pk: one_place.pk}
    assert (
        TutoringNeed.objects.get(pk=risky.pk).priority == 1
        and TutoringNeed.objects.get(pk=other.pk).priority == 3
    )
    assert run.matches.get().explanation["details"]["priority"] == 1
    # the band drops again: the next run follows it
    give_band(world["a1"], "low")
    give_band(world["a2"], "medium")
    assert pairs(svc.run_create(user=world["cx"], initiative=world["X"])) == {other.pk: one_place.pk}
    assert TutoringNeed.objects.get(pk=risky.pk).priority == 3


def test_a_simulation_recomputes_the_priority_without_storing_it(world, one_place):
    need = make_need(world["a1"], world["A"], priority=3)
    give_band(world["a1"], "high")
    sim = svc.run_create(user=world["cx"], initiative=world["X"], simulation=True)
    assert sim.matches.get().explanation["details"]["priority"] == 1
    assert TutoringNeed.objects.get(pk=need.pk).priority == 3


def test_waiting_time_counts(world, one_place):
    """Six weeks of waiting (12 points) outweigh a pair 7 points better; per initiative the newcomer got the tutor."""
    A = world["A"]
    waited = make_need(world["a1"], A, level=8, created_at=days_ago(42))
    newcomer = make_need(world["a2"], A, level=7)
    run = svc.run_create(user=world["cx"], initiative=world["X"])
    assert pairs(run) == {waited.pk: one_place.pk}
    details = run.matches.get().explanation["details"]
    assert (details["waiting_days"], details["waiting_points"]) == (42, 12)
    assert run.objective["waiting"] == 12
    assert newcomer.pk in {u["need"] for u in run.unmatched}


def test_a_long_wait_raises_the_priority_so_nobody_waits_forever(world, one_place):
    """Eight weeks of waiting raise a low priority to medium: the waiting pupil comes before a medium-risk
    newcomer (per initiative the newcomer's frozen tier won)."""
    A = world["A"]
    waited = make_need(world["a1"], A, created_at=days_ago(60))
    give_band(world["a2"], "medium")
    newcomer = make_need(world["a2"], A, priority=2)
    run = svc.run_create(user=world["cx"], initiative=world["X"])
    assert pairs(run) == {waited.pk: one_place.pk}
    assert (
        TutoringNeed.objects.get(pk=waited.pk).priority == 2
        and TutoringNeed.objects.get(pk=newcomer.pk).priority == 2
    )
    assert (
        svc.priority_of(None, 0, 0) == 3
        and svc.priority_of(None, 0, 56) == 2
        and svc.priority_of(None, 0, 200) == 1
    )
    assert svc.priority_of("medium", 3, 0) == 1 and svc.priority_of("high", 0, 400) == 1


# --- messages -----------------------------------------------------------------------------------------------


def test_published_matches_are_mailed_to_the_tutors_and_the_schools(
    world, django_capture_on_commit_callbacks
):
    need = make_need(world["a1"], world["A"])
    tutor = make_tutor(world["X"], "Xavi")
    run = svc.run_create(user=world["cx"], initiative=world["X"])
    m = run.matches.get()
    svc.match_accept(user=world["cx"], match=m, version=m.version)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        svc.run_publish(user=world["cx"], run=run)
    assert TutoringNeed.objects.get(pk=need.pk).status == "matched"
    by_to = {m.to[0]: m for m in mail.outbox}
    assert set(by_to) == {tutor.email, world["staff"].email}
    to_tutor, to_school = by_to[tutor.email], by_to[world["staff"].email]
    # Dutch first: neither has chosen a language
    assert to_tutor.subject == "Je hebt een nieuwe leerling om te begeleiden"
    assert "/tutoring/me/pupils/" in to_tutor.body and "wiskunde" in to_tutor.body
    assert to_school.subject == "Leerlingen van School A hebben een tutor"
    assert "1 leerling(en) van School A" in to_school.body
    for message in mail.outbox:  # no names in mail
        assert "Amira" not in message.body and "Alphalast" not in message.body
    # in the recipient's own language when they chose one
    world["staff"].language = "en"
    world["staff"].save(update_fields=["language"])
    other = make_need(world["a2"], world["A"])
    make_tutor(world["X"], "Xena")
    run = svc.run_create(user=world["cx"], initiative=world["X"])
    m = run.matches.get(need=other)
    svc.match_accept(user=world["cx"], match=m, version=m.version)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        svc.run_publish(user=world["cx"], run=run)
    assert [x.subject for x in mail.outbox if x.to == [world["staff"].email]] == [
        "Pupils of School A got a tutor"
    ]


def test_a_coordinator_sets_the_rules_of_their_initiative(world, login, client):
    from django.core.exceptions import ValidationError

    from leerloopbaan.tutoring.models import Initiative
    from leerloopbaan.tutoring.tutors import services as tutor_services

    X = world["X"]
    login(world["cx"])
    url = f"/tutoring/initiatives/{X.pk}/edit/"
    assert 'id="initiative-rules"' in client.get(url).content.decode()
    data = {
        "version": X.version,
        "weight_subject": 25,
        "weight_level": 20,
        "weight_distance": 20,
        "weight_language": 15,
        "weight_quality": 20,
        "capacity": "",
        "rule_open": "on",
        "rule_age_groups": ["primary"],
        "rule_districts": ["Deurne", "Hoboken"],
    }
    assert client.post(url, data).status_code == 302
    x = Initiative.objects.get(pk=X.pk)
    assert x.rules == {"open": True, "age_groups": ["primary"], "districts": ["Deurne", "Hoboken"]}
    assert (
        'value="primary"' in client.get(url).content.decode()
        and "checked" in client.get(url).content.decode()
    )
    with pytest.raises(tutor_services.TutorError, match="age_groups"):
        tutor_services.initiative_settings_update(
            user=world["cx"],
            initiative=x,
            version=x.version,
            weights={"subject": 1},
            capacity=None,
            rules={"age_groups": ["toddlers"]},
        )
    with pytest.raises(PermissionDenied):
        tutor_services.initiative_settings_update(
            user=world["cy"], initiative=x, version=x.version, weights={"subject": 1}, capacity=None, rules={}
        )
    x.rules = {"open": "yes"}
    with pytest.raises(ValidationError):
        x.full_clean()
