"""Model selection and the training report.

:func:`time_true_select` is what the platform uses: every candidate and baseline goes through the
time-true backtest (``backtest.Backtest``: on each as-of date only what was known then, tested on
the pupils scored that day), each candidate through the release gate (``gate.release_gate``); when
none passes, mitigations (``mitigation``) are tried and gated the same way; the chosen recipe is
refitted on everything known today. See docs/early-warning.md.

:func:`select_and_fit` below is the older entry-cohort validation. It is NOT time-true (a held-out
cohort's pupils are tested on dates before some of the training rows, with labels and school rates
known only today) and is kept for quick experiments on synthetic matrices only.

Old validation: splits are by *entry cohort* (the school year a pupil entered S1; see
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
from . import mitigation as MIT
from .backtest import Backtest, LabelsOn, recipe, training_set_on
from .fairness import fairness_audit
from .features import FEATURES, TrainingSet
from .frames import Frames, as_timestamp
from .gate import release_gate
from .models import ContextBaseline, LightGBMCandidate, LogisticCandidate, RuleBaseline

# bootstrap replicates behind each score's uncertainty interval (docs/early-warning.md)
INTERVAL_REPLICATES = 8
INTERVAL_LEVEL = 0.90
FAIRNESS_GROUPS = ("sex", "home_language", "oki_level", "district")
REPORT_VERSION = 1
TIME_TRUE_REPORT_VERSION = 2


def default_candidates(random_state: int = 0) -> dict:
    # one thread: on a shared machine LightGBM's second thread mostly waits (20x slower under load)
    return {
        "logistic": LogisticCandidate(C=0.5, random_state=random_state),
        "lightgbm": LightGBMCandidate(random_state=random_state, n_jobs=1),
        "lightgbm_small": LightGBMCandidate(n_estimators=200, num_leaves=7, min_child_samples=80,
                                            random_state=random_state, n_jobs=1),
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


LABEL_TEXT = ("the pupil eventually leaves secondary education without a qualification (VSV definition, "
              "registry); pupils whose outcome is not observable on the as-of date (still enrolled, moved out, "
              "deceased, or left less than a full school year ago) are left out")


def _mean(summary: dict, name: str, key: str) -> float:
    s = summary.get(name, {}).get(key)
    return -1.0 if s is None else s["mean"]


def time_true_select(frames: Frames, labels_on: LabelsOn | None = None, *, today, candidates: dict | None = None,
                     baselines: dict | None = None, as_of_dates=None, final_labels=None, top_share: float = 0.10,
                     max_rows: int | None = None, mitigate: bool = True, random_state: int = 0, progress=None,
                     backtest_options: dict | None = None, gate_options: dict | None = None):
    """Backtest, gate, mitigate, choose and refit. Returns ``(model, rule_model, report)``.

    ``frames``: today's frames, with ``labels`` (or ``final_labels``) the outcomes known today;
    ``labels_on(cut, A)``: the outcomes known on A (default: today's labels censored at A, see
    ``backtest.labels_on_from``); ``today``: the date the final model is trained on (its rows are
    those of every earlier 1 December, labelled with ``labels_on(frames.known_on(today), today)``).
    ``rule_model`` is the rule baseline fitted on the same rows (the fallback when the candidate is
    not approved). The report (JSON-serialisable) holds the backtest per as-of date, the gate
    verdict of every candidate and mitigation, and ``release`` (the chosen model's verdict).
    Raises ``ValueError`` when no as-of date has enough known outcomes.
    """
    progress = progress or (lambda _m: None)
    candidates = candidates or default_candidates(random_state)
    baselines = baselines or default_baselines(random_state)
    if "rule" not in baselines:
        raise ValueError("the release gate compares with the rule baseline: baselines need 'rule'")
    today = as_timestamp(today)
    bt = Backtest(frames, labels_on, as_of_dates=as_of_dates, final_labels=final_labels, top_share=top_share,
                  max_rows=max_rows, random_state=random_state, progress=progress, **(backtest_options or {}))
    if not bt.dates:
        why = "; ".join(f"{s['as_of']}: {s['reason']}" for s in bt.skipped) or "no school year has known outcomes"
        raise ValueError(f"no as-of date with enough known outcomes for a time-true backtest ({why})")
    recipes = {name: recipe(m) for name, m in {**baselines, **candidates}.items()}
    bt.run(recipes)
    report = bt.report()
    gate_options = gate_options or {}
    verdicts = {name: release_gate(report, name, **gate_options) for name in candidates}
    mitigations: dict[str, dict] = {}
    if mitigate and not any(v["approved"] for v in verdicts.values()):
        best = max(candidates, key=lambda n: (_mean(report["summary"], n, "average_precision"),
                                              _mean(report["summary"], n, "auc")))
        checks = verdicts[best]["checks"]
        variants = {}
        unfair = sorted(set(checks["recall_parity"]["attributes"]) | set(checks["ece_groups"]["attributes"]))
        if unfair:
            variants[f"{best}+reweighed"] = MIT.recalibrated(MIT.reweighed(recipes[best], unfair, random_state))
            mitigations[f"{best}+reweighed"] = {
                "of": best, "steps": [MIT.reweighed(recipes[best], unfair).mitigation,
                                      MIT.recalibrated(recipes[best]).mitigation],
                "why": "recall parity or calibration within groups failed for " + ", ".join(unfair)}
        if not checks["ece"]["passed"]:
            variants[f"{best}+recalibrated"] = MIT.recalibrated(recipes[best])
            mitigations[f"{best}+recalibrated"] = {
                "of": best, "steps": [MIT.recalibrated(recipes[best]).mitigation],
                "why": "the calibration error was above the limit on an as-of date"}
        if variants:
            progress(f"no candidate passes the release gate: trying {', '.join(variants)}")
            bt.run(variants)
            recipes.update(variants)
            report = bt.report()
            verdicts = {name: release_gate(report, name, **gate_options) for name in [*candidates, *variants]}
    names = list(verdicts)
    approved = [n for n in names if verdicts[n]["approved"]]
    pool = approved or names
    # approved first; among the others, one that beats the rule, then the fewest failed checks
    chosen = max(pool, key=lambda n: (verdicts[n]["checks"]["beats_rule_auc"]["passed"]
                                      and verdicts[n]["checks"]["beats_rule_ap"]["passed"],
                                      -sum(not c["passed"] for c in verdicts[n]["checks"].values()),
                                      _mean(report["summary"], n, "average_precision"),
                                      _mean(report["summary"], n, "auc")))
    verdict = verdicts[chosen]

    progress(f"refitting {chosen} on everything known on {today.date()}")
    ts, info = training_set_on(frames, today, bt.labels_on, max_censored_share=bt.max_censored_share)
    if max_rows:
        sampled = ts.sample_pupils(max_rows, random_state=random_state)
        if len(sampled.y) < len(ts.y):
            info["sampled_from_rows"] = info["rows"]
            info["rows"], info["positives"] = int(len(sampled.y)), int(sampled.y.sum())
        ts = sampled
    if len(ts.y) == 0 or ts.y.sum() == 0 or ts.y.sum() == len(ts.y):
        raise ValueError("no training rows with both outcomes known today")
    model = recipes[chosen](ts)
    model.set_bands(model.predict_proba(ts.X)[:, 1])
    rule_model = recipes["rule"](ts)
    rule_model.set_bands(rule_model.predict_proba(ts.X)[:, 1])
    # the uncertainty interval of every score, for the model and for the fallback alike
    progress(f"fitting {INTERVAL_REPLICATES} bootstrap replicates for the uncertainty intervals")
    for m in (model, rule_model):
        m.fit_intervals(ts.X, ts.y, groups=ts.meta["pupil_id"].to_numpy(), n_replicates=INTERVAL_REPLICATES,
                        level=INTERVAL_LEVEL)

    summary = report["summary"]

    def mean_of(name, key):
        s = summary.get(name, {}).get(key)
        return None if s is None else s["mean"]

    release = {
        "approved": bool(verdict["approved"]),
        "reasons": list(verdict["reasons"]),
        "approved_on": today.date().isoformat() if verdict["approved"] else None,
        "precision_at_operating_point": mean_of(chosen, "precision_at_operating_point"),
        "recall_at_operating_point": mean_of(chosen, "recall_at_operating_point"),
        "operating_point": report["operating_point"],
        "top_10pct_per_school": {"precision": mean_of(chosen, "precision_top_10pct_per_school"),
                                 "recall": mean_of(chosen, "recall_top_10pct_per_school"),
                                 "gated": False},
        "fairness": verdict["fairness"],
        "as_of_dates": bt.as_of_dates,
        "baseline": {"precision_at_operating_point": mean_of("rule", "precision_at_operating_point"),
                     "auc": mean_of("rule", "auc"), "average_precision": mean_of("rule", "average_precision")},
    }
    return model, rule_model, {
        "version": TIME_TRUE_REPORT_VERSION,
        "created": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "validation": "time-true backtest",
        "trained_on": today.date().isoformat(),
        "data": info,
        "label": LABEL_TEXT,
        "features": [{"name": f.name, "area": f.area, "context": f.context, "en": f.en} for f in FEATURES],
        "selection": {"metric": "average_precision", "chosen": chosen, "model_kind": model.kind,
                      "params": model.get_params(), "candidates": list(candidates), "baselines": list(baselines),
                      "mitigations": mitigations, "gate": verdicts},
        "backtest": report,
        "release": release,
        "approved": release["approved"],
        "reasons": release["reasons"],
        "bands": model.band_thresholds_,
        "intervals": {"method": "bootstrap of whole pupils, Student interval on the logit scale",
                      "replicates": INTERVAL_REPLICATES, "level": INTERVAL_LEVEL},
        "top_share": top_share,
    }
