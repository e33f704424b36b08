from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    name = "leerloopbaan.assessments"
    verbose_name = _("Learning-gain tests")

    def ready(self):
        from leerloopbaan.assessments import importing, selectors
        from leerloopbaan.kernel.panels import PupilPanel, register_pupil_panel
        from leerloopbaan.registry.importer import kinds

        # test results are an extension of the data format: assessments owns the table and the file kind
        kinds.register(importing.KIND)
        # the pupil page: the latest result per domain and the link to the growth curve
        register_pupil_panel(PupilPanel(name="assessments", order=50, read=selectors.pupil_page_results,
                                        template="assessments/panels/results.html",
                                        actions_template="assessments/panels/results_actions.html"))
