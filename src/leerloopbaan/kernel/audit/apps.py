from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "leerloopbaan.kernel.audit"
    label = "audit"
    verbose_name = _("Audit log")

    def ready(self):
        from leerloopbaan.kernel.audit.database import sync_retention

        post_migrate.connect(sync_retention, sender=self, dispatch_uid="audit.sync_retention")
