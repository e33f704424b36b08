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
        from leerloopbaan.kernel.panels import PupilPanel, register_pupil_panel
        from leerloopbaan.kernel.pupil_status import StatusProvider, register_status_provider

        # a new model run or scoring makes every cached city-wide figure stale
        register_version_source("ews.scoring", selectors.scoring_version)
        # the pupil page: absences per month and the risk history with its reasons
        # the summary: the latest risk with its reasons and the school's latest follow-up
        register_pupil_panel(PupilPanel(name="ews", order=20, read=selectors.pupil_page_risk, template="ews/panels/risk.html",
                                        summary_template="ews/panels/risk_summary.html"))
        # lists of many pupils (the risk list): the latest follow-up noted, one query for the batch
        register_status_provider(StatusProvider(name="ews.follow_up", order=50, kinds=selectors.FOLLOW_UP_KINDS,
                                                read=selectors.follow_up_statuses))
