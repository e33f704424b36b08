from django.core.management.base import BaseCommand

from leerloopbaan.kernel.audit.services import audit_purge


class Command(BaseCommand):
    help = (
        "Remove audit entries older than the retention period (LEERLOOPBAAN_AUDIT_RETENTION_DAYS; on "
        "PostgreSQL the retention the last migrate stored, through audit_purge_expired())."
    )

    def handle(self, *args, **options):
        deleted = audit_purge()
        self.stdout.write(f"{deleted} audit entries older than the retention period removed")
