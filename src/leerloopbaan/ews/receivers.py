"""Scores follow the data: every committed import queues a scoring of today's population."""

from django.db import transaction
from django.dispatch import receiver

from leerloopbaan.registry.signals import import_completed


@receiver(import_completed)
def score_after_import(sender, run, counts, progress=None, **kwargs):
    from leerloopbaan.ews.models import ModelRun
    from leerloopbaan.ews.tasks import score_today

    if not ModelRun.objects.exists():
        return  # nothing to score with yet; `leerloopbaan ews train` comes first
    if progress:
        progress("queueing the early warning scores of today")
    transaction.on_commit(score_today.enqueue)
