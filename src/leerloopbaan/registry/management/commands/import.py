"""``leerloopbaan import PATH… [--dry-run]`` (shared/spec/cli.md)."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import CommandError

from leerloopbaan.kernel.access import UnitOfWorkCommand
from leerloopbaan.kernel.pseudonym import PseudonymKeyMissing, mask_national_numbers


class Command(UnitOfWorkCommand):
    help = "Import pupil records (schools, pupils, enrolments, absences, attestations, test_results) from files or folders."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="files or folders in the format of data-format.md")
        parser.add_argument("--dry-run", action="store_true", help="check everything, write nothing")

    def handle(self, *args, paths, dry_run, **options):
        from leerloopbaan.registry.importer import import_paths
        from leerloopbaan.registry.importer.core import DatabaseNotReady, prepare_database

        missing = [p for p in paths if not Path(p).exists()]
        if missing:
            # a path may carry a national number (a folder named after a pupil): masked like every message
            raise CommandError(mask_national_numbers(f"no such file or folder: {', '.join(missing)}"), returncode=2)
        tty = sys.stderr.isatty()

        def progress(message: str) -> None:
            if tty:
                sys.stderr.write("\r\033[K" + message)
                if message.startswith("done"):
                    sys.stderr.write("\n")
            else:
                sys.stderr.write(message + "\n")
            sys.stderr.flush()

        try:
            prepare_database(progress)
        except DatabaseNotReady as exc:
            raise CommandError(str(exc), returncode=2) from exc
        try:
            result = import_paths([Path(p) for p in paths], user=None, source="command", dry_run=dry_run, progress=progress)
        except PseudonymKeyMissing as exc:
            raise CommandError(str(exc), returncode=2) from exc
        self.stdout.write(result.report_text())
        if not result.ok:
            raise CommandError(f"the input was refused: {result.errors_total} problem(s); nothing was written", returncode=1)
