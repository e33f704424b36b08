from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EwsConfig(AppConfig):
    name = "leerloopbaan.ews"
    verbose_name = _("Early warning")

    def ready(self):
        from leerloopbaan.ews import receivers  # noqa: F401 (connects the signal receivers)
