"""Evaluation metrics of a risk score (plain floats, JSON-serialisable)."""

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


def capacity_selection(score: np.ndarray, school: np.ndarray, date: np.ndarray, capacity: int,
                       seed: int = 0) -> np.ndarray:
    """Boolean mask: the ``capacity`` highest scores per school and reference date (the list a
    school can serve); ties broken by a seeded random order."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"s": np.asarray(score, dtype=np.float64) + rng.random(len(score)) * 1e-12,
                       "school": school, "date": date})
    rank = df.groupby(["school", "date"])["s"].rank(method="first", ascending=False).to_numpy()
    return rank <= capacity


def evaluate(y, p, *, school=None, date=None, top_share: float = 0.10, capacity: int = 10) -> dict:
    """AUC, average precision, precision/recall at the top ``top_share`` and at ``capacity`` pupils
    per school and reference date, expected calibration error, Brier score."""
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
    out["ece"] = _f(expected_calibration_error(y, p))
    out["brier"] = _f(brier_score_loss(y, p)) if len(y) else None
    out["mean_risk"] = _f(p.mean() if len(p) else float("nan"))
    return out
