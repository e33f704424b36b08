from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "leerloopbaan.care"
    verbose_name = _("Care and support")

    def ready(self):
        from leerloopbaan.care.handovers import receivers as receivers_handovers  # noqa: F401 (connects the signal receivers)
