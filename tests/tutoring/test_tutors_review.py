"""Peer review: coordinators review their initiative's tutors, active tutors review active fellow tutors of
the same initiative (never themself, never another initiative's); the quality helper for the engine."""
# ruff: noqa: F401, F811 -- the shared fixture tw is imported from test_tutors_helpers

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from leerloopbaan.kernel.audit.testing import assert_audited
from leerloopbaan.tutoring.models import PeerReview
from leerloopbaan.tutoring.tutors import services
from leerloopbaan.tutoring.tutors.selectors import coordinator_summary, tutor_quality

from .test_tutors_helpers import active_tutor, admit, sign_up, tw

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def pool(tw):
    cx, cy = tw["cx"], tw["cy"]
    return {
        "a": active_tutor(tw["X"], cx, email="a@example.test", first_name="Anna"),
        "b": active_tutor(tw["X"], cx, email="b@example.test", first_name="Bram"),
        "c": active_tutor(tw["Y"], cy, email="c@example.test", first_name="Chaima"),
        "t": admit(sign_up(tw["X"], email="t@example.test", first_name="Tom"), cx),  # in training, has an account
        **tw,
    }


def test_a_tutor_cannot_review_themself(pool, login, client):
    a = pool["a"]
    with pytest.raises(PermissionDenied):
        services.peer_review_save(user=a.user, tutor=a, score=5)
    login(a.user)
    assert client.get(f"/tutoring/tutors/{a.pk}/review/").status_code == 404
    assert client.post(f"/tutoring/tutors/{a.pk}/review/", {"score": 5}).status_code == 404
    assert not PeerReview.objects.exists()


def test_a_tutor_cannot_review_a_tutor_of_another_initiative(pool, login, client):
    a, c = pool["a"], pool["c"]
    with pytest.raises(PermissionDenied):
        services.peer_review_save(user=a.user, tutor=c, score=4)
    login(a.user)
    assert client.get(f"/tutoring/tutors/{c.pk}/review/").status_code == 404
    assert client.post(f"/tutoring/tutors/{c.pk}/review/", {"score": 4}).status_code == 404
    assert not PeerReview.objects.exists()


def test_only_active_tutors_review_and_are_reviewed_by_fellows(pool):
    with pytest.raises(PermissionDenied):  # a tutor in training does not review yet
        services.peer_review_save(user=pool["t"].user, tutor=pool["a"], score=4)
    with pytest.raises(PermissionDenied):  # nor is reviewed by a fellow
        services.peer_review_save(user=pool["a"].user, tutor=pool["t"], score=4)
    b = pool["b"]
    services.tutor_pause(user=pool["cx"], tutor=b, version=b.version, reason="examens")
    b.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.peer_review_save(user=pool["a"].user, tutor=b, score=4)


def test_a_fellow_tutor_reviews_in_the_page(pool, login, client):
    a, b = pool["a"], pool["b"]
    login(a.user)
    with assert_audited(count=1, subject_type="tutor") as audit:
        html = client.get("/tutoring/me/fellows/").content.decode()
    assert audit.subjects() == {f"tutor:{b.pk}"}  # not self, not another initiative's, not in training
    assert "Bram" in html and "Chaima" not in html and "Tom" not in html and f"/tutoring/tutors/{a.pk}/review/" not in html
    assert b.last_name not in html.replace(f"{b.last_name[0]}.", "")  # first name and initial only
    bad = client.post(f"/tutoring/tutors/{b.pk}/review/", {"score": 9})
    assert bad.status_code == 200 and "Select a valid choice" in bad.content.decode()
    with assert_audited(count=1, action="create", subject_type="tutor", subjects=[f"tutor:{b.pk}"]):
        assert client.post(f"/tutoring/tutors/{b.pk}/review/", {"score": 4, "comment": "Goed voorbereid"}).status_code == 302
    review = PeerReview.objects.get()
    assert (review.tutor, review.reviewer, review.reviewer_kind, review.score) == (b, a.user, "tutor", 4)
    client.post(f"/tutoring/tutors/{b.pk}/review/", {"score": 2})
    assert PeerReview.objects.get().score == 2  # a new review replaces the earlier one


def test_coordinators_review_their_own_initiative_only(pool, login, client):
    a, c = pool["a"], pool["c"]
    review = services.peer_review_save(user=pool["cx"], tutor=a, score=5, comment="Top")
    assert review.reviewer_kind == "coordinator"
    with pytest.raises(PermissionDenied):
        services.peer_review_save(user=pool["cx"], tutor=c, score=5)
    with pytest.raises(services.TutorError):
        services.peer_review_save(user=pool["cx"], tutor=a, score=0)
    applicant = sign_up(pool["X"], email="new@example.test")
    with pytest.raises(PermissionDenied):  # screening, not peer review, before admission
        services.peer_review_save(user=pool["cx"], tutor=applicant, score=3)
    login(pool["cx"])
    assert client.get(f"/tutoring/tutors/{c.pk}/review/").status_code == 404
    assert client.get(f"/tutoring/tutors/{a.pk}/review/").status_code == 200
    detail = client.get(f"/tutoring/tutors/{a.pk}/").content.decode()
    assert "Top" in detail and "1.00" in detail


def test_quality_values(pool):
    a, b, c = pool["a"], pool["b"], pool["c"]
    assert tutor_quality([a.pk, b.pk, c.pk]) == {a.pk: None, b.pk: None, c.pk: None}
    services.peer_review_save(user=b.user, tutor=a, score=5)
    assert tutor_quality([a.pk]) == {a.pk: 1.0}
    services.peer_review_save(user=pool["cx"], tutor=a, score=1)  # a coordinator's review weighs double
    assert tutor_quality([a.pk])[a.pk] == pytest.approx(((2 * 1 + 5) / 3 - 1) / 4, abs=1e-4)
    services.peer_review_save(user=a.user, tutor=b, score=3)
    assert tutor_quality([b.pk, a.pk])[b.pk] == 0.5
    # each reviewer counts once, with their latest review (even when older rows exist)
    PeerReview.objects.create(tutor=c, reviewer=pool["cy"], reviewer_kind="coordinator", score=1,
                              created_at=timezone.now() - timezone.timedelta(days=30))
    PeerReview.objects.create(tutor=c, reviewer=pool["cy"], reviewer_kind="coordinator", score=5)
    assert tutor_quality([c.pk]) == {c.pk: 1.0}


def test_the_coordinator_summary_counts_per_status(pool):
    sign_up(pool["X"], email="n1@example.test")
    sign_up(pool["Y"], email="n2@example.test")
    summary = coordinator_summary(user=pool["cx"])
    assert summary["counts"]["active"] == 2 and summary["counts"]["training"] == 1 and summary["counts"]["applied"] == 1
    assert summary["screening_to_do"] == 1 and summary["in_training"] == 1
    assert [r["initiative"] for r in summary["initiatives"]] == [pool["X"]]
    assert coordinator_summary(user=pool["cy"])["counts"]["active"] == 1
    everyone = coordinator_summary(user=pool["admin"])
    assert everyone["counts"]["active"] == 3 and everyone["screening_to_do"] == 2
    assert coordinator_summary(user=pool["a"].user)["counts"]["active"] == 0
