from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "leerloopbaan.care"
    verbose_name = _("Care and support")

    def ready(self):
        from leerloopbaan.care import panel, status
        from leerloopbaan.care.handovers import receivers as receivers_handovers  # noqa: F401 (connects the signal receivers)
        from leerloopbaan.kernel.panels import PupilPanel, register_pupil_panel
        from leerloopbaan.kernel.pupil_status import StatusProvider, register_status_provider

        # what is under way belongs in the pupil page's summary, after the risk
        register_pupil_panel(PupilPanel(name="care", order=30, read=panel.support_under_way, summary_template="care/panels/support.html",
                                        actions_template="care/panels/support_actions.html"))
        # lists of many pupils (the risk list): what care has under way for each, one query per kind
        register_status_provider(StatusProvider(name="care.requests", order=10, kinds=status.REQUEST_KINDS,
                                                read=status.request_statuses))
        register_status_provider(StatusProvider(name="care.cases", order=30, kinds=status.CASE_KINDS, read=status.case_statuses))
