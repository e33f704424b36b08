"""Early warning use cases: train a model, score pupils on a date. One transaction, one audit entry each."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from leerloopbaan.ews import engine
from leerloopbaan.ews.loading import labels_on, load_frames
from leerloopbaan.ews.models import BASELINE_MODEL, FollowUp, ModelRun, PortraitComment, RiskScore
from leerloopbaan.kernel import clock
from leerloopbaan.kernel.audit.services import audit_record
from leerloopbaan.registry.importer.bulk import insert_rows
from leerloopbaan.registry.models import Pupil, School

MODELS_DIR_NAME = "models"
# Above this many training rows, each training set (one per as-of date of the backtest, and the
# final one) is a reproducible sample of whole pupils (see TrainingSet.sample_pupils).
MAX_TRAINING_ROWS = 120_000
# What a stored score keeps of each reason (the pages show the sentence, the area and its points;
# the breakdown beside it holds every area's points, which add up to the shown risk).
STORED_REASON_KEYS = ("area", "text_nl", "text_en", "contribution", "points")


class NoTrainingData(Exception):
    """There are not enough cohorts with a known outcome to train and validate a model."""


class RunNotApproved(Exception):
    """A model run that may not score was asked to score: an unapproved run never scores."""


def _models_dir() -> Path:
    path = settings.DATA_DIR / MODELS_DIR_NAME
    path.mkdir(parents=True, exist_ok=True)
    return path


def ews_train(*, user=None, today: datetime.date | None = None, progress=None, frames=None) -> ModelRun:
    """Time-true backtest of every candidate and baseline, release gate, refit of the chosen model on
    everything known today. Keeps two runs: the rule baseline (``model_name`` "rule", report role
    "baseline", never approved: the fallback) and then the chosen candidate, approved only when it
    passed the release gate (``report["release"]``). Returns the candidate's run."""
    progress = progress or (lambda _m: None)
    today = today or clock.today()
    if frames is None:
        progress("loading the registry")
        frames = load_frames()
    if frames.labels is None or not len(frames.labels):
        raise NoTrainingData("no pupils with a known outcome yet: import more school years first")
    try:
        model, rule_model, report = engine.time_true_select(
            frames, labels_on, today=today, max_rows=MAX_TRAINING_ROWS, progress=progress)
    except ValueError as exc:
        raise NoTrainingData(str(exc)) from exc
    report = json.loads(json.dumps(report, default=_jsonable))
    chosen = report["selection"]["chosen"]
    release = report["release"]
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S")
    version = f"{stamp}-{chosen}"[:40]
    rule_version = f"{stamp}-rule"
    directory = _models_dir()
    engine.save(rule_model, directory / f"{rule_version}.json")
    engine.save(model, directory / f"{version}.json")
    backtest = report["backtest"]
    rule_report = {
        "role": "baseline", "model": "rule", "trained_on": report["trained_on"], "for_run": version,
        "data": report["data"], "bands": rule_model.band_thresholds_, "as_of_dates": backtest["as_of_dates"],
        "summary": backtest["summary"].get("rule"),
        "release": {"approved": False, "reasons": ["the rule baseline is not gated: it is the fallback"],
                    "approved_on": None, "as_of_dates": backtest["as_of_dates"], **release["baseline"]},
    }
    with transaction.atomic():
        # the baseline first: the candidate is the newest run
        ModelRun.objects.create(
            version=rule_version, trained_by=user, model_name="rule", report=rule_report, approved=False,
            reasons=[], path=str((directory / f"{rule_version}.json").relative_to(settings.DATA_DIR)))
        run = ModelRun.objects.create(
            version=version, trained_by=user, model_name=chosen, report=report,
            path=str((directory / f"{version}.json").relative_to(settings.DATA_DIR)),
            approved=bool(release["approved"]), reasons=list(release["reasons"]))
        audit_record(action="create", subject_type="model_run", object_repr=version, purpose="early warning training",
                     detail={"rows": report["data"]["rows"], "approved": run.approved, "baseline": rule_version,
                             "as_of_dates": release["as_of_dates"]})
    return run


def _jsonable(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, (np.ndarray,)):
        return value.tolist()
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return str(value)


def latest_run() -> ModelRun | None:
    """The latest training report (``ews evaluate``, ``ews model-card``): the latest candidate run,
    approved or not, else the latest run of any kind. Never what scores: that is ``active_run``."""
    runs = ModelRun.objects.newest_first()
    return runs.exclude(model_name=BASELINE_MODEL).first() or runs.first()


def active_run() -> ModelRun:
    """The run that scores: the latest approved candidate; with none, the latest rule baseline run
    (stored beside each candidate by ``ews_train``); with neither, NoTrainingData. An unapproved run
    never scores, however new."""
    run = ModelRun.objects.active()
    if run is not None:
        return run
    if ModelRun.objects.exists():
        raise NoTrainingData("no approved model and no rule baseline to score with: the latest training was not approved "
                             "(`leerloopbaan ews evaluate` says why); train again (`leerloopbaan ews train`)")
    raise NoTrainingData("no model trained yet: run `leerloopbaan ews train` first")


def refuse_unless_may_score(run: ModelRun) -> None:
    """RunNotApproved unless ``run`` is an approved candidate or the rule baseline."""
    if not run.may_score:
        why = "; ".join(str(r) for r in (run.release.get("reasons") or run.reasons or [])) or "not approved"
        raise RunNotApproved(f"model run {run.version} is not approved ({why}): an unapproved run never scores; "
                             "leave the run out to score with the approved model or, without one, the rule baseline")


def load_model(run: ModelRun):
    return engine.load(settings.DATA_DIR / run.path)


def compute_scores(*, reference_date: datetime.date, run: ModelRun | None = None, frames=None):
    """Score every pupil enrolled in secondary on ``reference_date`` with data known then, with
    ``run`` (an approved candidate or the rule baseline; RunNotApproved otherwise) or by default the
    ``active_run``. Returns (run, DataFrame with pupil_id, school_id, risk, band, reasons, grade,
    track), or (run, None); the engine's ``score_population`` is the one scoring path
    (``benchmarks/ews_score.py`` times it)."""
    if run is None:
        run = active_run()
    refuse_unless_may_score(run)
    model = load_model(run)
    since = datetime.date(reference_date.year - 2, 9, 1)
    # ``frames``: already loaded for training in the same process (the demo); otherwise only the
    # absences of this school year and last are needed.
    frames = frames if frames is not None else load_frames(absences_since=since)
    scores = engine.score_population(model, frames, reference_date, langs=("nl", "en"))
    return run, scores


@transaction.atomic
def ews_score(*, reference_date: datetime.date, user=None, run: ModelRun | None = None, frames=None):
    """Score and keep the scores (replacing earlier scores of the same run and date), with the
    ``active_run`` unless ``run`` is given; an unapproved run is refused (RunNotApproved)."""
    run, scores = compute_scores(reference_date=reference_date, run=run, frames=frames)
    refuse_unless_may_score(run)
    RiskScore.objects.filter(model_run=run, reference_date=reference_date).delete()
    if scores is not None:
        now = timezone.now()
        insert_rows(
            RiskScore,
            ["pupil_id", "school_id", "reference_date", "model_run_id", "risk", "band", "reasons", "grade", "track", "created_at",
             "risk_low", "risk_high", "uncertain_band", "breakdown"],
            (
                (int(r.pupil_id), int(r.school_id), reference_date, run.pk, float(r.risk), r.band, json.dumps([{k: x[k] for k in STORED_REASON_KEYS} for x in r.reasons]), r.grade, r.track, now,
                 None if np.isnan(r.risk_low) else float(r.risk_low), None if np.isnan(r.risk_high) else float(r.risk_high), bool(r.uncertain_band), json.dumps(r.breakdown))
                for r in scores.itertuples(index=False)
            ),
        )
    # the entry names every pupil scored (a write about each of them), like the export of the scores
    scored = [] if scores is None else [int(i) for i in scores["pupil_id"]]
    keys = dict(Pupil.objects.filter(pk__in=scored).values_list("pk", "pupil_key")) if len(scored) <= 5000 else \
        dict(Pupil.objects.values_list("pk", "pupil_key"))
    audit_record(action="create", subject_type="pupil", subjects=[keys[i] for i in scored if i in keys],
                 object_repr=f"risk scores {reference_date}", purpose="early warning scoring",
                 detail={"model": run.version, "baseline": run.is_baseline, "pupils": len(scored)})
    return run, scores


@transaction.atomic
def expire_scores(*, today: datetime.date | None = None) -> int:
    """Scores older than a school year are removed (they describe a situation that has passed); one
    audit entry naming every pupil whose scores went."""
    today = today or clock.today()
    cutoff = today - datetime.timedelta(days=365)
    old = RiskScore.objects.filter(reference_date__lt=cutoff)
    keys = list(old.order_by().values_list("pupil__pupil_key", flat=True).distinct())
    deleted, _ = old.delete()
    if deleted:
        audit_record(action="delete", subject_type="pupil", subjects=keys, object_repr=f"risk scores before {cutoff}",
                     purpose="retention of risk scores", detail={"scores": deleted})
    return deleted


@transaction.atomic
def follow_up_record(*, user, pupil, kind: str, note: str = "", score: RiskScore | None = None) -> FollowUp:
    """Record that the school followed up a pupil on the risk list."""
    from leerloopbaan.ews import selectors

    score = score or selectors.latest_score_for(user, pupil)
    if score is None:
        raise Http404("no score for this pupil")
    follow_up = FollowUp.objects.create(pupil=pupil, school=score.school, score=score, kind=kind, note=note, by=user)
    audit_record(action="create", subject_type="pupil", subjects=[pupil.pupil_key], actor=user, purpose="risk list follow-up",
                 object_repr=f"follow-up {follow_up.pk}", detail={"kind": kind})
    return follow_up


@transaction.atomic
def portrait_comment_save(*, user, school: School, school_year: str, text: str) -> PortraitComment:
    from leerloopbaan.ews import selectors

    if not selectors.is_staff_of(user, school):
        raise PermissionDenied
    comment, _created = PortraitComment.objects.update_or_create(
        school=school, school_year=school_year, defaults={"text": text, "updated_by": user, "updated_at": timezone.now()})
    audit_record(action="update", subject_type="school", subjects=[], actor=user, purpose="school portrait comment",
                 object_repr=school.school_number, detail={"school_year": school_year})
    return comment
