"""Tutoring's pupil statuses for lists of many pupils (``kernel.pupil_status``): a tutor since a date, or
waiting for one since a date, as the user may see the need. One query for the whole batch."""

from __future__ import annotations

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leerloopbaan.kernel.pupil_status import PupilStatus
from leerloopbaan.tutoring.matching import selectors

TUTOR = "tutor"
WAITING = "tutor_waiting"
KINDS = ((TUTOR, gettext_lazy("tutor")), (WAITING, gettext_lazy("waiting for a tutor")))


def tutoring_statuses(user, pupil_ids) -> dict[int, list[PupilStatus]]:
    out: dict[int, list[PupilStatus]] = {}
    for pupil_id, needs in selectors.tutoring_by_pupil(user, pupil_ids).items():
        rows = []
        for need in needs:
            url = reverse("tutoring:need_detail", args=[need.pk])
            if need.tutor_since is not None:
                rows.append(
                    PupilStatus(
                        kind=TUTOR,
                        text=_("Tutor since %(day)s") % {"day": date_format(need.tutor_since, "j F Y")},
                        url=url,
                        since=need.tutor_since,
                    )
                )
            elif need.status == selectors.NeedStatus.WAITING:
                since = selectors.waiting_since(need)
                rows.append(
                    PupilStatus(
                        kind=WAITING,
                        text=_("Waiting for a tutor since %(day)s") % {"day": date_format(since, "j F Y")},
                        url=url,
                        since=since,
                    )
                )
        if rows:
            out[pupil_id] = rows
    return out
