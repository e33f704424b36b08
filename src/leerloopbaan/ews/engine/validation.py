"""Temporal validation, model selection and the training report.

Splits are by *entry cohort* (the school year a pupil entered S1; see
``features.entry_cohorts``): each of the last ``n_folds`` cohorts is held out in turn, the
models are trained on the earlier cohorts only, and evaluated on the held-out cohort. A pupil
belongs to exactly one cohort, so no pupil is on both sides of a split.

Every candidate and every baseline is scored on the same folds. The candidate with the best mean
``metric`` (default average precision) over the held-out cohorts is refitted on all cohorts and
returned with the report (a plain, JSON-serialisable dict).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from . import metrics as M
from .fairness import fairness_audit
from .features import FEATURES, TrainingSet
from .models import ContextBaseline, LightGBMCandidate, LogisticCandidate, RuleBaseline

FAIRNESS_GROUPS = ("sex", "home_language", "oki_level", "district")
REPORT_VERSION = 1


def default_candidates(random_state: int = 0) -> dict:
    return {
        "logistic": LogisticCandidate(C=0.5, random_state=random_state),
        "lightgbm": LightGBMCandidate(random_state=random_state),
        "lightgbm_small": LightGBMCandidate(n_estimators=200, num_leaves=7, min_child_samples=80,
                                            random_state=random_state),
    }


def default_baselines(random_state: int = 0) -> dict:
    return {"rule": RuleBaseline(), "context": ContextBaseline(random_state=random_state)}


def temporal_splits(cohorts, n_folds: int = 3, min_train_cohorts: int = 3):
    """Yield ``(held_out_cohort, train_mask, test_mask)`` for each of the last ``n_folds``
    cohorts that has at least ``min_train_cohorts`` earlier cohorts."""
    cohorts = np.asarray(cohorts)
    values = np.unique(cohorts)
    for i, c in enumerate(values[-n_folds:], start=len(values) - min(n_folds, len(values))):
        if i < min_train_cohorts:
            continue
        yield int(c), cohorts < c, cohorts == c


def _fit(model, ts: TrainingSet):
    return model.fit(ts.X, ts.y, groups=ts.meta["pupil_id"].to_numpy())


def select_and_fit(ts: TrainingSet, *, candidates: dict | None = None, baselines: dict | None = None,
                   n_folds: int = 3, min_train_cohorts: int = 3, metric: str = "average_precision",
                   top_share: float = 0.10, capacity: int = 10, random_state: int = 0,
                   fairness_groups=FAIRNESS_GROUPS, interval_replicates: int = 8, interval_level: float = 0.90):
    """Temporal validation of candidates and baselines, choice of the best candidate, refit on all
    cohorts, band thresholds, ``interval_replicates`` bootstrap replicates of the chosen model for the
    uncertainty interval of every risk (``models._Base.fit_intervals``; 0: none) and fairness audit.
    Returns ``(model, report)``.

    ``report`` keys: version, created, data (rows, pupils, positives, cohorts, reference dates),
    label, features, selection (metric, per-model means, chosen, params), folds (per held-out
    cohort: per model the metrics of :func:`metrics.evaluate`), fairness (audit of the chosen
    model's held-out predictions at the top ``top_share`` threshold), approved, reasons, bands.
    """
    candidates = candidates or default_candidates(random_state)
    baselines = baselines or default_baselines(random_state)
    models = {**candidates, **baselines}
    meta = ts.meta
    folds, held = [], {name: [] for name in models}
    held_idx = []
    for c, tr, te in temporal_splits(meta["cohort"].to_numpy(), n_folds, min_train_cohorts):
        train, test = ts.subset(tr), ts.subset(te)
        if test.y.sum() == 0 or train.y.sum() == 0:
            continue
        fold = {"held_out_cohort": c, "train_cohorts": [int(x) for x in np.unique(train.meta["cohort"])],
                "models": {}}
        for name, proto in models.items():
            m = _fit(type(proto)(**proto.get_params()), train)
            p = m.predict_proba(test.X)[:, 1]
            held[name].append(p)
            fold["models"][name] = M.evaluate(test.y, p, school=test.meta["school_id"].to_numpy(),
                                              date=test.meta["reference_date"].to_numpy(),
                                              top_share=top_share, capacity=capacity)
        held_idx.append(np.flatnonzero(te))
        folds.append(fold)
    if not folds:
        raise ValueError("not enough cohorts with known outcomes for temporal validation")

    def mean_of(name, key):
        vals = [f["models"][name][key] for f in folds if f["models"][name][key] is not None]
        return round(float(np.mean(vals)), 4) if vals else None

    keys = ("auc", "average_precision", "precision_at_top", "recall_at_top", "precision_at_capacity",
            "recall_at_capacity", "ece", "brier")
    summary = {name: {k: mean_of(name, k) for k in keys} for name in models}
    chosen = max(candidates, key=lambda n: (summary[n][metric] or -1, summary[n]["auc"] or -1))

    idx = np.concatenate(held_idx)
    pooled = {name: np.concatenate(held[name]) for name in models}
    y_held = ts.y[idx]
    overall = {name: M.evaluate(y_held, pooled[name], school=meta["school_id"].to_numpy()[idx],
                                date=meta["reference_date"].to_numpy()[idx], top_share=top_share,
                                capacity=capacity) for name in models}
    p_chosen = pooled[chosen]
    k = int(np.ceil(top_share * len(p_chosen)))
    threshold = float(np.sort(p_chosen)[::-1][k - 1])
    groups = meta.iloc[idx][[g for g in fairness_groups if g in meta.columns]].reset_index(drop=True)
    audit = fairness_audit(y_held, p_chosen, groups, threshold)

    model = _fit(type(candidates[chosen])(**candidates[chosen].get_params()), ts)
    model.set_bands(model.predict_proba(ts.X)[:, 1])
    if interval_replicates:
        model.fit_intervals(ts.X, ts.y, groups=meta["pupil_id"].to_numpy(), n_replicates=interval_replicates,
                            level=interval_level, random_state=random_state)

    reasons = list(audit["reasons"])
    rule = summary.get("rule", {})
    if rule and summary[chosen]["auc"] is not None and rule.get("auc") is not None:
        if summary[chosen]["auc"] <= rule["auc"]:
            reasons.append(f"{chosen} does not beat the rule baseline on AUC")
    refs = pd.to_datetime(meta["reference_date"])
    report = {
        "version": REPORT_VERSION,
        "created": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "data": {
            "rows": int(len(ts.y)), "pupils": int(meta["pupil_id"].nunique()), "positives": int(ts.y.sum()),
            "positive_rate": round(float(ts.y.mean()), 4),
            "cohorts": [int(c) for c in np.unique(meta["cohort"])],
            "reference_dates": sorted({d.date().isoformat() for d in refs}),
        },
        "label": "the pupil eventually leaves secondary education without a qualification (VSV definition, "
                 "registry); censored pupils (moved out, deceased, still enrolled) are left out",
        "features": [{"name": f.name, "area": f.area, "context": f.context, "en": f.en} for f in FEATURES],
        "selection": {"metric": metric, "mean": summary, "chosen": chosen, "model_kind": model.kind,
                      "params": model.get_params(), "candidates": list(candidates), "baselines": list(baselines)},
        "folds": folds,
        "held_out": overall,
        "fairness": audit,
        "bands": model.band_thresholds_,
        "intervals": {"method": "bootstrap of whole pupils, Student interval on the logit scale",
                      "replicates": int(interval_replicates), "level": interval_level} if interval_replicates else None,
        "approved": not reasons,
        "reasons": reasons,
        "top_share": top_share,
        "capacity_per_school": capacity,
    }
    return model, report
