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
        from leerloopbaan.registry.outflow.report import outflow

        try:
            parse_school_year(school_year)
        except ValueError as exc:
            raise CommandError(f"--school-year {school_year!r}: {exc}", returncode=2) from None
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["group", "leavers", "unqualified", "rate"])
        for row in outflow(school_year, by=by):
            writer.writerow(row.csv())
        if out:
            with open(out, "w", encoding="utf-8", newline="") as handle:
                handle.write(buffer.getvalue())
        else:
            self.stdout.write(buffer.getvalue(), ending="")
