"""Background work of the audit app: thin wrappers around services (Tasks API)."""

from django_tasks import task

from leerloopbaan.kernel.audit.services import audit_purge


@task()
def purge_audit_log() -> int:
    """Remove audit entries past the retention period (scheduled daily in production)."""
    return audit_purge()
