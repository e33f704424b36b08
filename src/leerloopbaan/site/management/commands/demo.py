"""`leerloopbaan demo`: one command from nothing to a living platform on localhost."""

from __future__ import annotations

import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from leerloopbaan.site.translations import compile_catalogues


class Command(BaseCommand):
    help = "Create the database, load the synthetic city, create one demo account per role, and serve the site."

    def add_arguments(self, parser):
        parser.add_argument("--pupils", type=int, default=10_000, help="pupils enrolled now in the synthetic city (default 10000; 103000 is Antwerp scale)")
        parser.add_argument("--seed", type=int, default=1, help="random seed of the synthetic city (default 1)")
        parser.add_argument("--port", type=int, default=8000, help="port to serve on (default 8000)")
        parser.add_argument("--no-serve", action="store_true", help="prepare everything, then stop instead of serving")

    def handle(self, *args, pupils, seed, port, no_serve, **options):
        if settings.PRODUCTION:
            raise CommandError("the demo never runs in production (LEERLOOPBAAN_ENV=production)", returncode=2)
        if not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
            # the demo creates accounts with a published password: never in a server (production) database
            raise CommandError("the demo runs only on its own embedded SQLite database: unset DATABASE_URL", returncode=2)
        if pupils < 100 or pupils > 1_200_000:
            raise CommandError(f"--pupils {pupils}: expected a number from 100 to 1200000", returncode=2)
        if not 0 < port < 65536:
            raise CommandError(f"--port {port}: expected a port number between 1 and 65535", returncode=2)
        console = Console(file=sys.stderr)
        started = time.monotonic()

        def step(text):
            console.print(f"[bold]{time.monotonic() - started:6.1f}s[/bold] {text}")

        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        step(f"database: {settings.DATABASES['default']['NAME']}")
        compile_catalogues()
        for alias in settings.DATABASES:
            call_command("migrate", database=alias, verbosity=0, interactive=False)
        step("tables ready")

        from leerloopbaan.demo.pipeline import load_city

        load_city(pupils=pupils, seed=seed, progress=step)

        from leerloopbaan.demo.accounts import create_demo_accounts

        accounts = create_demo_accounts()
        step("demo accounts ready")

        from leerloopbaan.demo.care.cases import create_demo_cases
        from leerloopbaan.demo.care.handovers import create_demo_handovers
        from leerloopbaan.demo.care.requests import create_demo_support

        create_demo_support()
        create_demo_cases()
        step("support offers, requests and cases ready")
        create_demo_handovers()
        step("warm handovers detected")
        from leerloopbaan.demo.care.effects import create_demo_effect_history

        history = create_demo_effect_history(pupils_in_city=pupils, progress=step)
        if history["treated"]:
            step(f"support history: {history['treated']} pupils coached from {history['start']}")
        from leerloopbaan.demo.tutoring import create_demo_tutoring

        tutoring = create_demo_tutoring(seed=seed)
        if tutoring.get("tutors"):
            step(f"tutoring: {tutoring['initiatives']} initiatives, {tutoring['tutors']} tutors, {tutoring['needs']} needs, "
                 f"{tutoring['matches']} matches, {tutoring['checkins']} check-ins, a draft of {tutoring['draft_proposals']} proposals")
        from leerloopbaan.demo.portfolio import create_demo_portfolio

        portfolio = create_demo_portfolio(seed=seed)
        if portfolio.get("portfolios"):
            step(f"talent portfolios: {portfolio['issuers']} verified organisations, {portfolio['places']} talent growth "
                 f"places, {portfolio['portfolios']} portfolios with {portfolio['credentials']} signed credentials")
        self._print_accounts(accounts, port)
        step(f"demo ready in {time.monotonic() - started:.1f}s")
        if not no_serve:
            from leerloopbaan.site.management.commands.serve import serve
            serve(port, stdout=self.stdout)

    def _print_accounts(self, accounts, port):
        table = Table(title=f"Demo accounts · http://127.0.0.1:{port}/", show_lines=False)
        for col in ("role", "e-mail", "password", "second factor", "tied to"):
            table.add_column(col)
        for a in accounts:
            table.add_row(a.role, a.email, a.password, "code shown on the login page" if a.totp_key else "-", a.attached_to or "-")
        Console(file=self.stdout, width=160).print(table)
