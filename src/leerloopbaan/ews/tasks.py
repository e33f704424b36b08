"""Background work of the early warning system (Tasks API): thin wrappers around services."""

import datetime

from django.utils import timezone
from django_tasks import task

from leerloopbaan.ews.services import NoTrainingData, ews_score, expire_scores


@task()
def score_today() -> int:
    """Score every secondary pupil with today's data (after each import, and monthly)."""
    try:
        _run, scores = ews_score(reference_date=timezone.localdate())
    except NoTrainingData:
        return 0
    expire_scores()
    return 0 if scores is None else len(scores)


@task()
def score_on(reference_date: str) -> int:
    try:
        _run, scores = ews_score(reference_date=datetime.date.fromisoformat(reference_date))
    except NoTrainingData:
        return 0
    return 0 if scores is None else len(scores)
