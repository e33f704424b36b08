from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "leerloopbaan.registry"
    verbose_name = _("Pupil registry")

    def ready(self):
        from leerloopbaan.kernel.caching import register_version_source
        from leerloopbaan.registry import selectors

        # a committed import makes every cached city-wide figure stale
        register_version_source("registry.import", selectors.import_version)
