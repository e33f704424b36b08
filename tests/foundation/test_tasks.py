"""Background work: immediate in tests and the demo, a database queue run by `db_worker` in production."""

import pytest
from django.core.management import call_command

from leerloopbaan.kernel.audit.tasks import purge_audit_log


@pytest.mark.django_db(transaction=True)
def test_immediate_backend_runs_at_once():
    result = purge_audit_log.enqueue()
    assert result.status == "SUCCESSFUL"
    assert result.return_value == 0


@pytest.mark.django_db(transaction=True)
def test_database_queue_is_run_by_the_worker(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    result = purge_audit_log.enqueue()
    assert result.status == "READY"  # queued, not run
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    result.refresh()
    assert result.status == "SUCCESSFUL"
