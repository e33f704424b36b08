"""Scores follow the data: every committed import queues a scoring of today's population, and a
measurement of how far the features of that population drifted since training (monitoring)."""

from django.db import transaction
from django.dispatch import receiver

from leerloopbaan.registry.signals import import_completed


@receiver(import_completed)
def score_after_import(sender, run, counts, progress=None, **kwargs):
    from leerloopbaan.ews.services import NoTrainingData, active_run
    from leerloopbaan.ews.tasks import score_today

    try:
        active_run()
    except NoTrainingData:
        return  # nothing may score yet (no approved model, no rule baseline); `leerloopbaan ews train` comes first
    if progress:
        progress("queueing the early warning scores of today")
    transaction.on_commit(score_today.enqueue)


@receiver(import_completed, dispatch_uid="ews.drift_after_import")
def drift_after_import(sender, run, counts=None, progress=None, **kwargs):
    from leerloopbaan.ews.city.monitoring.tasks import measure_drift_after_import
    from leerloopbaan.ews.models import ModelRun

    if not ModelRun.objects.exists():
        return  # no training distribution to compare with yet
    # no progress message: the import's last messages stay its own and the scoring's
    transaction.on_commit(lambda: measure_drift_after_import.enqueue(run.pk), robust=True)
