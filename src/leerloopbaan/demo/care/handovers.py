"""Demo handovers: the warm handovers the demo city's registry calls for.

Runs the real, set-based detection (a few queries, whatever the size of the city) for the school
changes and leavers of the last ``HANDOVER_LOOKBACK_DAYS`` days; mail is not sent. Idempotent: a
second call opens nothing. Call it after the demo data is imported (and the demo accounts exist).
"""

from __future__ import annotations

from django.test.utils import override_settings

from leerloopbaan.care.handovers.services import handovers_detect


def create_demo_handovers() -> dict:
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        return handovers_detect()
