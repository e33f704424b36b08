from django.core.management.base import BaseCommand, CommandError
from django.db import connections, transaction

from leerloopbaan.kernel.audit.database import app_role_grants


class Command(BaseCommand):
    help = (
        "PostgreSQL: print (or, with --apply, run as the migration role) the grants of the application "
        "role: data on every table, only SELECT and INSERT on the audit log, the retention purge "
        "function. Run after every migrate (docs/deploy.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--app-role", required=True, help="the role the site, workers and commands connect as")
        parser.add_argument("--owner-role", help="the migration role (default: the role that runs the statements)")
        parser.add_argument("--schema", default="public")
        parser.add_argument("--apply", action="store_true", help="run the statements on the default database")

    def handle(self, *args, app_role, owner_role, schema, apply, **options):
        connection = connections["default"]
        if connection.vendor != "postgresql":
            raise CommandError("the database roles are for PostgreSQL (DATABASE_URL=postgres://...)")
        statements = app_role_grants(app_role, owner_role=owner_role, schema=schema, connection=connection)
        if not apply:
            self.stdout.write("\n".join(f"{sql};" for sql in statements))
            return
        with transaction.atomic(using="default"), connection.cursor() as cur:
            for sql in statements:
                cur.execute(sql)
        self.stdout.write(f"granted {app_role} its privileges ({len(statements)} statements)")
