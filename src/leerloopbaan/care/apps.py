from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "leerloopbaan.care"
    verbose_name = _("Care and support")

    def ready(self):
        from leerloopbaan.care import panel
        from leerloopbaan.care.handovers import receivers as receivers_handovers  # noqa: F401 (connects the signal receivers)
        from leerloopbaan.kernel.panels import PupilPanel, register_pupil_panel

        # what is under way belongs in the pupil page's summary, after the risk
        register_pupil_panel(PupilPanel(name="care", order=30, read=panel.support_under_way, summary_template="care/panels/support.html",
                                        actions_template="care/panels/support_actions.html"))
