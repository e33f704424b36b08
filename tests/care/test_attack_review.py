"""Attack review of issue 15's support-effect report: each test reproduces a defect found by trying to break it."""

from __future__ import annotations

import datetime

from leerloopbaan.care.effects import selectors as effects
from tests.factories import ModelRunFactory, PupilFactory, RiskScoreFactory


def test_the_matching_reads_no_score_of_an_unapproved_run(db):
    """Pupils are matched on their risk before the start; a score an unapproved run stored (a refused training)
    must not be one of those risks, as it is shown nowhere else and never scores."""
    pupil = PupilFactory()
    day = datetime.date(2026, 10, 1)
    RiskScoreFactory(pupil=pupil, reference_date=day, model_run=ModelRunFactory(version="ok"), risk=0.2)
    RiskScoreFactory(pupil=pupil, reference_date=day + datetime.timedelta(days=7),
                     model_run=ModelRunFactory(version="refused", approved=False), risk=0.9)
    facts = effects._Facts([pupil.pk], day - datetime.timedelta(days=30), day + datetime.timedelta(days=30))
    assert [risk for _day, risk, _grade in facts.scores[pupil.pk]] == [0.2]
