"""Background work of the early warning system (Tasks API): thin wrappers around services."""

import datetime

from django_tasks import task

from leerloopbaan.ews.services import NoTrainingData, ews_score, expire_scores
from leerloopbaan.kernel import clock
from leerloopbaan.kernel.access import in_unit_of_work


@task()
@in_unit_of_work("task ews.score_today")
def score_today() -> int:
    """Score every secondary pupil with today's data (after each import, and monthly)."""
    try:
        _run, scores = ews_score(reference_date=clock.today())
    except NoTrainingData:
        return 0
    expire_scores()
    return 0 if scores is None else len(scores)


@task()
@in_unit_of_work("task ews.score_on")
def score_on(reference_date: str) -> int:
    try:
        _run, scores = ews_score(reference_date=datetime.date.fromisoformat(reference_date))
    except NoTrainingData:
        return 0
    return 0 if scores is None else len(scores)
