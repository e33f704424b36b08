from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    name = "leerloopbaan.assessments"
    verbose_name = _("Learning-gain tests")

    def ready(self):
        from leerloopbaan.assessments import importing
        from leerloopbaan.registry.importer import kinds

        # test results are an extension of the data format: assessments owns the table and the file kind
        kinds.register(importing.KIND)
