"""Matching on the database: runs, simulations, review (accept, reject, never again, override), publish,
discard and re-match after a tutor left."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from leerloopbaan.accounts.roles import Role
from leerloopbaan.kernel import clock
from leerloopbaan.kernel.audit.testing import assert_audited
from leerloopbaan.tutoring.matching import services as svc
from leerloopbaan.tutoring.models import Match, MatchExclusion, MatchRun, Tutor, TutoringNeed
from tests.factories import PeerReviewFactory

from .test_needs import activate, build_world, give_band, make_need, make_tutor


@pytest.fixture
def world(db, make_user):
    return build_world(make_user)


def pairs(run: MatchRun, status=Match.Status.PROPOSED) -> dict[int, int]:
    return dict(run.matches.filter(status=status).values_list("need_id", "tutor_id"))


def accept_all(user, run: MatchRun):
    for m in run.matches.filter(status=Match.Status.PROPOSED):
        svc.match_accept(user=user, match=m, version=m.version)


@pytest.fixture
def case(world):
    """The hand-made case: greedy would give the maths pupil the strong maths+French tutor and leave the
    French pupil without one; the optimum matches both. Plus a priority contest (a4's EWS band is high) and a
    pupil nobody can tutor (asked X only; Y's reading tutor does not take pupils who did not ask Y)."""
    X, Y, A = world["X"], world["Y"], world["A"]
    give_band(world["a4"], "high")
    c = {
        "n_maths": make_need(world["a1"], A, subject="maths"),
        "n_french": make_need(world["a2"], A, subject="french"),
        "n_low": make_need(world["a3"], A, subject="science", priority=3),
        "n_high": make_need(world["a4"], A, subject="science", priority=1),
        "n_none": make_need(world["a5"], A, subject="reading", initiatives=[X]),
        "t_both": make_tutor(X, "Bo", subjects=("maths", "french")),
        "t_maths": make_tutor(X, "Mo", subjects=("maths",)),
        "t_science": make_tutor(X, "Sci", subjects=("science",)),
        "t_paused": make_tutor(X, "Pau", subjects=("reading",), status=Tutor.Status.PAUSED),
        "t_other": make_tutor(Y, "Yan", subjects=("reading", "maths", "french"), capacity=3),
    }
    PeerReviewFactory(tutor=c["t_both"], reviewer=world["cx"], score=5)
    return c


def test_a_run_proposes_the_optimal_pairs(world, case):
    cx = world["cx"]
    with assert_audited(count=1, action="create", subject_type="pupil") as audit:
        run = svc.run_create(user=cx, initiative=world["X"])
    assert run.status == MatchRun.Status.DRAFT and run.initiative == world["X"]
    assert pairs(run) == {case["n_maths"].pk: case["t_maths"].pk, case["n_french"].pk: case["t_both"].pk,
                          case["n_high"].pk: case["t_science"].pk}
    assert audit.subjects() == {world["a1"].pupil_key, world["a2"].pupil_key, world["a4"].pupil_key}
    # every proposal explains itself: points per criterion summing to the score, and the facts
    for m in run.matches.all():
        assert sum(m.explanation["criteria"].values()) == m.score > 0
        assert set(m.explanation["criteria"]) == {"subject", "level", "distance", "language", "quality"}
        assert m.explanation["details"]["shared_slots"] == [1] and m.mode == "online"
    assert run.stats["max_points"] == {"subject": 25, "level": 20, "distance": 20, "language": 15, "quality": 20}
    reasons = {u["need"]: u["reason"] for u in run.unmatched}
    assert reasons == {case["n_low"].pk: "tutors_full", case["n_none"].pk: "no_eligible_tutor"}
    none = next(u for u in run.unmatched if u["need"] == case["n_none"].pk)
    # the city's active tutors: X's three do not teach reading (the paused one is not in the run), Y's takes only
    # pupils who asked Y
    assert (none["detail"]["tutors"], none["detail"]["subject"], none["detail"]["initiative"]) == (4, 3, 1)
    assert run.objective["matched"] == 3 and run.objective["matched_by_priority"] == {"1": 1, "2": 0, "3": 2}
    # nothing is active before publishing
    assert not Match.objects.filter(status=Match.Status.ACTIVE).exists()
    assert set(TutoringNeed.objects.values_list("status", flat=True)) == {"waiting"}


def test_run_pages_show_proposals_with_their_explanation(world, case, login, client):
    login(world["cx"])
    response = client.post("/tutoring/runs/new/", {"initiative": world["X"].pk, "subject": 25, "level": 20, "distance": 20, "language": 15,
                                                   "quality": 20})
    run = MatchRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/tutoring/runs/{run.pk}/"
    html = client.get(response["Location"]).content.decode()
    assert "Amira1" in html and "Alphalast" not in html  # coordinators: first name only
    assert "Mo Tutorlast" in html and "score" in html and "25/25" in html
    assert "no tutor in the city meets the rules" in html and "the suitable tutors are full" in html
    assert html.count(f'action="/tutoring/runs/{run.pk}/proposals/accept/"') == 3
    # the weights form is prefilled with the initiative's weights
    world["X"].weights = {"distance": 35, "quality": 5}
    world["X"].save()
    html = client.get(f"/tutoring/runs/new/?initiative={world['X'].pk}").content.decode()
    assert 'name="distance" value="35"' in html and 'name="quality" value="5"' in html and 'name="subject" value="25"' in html
    html = client.post("/tutoring/runs/new/", {"initiative": world["X"].pk, "subject": 0, "level": 0, "distance": 0, "language": 0,
                                               "quality": 0}).content.decode()
    assert "Give at least one criterion a weight above 0" in html and MatchRun.objects.count() == 1


def test_initiative_capacity_limits_new_matches(world, case):
    world["X"].capacity = 1
    world["X"].save()
    world["Y"].active = False  # else Y's tutor takes the maths and French pupils X has no place for
    world["Y"].save()
    run = svc.run_create(user=world["cx"], initiative=world["X"])
    assert list(pairs(run)) == [case["n_high"].pk]  # priority 1 first
    assert {u["reason"] for u in run.unmatched if u["need"] in (case["n_maths"].pk, case["n_french"].pk)} == {"initiative_full"}


@pytest.fixture
def near_far(world):
    """One maths pupil; a tutor close by (not reviewed) and a far-away, online-only tutor with the best reviews."""
    need = make_need(world["a1"], world["A"], subject="maths", modes=("online", "offline"))
    near = make_tutor(world["X"], "Near", district="Deurne")
    far = make_tutor(world["X"], "Far", district="Hoboken", modes=("online",))
    PeerReviewFactory(tutor=far, reviewer=world["cx"], score=5)
    return need, near, far


def test_simulation_changes_nothing(world, near_far, login, client):
    need, near, far = near_far
    other_need = make_need(world["a6"], world["A"], subject="maths")
    published = activate(other_need, make_tutor(world["X"], "Old"))
    cx = world["cx"]
    draft = svc.run_create(user=cx, initiative=world["X"], weights={"subject": 0, "level": 0, "distance": 100, "language": 0, "quality": 0})
    assert pairs(draft) == {need.pk: near.pk}
    accept_all(cx, draft)
    before = list(Match.objects.order_by("pk").values_list("pk", "status", "tutor_id", "reviewed_at", "version"))
    login(cx)
    response = client.post("/tutoring/runs/new/", {"initiative": world["X"].pk, "subject": 0, "level": 0, "distance": 0, "language": 0,
                                                   "quality": 100, "simulation": "on"})
    sim = MatchRun.objects.get(status=MatchRun.Status.SIMULATION)
    assert response["Location"] == f"/tutoring/runs/{sim.pk}/"
    assert pairs(sim) == {need.pk: far.pk}
    # nothing changed: the draft, its reviews, the active match, the needs
    assert list(Match.objects.exclude(run=sim).order_by("pk").values_list("pk", "status", "tutor_id", "reviewed_at", "version")) == before
    assert MatchRun.objects.get(pk=draft.pk).status == MatchRun.Status.DRAFT
    assert TutoringNeed.objects.get(pk=need.pk).status == "waiting"
    assert list(Match.objects.filter(status="active")) == [published]
    html = client.get(response["Location"]).content.decode()
    assert "the current draft" in html and f"(#{draft.pk})" in html
    assert 'id="comparison-moved">1<' in html  # one pupil would get another tutor
    assert 'id="publish-form"' not in html
    # a simulation cannot be published or reviewed
    assert client.post(f"/tutoring/runs/{sim.pk}/publish/").status_code == 302
    assert MatchRun.objects.get(pk=sim.pk).status == MatchRun.Status.SIMULATION
    with pytest.raises(svc.MatchingError):
        svc.run_publish(user=cx, run=sim)
    assert not Match.objects.filter(run=sim, status="active").exists()


def test_simulation_comparison_figures(world, near_far):
    need, near, far = near_far
    cx = world["cx"]
    svc.run_create(user=cx, initiative=world["X"], weights={"distance": 100, "quality": 0, "subject": 0, "level": 0, "language": 0})
    sim = svc.run_create(user=cx, initiative=world["X"], simulation=True,
                         weights={"distance": 0, "quality": 100, "subject": 0, "level": 0, "language": 0})
    from leerloopbaan.tutoring.matching.selectors import compare_with_baseline

    c = compare_with_baseline(sim)
    assert c["kind"] == "draft" and c["other_tutor"] == 1
    assert c["matched"] == {"simulation": 1, "baseline": 1, "difference": 0}
    assert c["per_priority"][2] == {"priority": 3, "simulation": 1, "baseline": 1, "difference": 0}


def test_publish_activates_the_accepted_proposals_only(world, case, login, client):
    cx = world["cx"]
    run = svc.run_create(user=cx, initiative=world["X"])
    m_maths = run.matches.get(need=case["n_maths"])
    m_french = run.matches.get(need=case["n_french"])
    m_high = run.matches.get(need=case["n_high"])
    svc.match_accept(user=cx, match=m_maths, version=m_maths.version)
    svc.match_reject(user=cx, match=m_high, version=m_high.version, reason="Ouders willen iemand anders")
    with pytest.raises(svc.Conflict):
        svc.match_accept(user=cx, match=m_maths, version=m_maths.version)  # stale version
    login(cx)
    response = client.post(f"/tutoring/runs/{run.pk}/publish/", follow=True)
    html = response.content.decode()
    assert "Published: 1 matches are active now." in html and "1 proposals were not reviewed and were left out." in html
    m_maths.refresh_from_db(), m_french.refresh_from_db(), m_high.refresh_from_db()
    assert (m_maths.status, m_maths.started_on) == ("active", clock.today())
    assert m_french.status == "proposed" and m_high.status == "rejected"
    assert TutoringNeed.objects.get(pk=case["n_maths"].pk).status == "matched"
    assert TutoringNeed.objects.get(pk=case["n_french"].pk).status == "waiting"
    run.refresh_from_db()
    assert run.status == "published" and run.published_by == cx and run.stats["published"]["activated"] == 1
    # once only
    with pytest.raises(svc.MatchingError, match="published or discarded already"):
        svc.run_publish(user=cx, run=run)
    with pytest.raises(svc.MatchingError):
        svc.match_accept(user=cx, match=m_french, version=m_french.version)


def test_a_need_matched_meanwhile_by_another_initiative_is_skipped(world, case, login, client):
    cx = world["cx"]
    run = svc.run_create(user=cx, initiative=world["X"])
    accept_all(cx, run)
    # Y's run never proposes a pupil X's draft proposes (one proposal per pupil in the city) ...
    y_run = svc.run_create(user=world["cy"], initiative=world["Y"])
    assert case["n_maths"].pk not in pairs(y_run)
    # ... but a match can still arrive from elsewhere before X publishes (here: made directly)
    activate(case["n_maths"], case["t_other"])
    login(cx)
    html = client.post(f"/tutoring/runs/{run.pk}/publish/", follow=True).content.decode()
    assert "Amira1 (School A): skipped, matched meanwhile by another initiative." in html
    assert Match.objects.get(need=case["n_maths"], status="active").tutor == case["t_other"]
    assert run.matches.get(need=case["n_maths"]).status == "proposed"
    assert Match.objects.filter(run=run, status="active").count() == 2


def test_override_with_a_reason_and_the_fixed_pair_carries_into_the_next_run(world, case, login, client):
    cx = world["cx"]
    run = svc.run_create(user=cx, initiative=world["X"])
    assert pairs(run)[case["n_maths"].pk] == case["t_maths"].pk
    t_new = make_tutor(world["X"], "Nina", subjects=("maths",))  # joins after the run
    with pytest.raises(svc.MatchingError, match="reason"):
        svc.match_override(user=cx, run=run, need=case["n_maths"], tutor=t_new, reason=" ")
    login(cx)
    response = client.post(f"/tutoring/runs/{run.pk}/proposals/override/", {"need": case["n_maths"].pk, "tutor": t_new.pk,
                                                                            "reason": "Kennen elkaar van de buurt"})
    assert response.status_code == 302
    fixed = run.matches.get(need=case["n_maths"], status="proposed")
    assert (fixed.tutor, fixed.fixed, fixed.override_reason) == (t_new, True, "Kennen elkaar van de buurt")
    assert fixed.reviewed_at is not None and sum(fixed.explanation["criteria"].values()) == fixed.score
    assert run.matches.get(need=case["n_maths"], tutor=case["t_maths"]).status == "rejected"
    # the next run keeps the fixed pair (accepted, with its reason) and replaces the draft
    nxt = svc.run_create(user=cx, initiative=world["X"])
    assert MatchRun.objects.get(pk=run.pk).status == "discarded" and nxt.stats["replaced"] == run.pk
    carried = nxt.matches.get(need=case["n_maths"])
    assert (carried.tutor, carried.fixed, carried.override_reason) == (t_new, True, "Kennen elkaar van de buurt")
    assert carried.reviewed_at is not None
    # the rejected pair of the replaced draft is not proposed again
    assert not nxt.matches.filter(need=case["n_maths"], tutor=case["t_maths"]).exists()


def test_an_override_that_breaks_a_hard_rule_must_be_confirmed(world, case, login, client):
    cx = world["cx"]
    run = svc.run_create(user=cx, initiative=world["X"])
    with pytest.raises(svc.NeedsConfirmation) as exc:
        svc.match_override(user=cx, run=run, need=case["n_none"], tutor=case["t_science"], reason="Kan ook lezen")
    assert exc.value.warnings == ["subject", "capacity"]
    login(cx)
    with assert_audited(count=1, subject_type="pupil", subjects=[world["a5"].pupil_key]):
        html = client.get(f"/tutoring/runs/{run.pk}/proposals/override/?need={case['n_none'].pk}").content.decode()
    assert "Sci Tutorlast – the tutor does not teach this subject; the tutor has no place left" in html
    assert client.get(f"/tutoring/runs/{run.pk}/proposals/override/?need=999999").status_code == 404
    assert client.get(f"/tutoring/runs/{run.pk}/proposals/accept/").status_code == 405
    html = client.get(f"/tutoring/runs/{run.pk}/proposals/override/?need={case['n_low'].pk}").content.decode()
    assert html.index("Sci Tutorlast – the tutor has no place left") < html.index("Bo Tutorlast – the tutor does not teach")
    data = {"need": case["n_none"].pk, "tutor": case["t_science"].pk, "reason": "Kan ook lezen"}
    html = client.post(f"/tutoring/runs/{run.pk}/proposals/override/", data).content.decode()
    assert 'id="override-warnings"' in html and "the tutor does not teach this subject" in html and 'name="confirm"' in html
    assert not run.matches.filter(need=case["n_none"]).exists()
    client.post(f"/tutoring/runs/{run.pk}/proposals/override/", {**data, "confirm": "on"})
    m = run.matches.get(need=case["n_none"])
    assert m.fixed and m.explanation["violations"] == ["subject", "capacity"]
    run.refresh_from_db()
    assert case["n_none"].pk not in [u["need"] for u in run.unmatched]
    # a tutor of another initiative cannot be chosen
    with pytest.raises(svc.MatchingError, match="active tutor of this initiative"):
        svc.match_override(user=cx, run=run, need=case["n_low"], tutor=case["t_other"], reason="x", confirm=True)


def test_never_again_is_respected(world, login, client):
    cx = world["cx"]
    need = make_need(world["a1"], world["A"], subject="maths")
    only = make_tutor(world["X"], "Only", subjects=("maths", "french"), capacity=2)
    run = svc.run_create(user=cx, initiative=world["X"])
    m = run.matches.get()
    login(cx)
    client.post(f"/tutoring/runs/{run.pk}/proposals/reject/", {"match": m.pk, "version": m.version, "never_again": "on", "reason": ""})
    assert MatchRun.objects.get(pk=run.pk).matches.get().status == "proposed"  # a reason is required
    client.post(f"/tutoring/runs/{run.pk}/proposals/reject/", {"match": m.pk, "version": m.version, "never_again": "on",
                                                               "reason": "Botste in een eerdere begeleiding"})
    assert MatchExclusion.objects.filter(pupil=world["a1"], tutor=only).exists()
    svc.run_discard(user=cx, run=run)
    french = make_need(world["a1"], world["A"], subject="french")
    nxt = svc.run_create(user=cx, initiative=world["X"])
    assert pairs(nxt) == {}
    assert {u["need"] for u in nxt.unmatched} == {need.pk, french.pk}
    # an override with that tutor is refused outright
    with pytest.raises(svc.MatchingError, match="never be matched"):
        svc.match_override(user=cx, run=nxt, need=need, tutor=only, reason="toch", confirm=True)
    # another pupil still gets the tutor
    other = make_need(world["a2"], world["A"], subject="maths")
    assert pairs(svc.run_create(user=cx, initiative=world["X"])) == {other.pk: only.pk}


def test_rematch_after_a_tutor_left_keeps_every_unaffected_match(world, login, client):
    """Continuity: the pupils of the tutors who stay keep them, even where a fresh optimum would move them."""
    X, A, cx = world["X"], world["A"], world["cx"]
    leaving = make_tutor(X, "Leaver", subjects=("french",))
    t_maths = make_tutor(X, "Max", subjects=("maths",), capacity=2)
    t_both = make_tutor(X, "Fien", subjects=("maths", "french"))
    n_french = make_need(world["a1"], A, subject="french")
    n_m1 = make_need(world["a2"], A, subject="maths")
    n_m2 = make_need(world["a3"], A, subject="maths")
    activate(n_french, leaving)
    activate(n_m1, t_maths)
    activate(n_m2, t_both)  # a fresh run would move a3 to Max and give Fien to the French pupil

    ended = svc.matches_end_for_tutor(user=cx, tutor=leaving, reason="Verhuisd")
    assert [m.need_id for m in ended] == [n_french.pk]
    Tutor.objects.filter(pk=leaving.pk).update(status=Tutor.Status.LEFT)
    m = Match.objects.get(need=n_french, tutor=leaving)
    assert (m.status, m.end_reason, m.end_note) == ("ended", "tutor_left", "Verhuisd")
    assert TutoringNeed.objects.get(pk=n_french.pk).status == "waiting"

    spare = make_tutor(X, "Sam", subjects=("french",))
    login(cx)
    html = client.get(f"/tutoring/runs/rematch/?initiative={X.pk}").content.decode()
    assert "1 pupil waits again because their tutor left." in html
    response = client.post("/tutoring/runs/rematch/", {"initiative": X.pk, "subject": 25, "level": 20, "distance": 20, "language": 15,
                                                       "quality": 20})
    run = MatchRun.objects.get(status="draft")
    assert response["Location"] == f"/tutoring/runs/{run.pk}/"
    assert run.stats["mode"] == "rematch" and run.stats["kept"] == 2 and run.stats["engine"]["affected"] == [n_french.pk]
    assert pairs(run) == {n_french.pk: spare.pk}  # only the affected pupil moves
    accept_all(cx, run)
    svc.run_publish(user=cx, run=run)
    active = dict(Match.objects.filter(status="active").values_list("need_id", "tutor_id"))
    assert active == {n_m1.pk: t_maths.pk, n_m2.pk: t_both.pk, n_french.pk: spare.pk}
    assert Match.objects.filter(need__in=[n_m1, n_m2]).count() == 2  # no second match for an unaffected pupil


def test_rematch_without_a_spare_tutor_leaves_the_affected_pupil_waiting(world):
    X, A, cx = world["X"], world["A"], world["cx"]
    leaving = make_tutor(X, "Leaver", subjects=("french",))
    t_both = make_tutor(X, "Fien", subjects=("maths", "french"))
    t_maths = make_tutor(X, "Max", subjects=("maths",))
    n_french, n_m = make_need(world["a1"], A, subject="french"), make_need(world["a2"], A, subject="maths")
    activate(n_french, leaving)
    activate(n_m, t_both)
    svc.matches_end_for_tutor(user=cx, tutor=leaving, reason="tutor_left")
    Tutor.objects.filter(pk=leaving.pk).update(status=Tutor.Status.LEFT)
    run = svc.run_rematch(user=cx, initiative=X)
    assert pairs(run) == {}  # Fien stays with a2 although moving a2 to Max would free her for a1
    assert [u["need"] for u in run.unmatched] == [n_french.pk]
    assert Match.objects.get(need=n_m, status="active").tutor == t_both and t_maths.matches.count() == 0


def test_who_may_end_a_tutors_matches(world, make_user):
    X = world["X"]
    user = make_user(Role.TUTOR)
    tutor = make_tutor(X, "Self", user=user)
    need = make_need(world["a1"], world["A"])
    activate(need, tutor)
    with pytest.raises(PermissionDenied):
        svc.matches_end_for_tutor(user=world["cy"], tutor=tutor, reason="x")
    with pytest.raises(PermissionDenied):
        svc.matches_end_for_tutor(user=world["staff"], tutor=tutor, reason="x")
    with assert_audited(count=1, action="update", subjects=[world["a1"].pupil_key]):
        ended = svc.matches_end_for_tutor(user=user, tutor=tutor, reason="Ik stop")
    assert len(ended) == 1 and TutoringNeed.objects.get(pk=need.pk).status == "waiting"


def test_discard_a_draft(world, case, login, client):
    cx = world["cx"]
    run = svc.run_create(user=cx, initiative=world["X"])
    login(cx)
    assert client.post(f"/tutoring/runs/{run.pk}/discard/")["Location"] == "/tutoring/runs/"
    run.refresh_from_db()
    assert run.status == "discarded"
    assert client.post(f"/tutoring/runs/{run.pk}/publish/").status_code == 302
    assert not Match.objects.filter(status="active").exists()
    with pytest.raises(svc.MatchingError):
        svc.match_accept(user=cx, match=run.matches.first(), version=1)


def test_accept_all_and_the_review_filters(world, case, login, client):
    cx = world["cx"]
    run = svc.run_create(user=cx, initiative=world["X"])
    m = run.matches.get(need=case["n_high"])
    svc.match_reject(user=cx, match=m, version=m.version)
    login(cx)
    html = client.get(f"/tutoring/runs/{run.pk}/?state=rejected").content.decode()
    assert f'id="proposal-{m.pk}"' in html and html.count('<section class="border rounded') == 1
    with assert_audited(count=1, subject_type="pupil") as audit:
        client.get(f"/tutoring/runs/{run.pk}/?state=unreviewed")
    # the unreviewed proposals (a1, a2) and the pupils left unmatched (a3, a5) shown below them
    assert audit.subjects() == {world[k].pupil_key for k in ("a1", "a2", "a3", "a5")}
    assert client.post(f"/tutoring/runs/{run.pk}/proposals/accept_all/").status_code == 302
    assert run.matches.filter(status="proposed", reviewed_at__isnull=False).count() == 2
    assert run.matches.get(pk=m.pk).status == "rejected"
    from leerloopbaan.tutoring.matching import selectors as sel
    view = sel.run_get(user=cx, pk=run.pk, per_page=1, page=2)
    assert view.page.paginator.num_pages == 3 and len(view.proposals) == 1 and view.counts["accepted"] == 2


def test_inconsistent_data_gives_a_clear_message(world, login, client):
    make_need(world["a1"], world["A"])
    make_tutor(world["X"], "Odd", slots=(1, 25))
    with pytest.raises(svc.MatchingError, match="The matching could not run: .*slots must be in 0..20"):
        svc.run_create(user=world["cx"], initiative=world["X"])
    login(world["cx"])
    html = client.post("/tutoring/runs/new/", {"initiative": world["X"].pk, "subject": 25, "level": 20, "distance": 20, "language": 15,
                                               "quality": 20}).content.decode()
    assert "The matching could not run" in html and not MatchRun.objects.exists()
