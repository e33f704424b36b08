from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortfolioConfig(AppConfig):
    name = "leerloopbaan.portfolio"
    verbose_name = _("Talent portfolio")

    def ready(self):
        from django.utils.translation import gettext

        from leerloopbaan.portfolio.vc import verify

        # the credential core is Django-free: it reads its messages in the request's language through this
        verify.use_translation(gettext)
