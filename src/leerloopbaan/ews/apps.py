from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EwsConfig(AppConfig):
    name = "leerloopbaan.ews"
    verbose_name = _("Early warning")

    def ready(self):
        from leerloopbaan.ews import (
            receivers,  # noqa: F401 (connects the signal receivers)
            selectors,
        )
        from leerloopbaan.kernel.caching import register_version_source

        # a new model run or scoring makes every cached city-wide figure stale
        register_version_source("ews.scoring", selectors.scoring_version)
