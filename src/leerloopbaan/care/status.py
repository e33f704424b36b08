"""Care's pupil statuses for lists of many pupils (``kernel.pupil_status``): an open support request
and an open case, as the user may see them. One query per kind for the whole batch."""

from __future__ import annotations

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leerloopbaan.care.cases import selectors as cases
from leerloopbaan.care.requests import selectors as requests
from leerloopbaan.kernel import clock
from leerloopbaan.kernel.pupil_status import PupilStatus

REQUEST = "support_request"
CASE = "case"
REQUEST_KINDS = ((REQUEST, gettext_lazy("open support request")),)
CASE_KINDS = ((CASE, gettext_lazy("case open")),)


def request_statuses(user, pupil_ids) -> dict[int, list[PupilStatus]]:
    labels = dict(requests.Status.choices)
    return {
        pupil_id: [
            PupilStatus(
                kind=REQUEST,
                text=_("Support request #%(id)s (%(status)s)")
                % {"id": r.pk, "status": labels.get(r.status, r.status)},
                url=reverse("care:request_detail", args=[r.pk]),
                since=clock.date_of(r.created_at),
            )
            for r in rows
        ]
        for pupil_id, rows in requests.open_requests_by_pupil(user, pupil_ids).items()
    }


def case_statuses(user, pupil_ids) -> dict[int, list[PupilStatus]]:
    return {
        pupil_id: [
            PupilStatus(
                kind=CASE,
                text=_("Case open since %(day)s")
                % {"day": date_format(clock.date_of(c.created_at), "j F Y")},
                url=reverse("care:case_detail", args=[c.pk]),
                since=clock.date_of(c.created_at),
            )
            for c in rows
        ]
        for pupil_id, rows in cases.open_cases_by_pupil(user, pupil_ids).items()
    }
