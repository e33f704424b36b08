"""Scores an unapproved run kept from before approval was enforced reach no reader outside the
early-warning pages either: tutoring priority, the tutoring report's population, the care effects'
matching, the monitoring page."""

from __future__ import annotations

import datetime

import pytest

from leerloopbaan.care.effects.selectors import _Facts
from leerloopbaan.ews import selectors
from leerloopbaan.ews.city.monitoring import selectors as monitoring
from leerloopbaan.ews.models import ModelRun, RiskScore
from leerloopbaan.tutoring.reports.selectors import population_in_scope
from tests.factories import EnrolmentFactory, PupilFactory, RiskScoreFactory, SchoolFactory

from .test_approval import approved_run, unapproved_run

pytestmark = pytest.mark.django_db

OLD = datetime.date(2026, 10, 1)
NEW = datetime.date(2026, 11, 1)


@pytest.fixture
def scores():
    """One pupil: a low score of the approved run, then a high score of a newer unapproved run."""
    RiskScore.objects.all().delete()
    ModelRun.objects.all().delete()
    school = SchoolFactory()
    pupil = PupilFactory()
    EnrolmentFactory(pupil=pupil, school=school, start_date=datetime.date(2026, 9, 1), end_date=None)
    good, bad = approved_run(day=1), unapproved_run(day=5)
    RiskScoreFactory(pupil=pupil, school=school, reference_date=OLD, model_run=good, risk=0.05, band="low")
    RiskScoreFactory(pupil=pupil, school=school, reference_date=NEW, model_run=bad, risk=0.95, band="high")
    return pupil, good, bad


def test_tutoring_priority_never_reads_an_unapproved_runs_band(scores, make_user):
    pupil, _good, _bad = scores
    user = make_user("tutor_coordinator")
    assert selectors.bands_for_tutoring_priority(user=user, pupil_ids=[pupil.pk], as_of=NEW) == {
        pupil.pk: "low"
    }


def test_the_tutoring_population_never_counts_an_unapproved_runs_band(scores):
    assert sum(population_in_scope(NEW).values()) == 0


def test_the_care_effects_never_match_on_an_unapproved_runs_risk(scores):
    pupil, _good, _bad = scores
    facts = _Facts([pupil.pk], OLD, NEW)
    assert [day for day, _risk, _grade in facts.scores[pupil.pk]] == [OLD]


def test_the_monitoring_never_shows_an_unapproved_runs_list(scores):
    _pupil, good, _bad = scores
    assert monitoring.scored_dates() == [(OLD, good)]


def test_the_drift_after_an_import_is_never_measured_for_an_unapproved_run(scores):
    from leerloopbaan.ews.city.monitoring.services import run_for
    from leerloopbaan.registry.models import ImportRun

    _pupil, good, _bad = scores
    on_new = datetime.datetime(
        2026, 11, 1, 10, 0, tzinfo=datetime.UTC
    )  # only the unapproved run scored that day
    assert run_for(ImportRun.objects.create(started_at=on_new, finished_at=on_new)) is None
    later = datetime.datetime(2026, 12, 20, 10, 0, tzinfo=datetime.UTC)  # nothing scored that day
    assert run_for(ImportRun.objects.create(started_at=later, finished_at=later)) == good
