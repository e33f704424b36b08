from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SiteConfig(AppConfig):
    name = "leerloopbaan.site"
    verbose_name = _("Interface shell")
