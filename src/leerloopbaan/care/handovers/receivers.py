"""Handovers follow the data: every committed import detects school changes and disappeared pupils."""

from django.dispatch import receiver

from leerloopbaan.registry.signals import import_completed


@receiver(import_completed, dispatch_uid="care.handovers_after_import")
def handovers_after_import(sender, run, counts=None, progress=None, **kwargs):
    from leerloopbaan.care.handovers.services import handovers_detect

    # no progress message: the import's last message stays its "done in ... s"
    handovers_detect(import_run=run)
