from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TutoringConfig(AppConfig):
    name = "leerloopbaan.tutoring"
    verbose_name = _("Tutoring")

    def ready(self):
        from leerloopbaan.kernel.panels import PupilPanel, register_pupil_panel
        from leerloopbaan.tutoring.matching import selectors

        # the pupil page: the needs waiting for or having a tutor, and "ask for a tutor"
        # (a tutor or a wait for one is "under way": part of the page's summary)
        register_pupil_panel(PupilPanel(name="tutoring", order=40, read=selectors.pupil_page_tutoring,
                                        summary_template="tutoring/panels/tutoring.html",
                                        actions_template="tutoring/panels/tutoring_actions.html"))
