"""``leerloopbaan history_times --recorded-before YYYY-MM-DDTHH:MM`` (docs/data-import.md)."""

from __future__ import annotations

import datetime

from django.core.management.base import CommandError
from django.utils import timezone

from leerloopbaan.kernel import clock
from leerloopbaan.kernel.access import UnitOfWorkCommand


class Command(UnitOfWorkCommand):
    help = ("After a history load: set the record times of the rows recorded up to a moment to when the source "
            "knew them (registry/history.py), so the early warning backtest can use the history.")

    def add_arguments(self, parser):
        parser.add_argument("--recorded-before", required=True,
                            help="the end of the history load, e.g. 2026-09-01T00:00 (Brussels time); later rows keep their times")

    def handle(self, *args, recorded_before, **options):
        from leerloopbaan.kernel.audit.services import audit_record
        from leerloopbaan.registry.history import estimate_record_times

        try:
            moment = datetime.datetime.fromisoformat(recorded_before)
        except ValueError:
            raise CommandError(f"--recorded-before {recorded_before!r}: expected a date-time YYYY-MM-DDTHH:MM", returncode=2) from None
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        if moment > clock.now():
            raise CommandError(f"--recorded-before {recorded_before!r} is in the future: it would move the record times of "
                               "live imports too (a late file would look on time); give the end of the history load", returncode=2)
        counts = estimate_record_times(recorded_before=moment)
        audit_record(action="update", subject_type="registry", object_repr=f"record times before {moment.isoformat()}",
                     purpose="history load record times", detail=counts)
        self.stdout.write(", ".join(f"{n} {table}" for table, n in counts.items()))
