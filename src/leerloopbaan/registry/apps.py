from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "leerloopbaan.registry"
    verbose_name = _("Pupil registry")

    def ready(self):
        from leerloopbaan.kernel.caching import register_version_source
        from leerloopbaan.kernel.panels import PupilPanel, register_pupil_panel
        from leerloopbaan.registry import selectors
        from leerloopbaan.registry.importer import absences, attestations, enrolments, kinds, pupils, schools

        # the files of the data format the registry owns; other apps register theirs (test results, ...)
        for module in (schools, pupils, enrolments, absences, attestations):
            kinds.register(module.KIND)
        # a committed import makes every cached city-wide figure stale
        register_version_source("registry.import", selectors.import_version)
        # the pupil page: birth date, enrolments, attestations, timeline
        register_pupil_panel(PupilPanel(name="registry", order=10, read=selectors.pupil_page_record,
                                        template="registry/panels/record.html"))
