"""The platform's clock. Dates people see and rules that run "today" are Brussels dates
(``settings.TIME_ZONE``), never the server's or UTC's: between 22:00/23:00 and midnight UTC the two
differ by a day. Use these, never the machine's calendar (``date.today``, ``datetime.now``).
"""

from __future__ import annotations

import datetime

from django.utils import timezone


def now() -> datetime.datetime:
    """The current moment, time-zone aware (stored as UTC)."""
    return timezone.now()


def today() -> datetime.date:
    """Today's date in Brussels."""
    return timezone.localdate()


def date_of(moment: datetime.datetime) -> datetime.date:
    """The Brussels date of a stored moment (an aware datetime); a naive one is taken as it is."""
    return timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()
