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
        from leerloopbaan.registry.outflow.report import final_years, outflow, school_years

        try:
            parse_school_year(school_year)
        except ValueError as exc:
            raise CommandError(f"--school-year {school_year!r}: {exc}", returncode=2) from None
        years = school_years()
        if school_year in years and school_year not in final_years(years):
            # the CSV keeps its contract; the operator is told the year is not complete yet
            self.stderr.write(f"warning: {school_year} is not complete (the next school year is not in the registry): "
                              "these are only the pupils who left so far, not the year's outflow")
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["group", "leavers", "unqualified", "rate"])
        # The command is the operator's interface, bound by the CLI contract (docs/cli.md): it runs
        # on the server with the database's full access, and its output is not a publication. Pages,
        # exports and the API publish through kernel.disclosure (registry.outflow.report.published).
        for row in outflow(school_year, by=by):
            if by is not None and row.suppressed:  # the contract: groups under 5 leavers show <5
                writer.writerow([row.group, "<5", "<5", "<5"])
            else:
                writer.writerow([row.group, row.leavers, row.unqualified, "" if row.rate is None else repr(round(row.rate, 4))])
        if out:
            with open(out, "w", encoding="utf-8", newline="") as handle:
                handle.write(buffer.getvalue())
        else:
            self.stdout.write(buffer.getvalue(), ending="")
