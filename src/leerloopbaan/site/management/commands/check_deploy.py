"""``leerloopbaan check_deploy``: what this installation still lacks for production.

Prints one line per check (``ok``, ``MISSING`` for what production cannot do without, ``advice``
for what it can) and exits 0 when production may serve, 1 when something is missing.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from leerloopbaan.site.deploy import report


class Command(BaseCommand):
    help = "Report what a production installation still lacks: secrets, HTTPS, database roles, audit-log privileges."

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default", help="the database alias to check (default: default)")

    def handle(self, *args, database, **options):
        checks = report(database)
        width = max(len(c.name) for c in checks)
        missing = 0
        for check in checks:
            status = "ok" if check.ok else ("MISSING" if check.blocker else "advice")
            missing += not check.ok and check.blocker
            self.stdout.write(f"{status:<8} {check.name:<{width}}  {check.detail}")
        if missing:
            self.stdout.write(f"\n{missing} thing(s) missing for production (docs/deploy.md).")
            raise SystemExit(1)
        self.stdout.write("\nready for production.")
