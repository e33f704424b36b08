"""Load ESCO skills into the portfolio's picker: the bundled transversal skills, or the full official
download (``skills_en.csv`` and ``skills_nl.csv`` of the ESCO CSV package) for a pinned version."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "load ESCO skills (Dutch and English labels) for the portfolio's competence picker"

    def add_arguments(self, parser):
        parser.add_argument("--folder", type=Path, help="folder of the official ESCO CSV download (skills_en.csv, skills_nl.csv)")
        parser.add_argument("--esco-version", dest="esco_version", help="the ESCO version of that download, e.g. 1.2.0")

    def handle(self, *args, folder=None, esco_version=None, **options):
        from leerloopbaan.portfolio.esco.loader import EscoFormatError, load_bundled, load_official_download
        from leerloopbaan.portfolio.youth.services import esco_load

        if folder is None:
            release = load_bundled()
        else:
            if not esco_version:
                raise CommandError("--esco-version is required with --folder (the ESCO version of the download, e.g. 1.2.0)")
            try:
                release = load_official_download(folder, version=esco_version)
            except EscoFormatError as exc:
                raise CommandError(str(exc)) from None
        created, updated = esco_load(release=release)
        self.stdout.write(f"ESCO {release.version}: {len(release.skills)} skills, {created} new, {updated} updated")
