"""Record times of a history load: when rows imported in one go would have been known.

Every registry row keeps when it entered the platform (``recorded_at``; ``changed_at`` on
enrolments and attestations), and the early warning backtest uses only what was known on each
as-of date. A city that starts by loading ten years of history in one import would therefore have
nothing "known" before its first day on the platform. For such a *history load* (and for the demo's
synthetic city, which simulates years of use), :func:`estimate_record_times` sets each row's record
time to when the source system knew it, by a documented rule, never later than its real record time:

- an enrolment: its start date; its change time: its end date (when it has one);
- an absence: the day after the half day (schools register absences daily);
- an attestation: 1 July after the school year (results are known at the end of June);
- OKI characteristics: their registration date (``as_of``).

Only rows recorded at or before ``recorded_before`` change (the history load; later, live imports
keep their true times, so a late import stays late), and a change time only when the change was
made at or before it too (a live correction of a history row stays late). Each row's time can only
move earlier.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import DateTimeField, F, Value
from django.db.models.functions import Cast, Concat, Least, Substr

from leerloopbaan.registry.models import Absence, Attestation, Enrolment, PupilCharacteristics

DAY = datetime.timedelta(days=1)


def _at(field: str):
    """The date column ``field`` as a date-time (midnight UTC)."""
    return Cast(F(field), DateTimeField())


@transaction.atomic
def estimate_record_times(*, recorded_before: datetime.datetime) -> dict[str, int]:
    """Move the record times of rows recorded at or before ``recorded_before`` to when they were
    known (the module's rule). Returns the rows updated per table."""
    out = {}
    enrolments = Enrolment.objects.filter(recorded_at__lte=recorded_before)
    out["enrolments"] = enrolments.update(recorded_at=Least(F("recorded_at"), _at("start_date")))
    # a change time moves only when the change was part of the load: a live import that corrected a
    # history row after the load keeps its time (else the correction would look known before it came)
    changed_in_load = {"recorded_at__lte": recorded_before, "changed_at__lte": recorded_before}
    Enrolment.objects.filter(**changed_in_load, end_date__isnull=False).update(
        changed_at=Least(F("changed_at"), _at("end_date") + Value(DAY)))
    Enrolment.objects.filter(**changed_in_load, end_date__isnull=True).update(
        changed_at=Least(F("changed_at"), F("recorded_at")))
    out["absences"] = Absence.objects.filter(recorded_at__lte=recorded_before).update(
        recorded_at=Least(F("recorded_at"), _at("date") + Value(DAY)))
    # the school year "2023-2024" ends with results known on 1 July 2024
    end_of_year = Cast(Concat(Substr("school_year", 6, 4), Value("-07-01")), DateTimeField())
    attestations = Attestation.objects.filter(recorded_at__lte=recorded_before)
    out["attestations"] = attestations.update(recorded_at=Least(F("recorded_at"), end_of_year))
    Attestation.objects.filter(**changed_in_load).update(changed_at=Least(F("changed_at"), F("recorded_at")))
    out["characteristics"] = PupilCharacteristics.objects.filter(recorded_at__lte=recorded_before).update(
        recorded_at=Least(F("recorded_at"), _at("as_of")))
    return out
