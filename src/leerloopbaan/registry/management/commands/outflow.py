"""``leerloopbaan outflow --school-year YYYY-YYYY [--by …] [--out FILE]`` (shared/spec/cli.md)."""

from __future__ import annotations

import csv
import io

from django.core.management.base import CommandError

from leerloopbaan.kernel.access import UnitOfWorkCommand


class Command(UnitOfWorkCommand):
    help = "Early school leavers per the VSV definition, as CSV: group,leavers,unqualified,rate."

    def add_arguments(self, parser):
        parser.add_argument("--school-year", required=True, help="YYYY-YYYY")
        parser.add_argument("--by", choices=["school", "district", "network", "track"])
        parser.add_argument("--out", help="write the CSV to this file instead of stdout")

    def handle(self, *args, school_year, by, out, **options):
        from leerloopbaan.kernel.schoolyear import parse_school_year
        from leerloopbaan.registry.outflow.report import outflow, published

        try:
            parse_school_year(school_year)
        except ValueError as exc:
            raise CommandError(f"--school-year {school_year!r}: {exc}", returncode=2) from None
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["group", "leavers", "unqualified", "rate"])
        if by is None:
            # the contract: one row ``all`` with the city's numbers (the operator's own figure)
            for row in outflow(school_year):
                writer.writerow([row.group, row.leavers, row.unqualified, "" if row.rate is None else repr(round(row.rate, 4))])
        else:
            # groups as the outflow page publishes them: under 5 ``<5``, complements ``×``
            for line in published([school_year]).lines(school_year, by):
                writer.writerow(line.csv())
        if out:
            with open(out, "w", encoding="utf-8", newline="") as handle:
                handle.write(buffer.getvalue())
        else:
            self.stdout.write(buffer.getvalue(), ending="")
