"""The demo's tutoring: initiatives, tutors in every stage, needs, published and draft matching,
earlier tutoring between two learning-gain results, check-ins; through the real services, idempotent."""

from __future__ import annotations

import time

import pytest

from leerloopbaan.accounts.models import User
from leerloopbaan.assessments import selectors as assessment_selectors
from leerloopbaan.demo.accounts import create_demo_accounts, demo_email
from leerloopbaan.demo.generator import generate_city
from leerloopbaan.demo.tutoring import create_demo_tutoring
from leerloopbaan.registry.importer import import_paths
from leerloopbaan.tutoring.models import CheckIn, Match, MatchRun, PeerReview, Tutor, TutoringNeed

pytestmark = pytest.mark.django_db


def test_demo_tutoring_covers_the_journey_and_is_idempotent(tmp_path):
    generate_city(tmp_path / "city", pupils=2500, seed=5)
    result = import_paths([tmp_path / "city" / "import"], source="test")
    assert result.ok, result.report_text()[:2000]
    create_demo_accounts()
    started = time.monotonic()
    made = create_demo_tutoring()
    assert time.monotonic() - started < 20
    assert made["initiatives"] == 3 and made["tutors"] >= 40
    assert set(Tutor.objects.values_list("status", flat=True)) == set(Tutor.Status.values)
    assert {"waiting", "matched", "ended"} <= set(TutoringNeed.objects.values_list("status", flat=True))
    assert Match.objects.filter(status=Match.Status.ACTIVE).exists() and Match.objects.filter(status=Match.Status.ENDED).exists()
    assert set(Match.objects.values_list("mode", flat=True)) == {"online", "offline"}
    assert MatchRun.objects.filter(status=MatchRun.Status.PUBLISHED).exists()
    assert MatchRun.objects.filter(status=MatchRun.Status.DRAFT).count() == 1
    assert made["draft_proposals"] >= 5, made
    assert CheckIn.objects.exists() and PeerReview.objects.exists()
    # the demo tutor account is an active tutor with pupils; a published match never breaks a hard rule
    tutor = Tutor.objects.get(user__email=demo_email("tutor"))
    assert tutor.status == Tutor.Status.ACTIVE
    for m in Match.objects.filter(status=Match.Status.ACTIVE).select_related("need", "tutor"):
        assert m.need.subject in m.tutor.subjects and m.tutor.min_level <= m.need.level <= m.tutor.max_level
    # earlier tutoring sits between two results, so the growth comparison has figures
    report = assessment_selectors.growth_report(user=User.objects.get(email=demo_email("city_analyst")))
    assert report["shown"], "no growth comparison shown in the demo"
    assert create_demo_tutoring() == {"tutors": 0, "needs": 0, "matches": 0}
