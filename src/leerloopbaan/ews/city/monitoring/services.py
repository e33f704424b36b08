"""Measuring feature drift: after each finished import, the Population Stability Index of every
model feature in the population scored that day against the training distribution of the model run.

The training distribution is binned once per model run (``DriftBaseline``): the training rows are
rebuilt from the registry at the reference dates and entry cohorts of the run's report, with
``engine.training_set`` and the sample ``ews.services.ews_train`` takes, so they are the rows the
model was fitted on as far as the registry still holds them (an outcome that became known after
training adds a row). Only shares per bin are kept, never a pupil.
"""

from __future__ import annotations

import datetime
import logging

import numpy as np
import pandas as pd
from django.db import transaction

from leerloopbaan.ews import engine
from leerloopbaan.ews.city.monitoring import metrics
from leerloopbaan.ews.loading import load_frames
from leerloopbaan.ews.models import DriftBaseline, FeatureDrift, ModelRun, RiskScore
from leerloopbaan.ews.services import MAX_TRAINING_ROWS
from leerloopbaan.kernel import clock
from leerloopbaan.kernel.audit.services import audit_record
from leerloopbaan.registry.models import ImportRun

logger = logging.getLogger("leerloopbaan.ews")


def training_rows(run: ModelRun, frames) -> pd.DataFrame | None:
    """The features of the rows ``run`` was trained on, rebuilt from ``frames`` (with labels and
    every absence): its reference dates and entry cohorts, the same sample of whole pupils."""
    data = (run.report or {}).get("data") or {}
    dates = [pd.Timestamp(d) for d in data.get("reference_dates") or []]
    if not dates:
        return None
    try:
        ts = engine.training_set(frames, dates)
    except ValueError:
        return None
    cohorts = data.get("cohorts")
    if cohorts:
        ts = ts.subset(np.isin(ts.meta["cohort"].to_numpy(), cohorts))
    ts = ts.sample_pupils(MAX_TRAINING_ROWS)
    return ts.X if len(ts.y) else None


def baseline_for(run: ModelRun, frames=None) -> DriftBaseline | None:
    """The binned training distribution of ``run`` (built and kept the first time); None when the
    run's training rows cannot be rebuilt (no reference dates in its report, no known outcomes)."""
    existing = DriftBaseline.objects.filter(model_run=run).first()
    if existing is not None:
        return existing
    X = training_rows(run, frames if frames is not None else load_frames())
    if X is None or not len(X):
        return None
    baseline, _created = DriftBaseline.objects.get_or_create(
        model_run=run, defaults={"rows": len(X), "bins": metrics.baseline_bins(X)}
    )
    return baseline


def run_for(import_run: ImportRun) -> ModelRun | None:
    """The model run that scored on the day of the import (the latest, if more than one did), else
    the latest run trained before the import finished; only runs that may score (an unapproved run
    never scores, so its drift is not the population's)."""
    day = clock.date_of(import_run.finished_at or import_run.started_at)
    scored = (
        RiskScore.objects.that_may_show()
        .filter(reference_date=day)
        .values_list("model_run_id", flat=True)
        .distinct()
        .order_by()
    )
    runs = (
        ModelRun.objects.filter(pk__in=list(scored))
        if scored
        else ModelRun.objects.filter(
            pk__in=ModelRun.objects.that_may_score(),
            created_at__lte=import_run.finished_at or import_run.started_at,
        )
    )
    return runs.order_by("-created_at", "-pk").first()


def measure_drift(import_run: ImportRun, *, run: ModelRun | None = None, frames=None) -> FeatureDrift | None:
    """The PSI of every feature in the population enrolled on the day ``import_run`` finished
    (the population scored that day) against the training distribution of the model run; kept
    (replacing an earlier measurement of the same import and run). None when there is nothing to
    measure: not a finished import, no model run, no training rows or nobody enrolled."""
    if import_run.status != ImportRun.Status.DONE or import_run.dry_run:
        return None
    run = run or run_for(import_run)
    if run is None:
        return None
    day = clock.date_of(import_run.finished_at or import_run.started_at)
    if frames is None and not DriftBaseline.objects.filter(model_run=run).exists():
        frames = load_frames()  # the training rows need every absence; today's features use the same frames
    baseline = baseline_for(run, frames)
    if baseline is None:
        logger.info(
            "no feature drift for import %s: the training rows of model %s cannot be rebuilt",
            import_run.pk,
            run.version,
        )
        return None
    if frames is None:
        frames = load_frames(absences_since=datetime.date(day.year - 2, 9, 1))
    X = engine.build_features(frames, day)
    if not len(X):
        return None
    psis, shares = metrics.drift(baseline.bins, X)
    with transaction.atomic():
        drift, _created = FeatureDrift.objects.update_or_create(
            import_run=import_run,
            model_run=run,
            defaults={
                "reference_date": day,
                "population": len(X),
                "psi": psis,
                "shares": shares,
                "measured_at": clock.now(),
            },
        )
    audit_record(
        action="create",
        subject_type="aggregate",
        object_repr=f"feature drift {day}",
        purpose="early warning feature drift",
        detail={
            "import": import_run.pk,
            "model": run.version,
            "pupils": len(X),
            "shifted": sorted(f for f, v in psis.items() if metrics.psi_level(v) == "shifted"),
        },
    )
    return drift


def measure_missing_drift(*, progress=None) -> list[FeatureDrift]:
    """Measure the drift of the latest finished import if it has none yet (the command's
    ``--measure-drift``, e.g. after a model was trained)."""
    progress = progress or (lambda _m: None)
    last = (
        ImportRun.objects.filter(status=ImportRun.Status.DONE, dry_run=False)
        .order_by("-finished_at", "-pk")
        .first()
    )
    if last is None:
        progress("no finished import yet")
        return []
    run = run_for(last)
    if run is None:
        progress("no model trained yet: run `leerloopbaan ews train` first")
        return []
    if FeatureDrift.objects.filter(import_run=last, model_run=run).exists():
        progress(f"import {last.pk} already has its feature drift against model {run.version}")
        return []
    progress(f"measuring the feature drift of import {last.pk} against model {run.version}")
    drift = measure_drift(last, run=run)
    return [drift] if drift else []
