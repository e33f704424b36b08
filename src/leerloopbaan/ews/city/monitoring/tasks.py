"""Background work of monitoring (Tasks API): the feature drift of each finished import."""

from django_tasks import task

from leerloopbaan.kernel.access import in_unit_of_work


@task()
@in_unit_of_work("task ews.measure_drift")
def measure_drift_after_import(import_run_id: int) -> int:
    """Measure and keep the feature drift of the import (``monitoring.services.measure_drift``),
    then compute the monitoring page's figures for the new data, so that the first analyst to open
    the page does not wait for them. Returns the number of features measured (0: nothing to measure)."""
    from leerloopbaan.ews.city.monitoring.selectors import cached_monitoring
    from leerloopbaan.ews.city.monitoring.services import measure_drift
    from leerloopbaan.registry.models import ImportRun

    import_run = ImportRun.objects.filter(pk=import_run_id).first()
    drift = measure_drift(import_run) if import_run is not None else None
    cached_monitoring()
    return 0 if drift is None else len(drift.psi)
