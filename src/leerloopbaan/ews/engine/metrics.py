"""Evaluation metrics of a risk score (plain floats, JSON-serialisable).

The product's operating point (:func:`high_band_weights`): each school's list is sorted by risk
and the pupils in the **high band** (risk >= the model's fixed high-band threshold, the 90th
percentile of its own training risks, ``model.band_thresholds_["high"]``) are marked at the top of
every school's list; that is what a school acts on. Precision, recall, false positive rate and
selection rate "at the operating point" are measured on that selection: however many of a school's
pupils are in the high band, and never on a fixed number or share of pupils per school.

:func:`operating_point_weights` is a secondary figure, not the product's operating point: the top
``share`` (10 %) of each school's list, ``ceil(share * pupils scored at the school)`` pupils (a
per-school quota, which caps recall in schools with more leavers than places).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score


def _f(x) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), 4)


def top_share_selection(score: np.ndarray, k: int) -> np.ndarray:
    """Weights (0..1) of selecting the ``k`` highest scores; ties at the cut share the remaining
    places equally (the expectation under random tie-breaking), so rules with few distinct scores
    are not favoured or penalised by row order."""
    score = np.asarray(score, dtype=np.float64)
    n = len(score)
    k = int(min(max(k, 0), n))
    w = np.zeros(n)
    if k == 0:
        return w
    t = np.sort(score)[::-1][k - 1]
    above = score > t
    at = score == t
    w[above] = 1.0
    w[at] = (k - above.sum()) / at.sum()
    return w


def expected_calibration_error(y, p, bins: int = 10) -> float:
    """ECE with ``bins`` equal-width bins of the predicted probability, weighted by bin size."""
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    idx = np.minimum((p * bins).astype(np.int64), bins - 1)
    sp = np.bincount(idx, weights=p, minlength=bins)
    sy = np.bincount(idx, weights=y, minlength=bins)
    return float(np.abs(sp - sy).sum() / max(len(y), 1))


def high_band_threshold(model, X_train, share: float = 0.90) -> float:
    """The high-band threshold of a fitted ``model``: ``model.band_thresholds_["high"]`` when its
    recipe set the bands, else the ``share`` quantile (90th percentile) of its risks on its own
    training rows ``X_train``, set with ``model.set_bands`` as the product does."""
    t = getattr(model, "band_thresholds_", None)
    if not t:
        risk = model.predict_proba(X_train)[:, 1]
        if hasattr(model, "set_bands"):
            model.set_bands(risk, high=share)
            t = model.band_thresholds_
        else:
            t = {"high": float(np.quantile(risk, share))}
    return float(t["high"])


def high_band_weights(score, threshold: float) -> np.ndarray:
    """Selection weights (0/1) of the product's operating point: the pupils whose risk is at or
    above the high-band ``threshold``, whatever their school."""
    return (np.asarray(score, dtype=np.float64) >= threshold).astype(np.float64)


def operating_point_weights(score, school, share: float = 0.10) -> np.ndarray:
    """Selection weights (0..1) of the secondary per-school figure (``top_10pct_per_school``; not
    the product's operating point, see :func:`high_band_weights`): per school the
    ``ceil(share * n_school)`` highest scores, where ``n_school`` counts every pupil scored at the
    school (pass one date at a time). Ties at a school's cut share its remaining places equally
    (as :func:`top_share_selection`), so a score with few distinct values is neither favoured nor
    penalised by row order."""
    score = np.asarray(score, dtype=np.float64)
    school = np.asarray(school)
    w = np.zeros(len(score))
    if not len(score):
        return w
    codes, _ = pd.factorize(school)
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.r_[True, codes[order][1:] != codes[order][:-1], True])
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        idx = order[a:b]
        w[idx] = top_share_selection(score[idx], int(math.ceil(share * len(idx))))
    return w


def selection_metrics(y, w) -> dict:
    """Precision, recall, false positive rate and selection rate of a weighted selection ``w``."""
    y = np.asarray(y, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    sel, pos, neg = w.sum(), y.sum(), (1 - y).sum()
    return {
        "selected": _f(sel),
        "precision": _f((w * y).sum() / sel) if sel > 0 else None,
        "recall": _f((w * y).sum() / pos) if pos > 0 else None,
        "fpr": _f((w * (1 - y)).sum() / neg) if neg > 0 else None,
        "selection_rate": _f(sel / len(y)) if len(y) else None,
    }


def capacity_selection(score: np.ndarray, school: np.ndarray, date: np.ndarray, capacity: int,
                       seed: int = 0) -> np.ndarray:
    """Boolean mask: the ``capacity`` highest scores per school and reference date (the list a
    school can serve); ties broken by a seeded random order."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"s": np.asarray(score, dtype=np.float64) + rng.random(len(score)) * 1e-12,
                       "school": school, "date": date})
    rank = df.groupby(["school", "date"])["s"].rank(method="first", ascending=False).to_numpy()
    return rank <= capacity


def evaluate(y, p, *, school=None, date=None, top_share: float = 0.10, capacity: int = 10,
             operating_weights=None) -> dict:
    """AUC, average precision, precision/recall at the top ``top_share`` and at ``capacity`` pupils
    per school and reference date, expected calibration error, Brier score. With
    ``operating_weights`` (:func:`high_band_weights`, or any selection weights computed on the
    whole list, restricted to these rows) also precision, recall, FPR and selection rate at the operating point."""
    y = np.asarray(y, dtype=np.int64)
    p = np.asarray(p, dtype=np.float64)
    pos = int(y.sum())
    out = {"n": int(len(y)), "positives": pos, "base_rate": _f(y.mean() if len(y) else float("nan"))}
    both = 0 < pos < len(y)
    out["auc"] = _f(roc_auc_score(y, p)) if both else None
    out["average_precision"] = _f(average_precision_score(y, p)) if both else None
    k = int(math.ceil(top_share * len(y)))
    w = top_share_selection(p, k)
    tp = float((w * y).sum())
    out["top_share"] = top_share
    out["precision_at_top"] = _f(tp / k) if k else None
    out["recall_at_top"] = _f(tp / pos) if pos else None
    if school is not None and date is not None:
        sel = capacity_selection(p, np.asarray(school), np.asarray(date), capacity)
        out["capacity_per_school"] = capacity
        out["list_size"] = int(sel.sum())
        out["precision_at_capacity"] = _f(y[sel].mean()) if sel.any() else None
        out["recall_at_capacity"] = _f(y[sel].sum() / pos) if pos else None
    if operating_weights is not None:
        op = selection_metrics(y, operating_weights)
        out["precision_at_operating_point"] = op["precision"]
        out["recall_at_operating_point"] = op["recall"]
        out["fpr_at_operating_point"] = op["fpr"]
        out["selection_at_operating_point"] = op["selection_rate"]
    out["ece"] = _f(expected_calibration_error(y, p))
    out["brier"] = _f(brier_score_loss(y, p)) if len(y) else None
    out["mean_risk"] = _f(p.mean() if len(p) else float("nan"))
    return out
