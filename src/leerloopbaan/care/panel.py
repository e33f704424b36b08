"""Care's panel of the pupil page: the support under way for the pupil that the user may see (open
requests, open cases they take part in, handovers not yet closed) and, for school staff, the button to
ask for support. Reads through the selectors of care's use cases; see ``kernel.panels``."""

from __future__ import annotations

from leerloopbaan.care.cases import selectors as cases
from leerloopbaan.care.handovers import selectors as handovers
from leerloopbaan.care.requests import selectors as requests
from leerloopbaan.kernel.panels import PupilSubject


def support_under_way(subject: PupilSubject) -> dict | None:
    data = {
        "requests": requests.requests_under_way(subject),
        "cases": cases.cases_under_way(subject),
        "handovers": handovers.handovers_under_way(subject),
        "may_ask": requests.may_ask_for_support(subject.user),
    }
    return data if any(data.values()) else None

