from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TutoringConfig(AppConfig):
    name = "leerloopbaan.tutoring"
    verbose_name = _("Tutoring")

    def ready(self):
        from leerloopbaan.kernel.panels import PupilPanel, register_pupil_panel
        from leerloopbaan.kernel.pupil_status import StatusProvider, register_status_provider
        from leerloopbaan.tutoring import status
        from leerloopbaan.tutoring.matching import selectors

        # the pupil page: the needs waiting for or having a tutor, and "ask for a tutor"
        # (a tutor or a wait for one is "under way": part of the page's summary)
        register_pupil_panel(PupilPanel(name="tutoring", order=40, read=selectors.pupil_page_tutoring,
                                        summary_template="tutoring/panels/tutoring.html",
                                        actions_template="tutoring/panels/tutoring_actions.html"))
        # lists of many pupils (the risk list): a tutor, or waiting for one, one query for the batch
        register_status_provider(StatusProvider(name="tutoring", order=20, kinds=status.KINDS, read=status.tutoring_statuses))
