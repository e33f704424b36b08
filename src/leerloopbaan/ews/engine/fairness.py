"""Fairness audit of a risk list (fairlearn MetricFrame), with the Aequitas 0.8-1.25 rule.

:func:`group_metrics` is what the time-true backtest and the release gate use: per group, at the
product's operating point (the high band, as weights from ``metrics.high_band_weights``; or any
other selection, e.g. the secondary per-school top 10 % of ``metrics.operating_point_weights``), recall, false positive rate, precision and selection rate,
plus the expected calibration error of the risk itself. Groups too small to be judged are marked
(``judged_ece``/``judged_recall``) and reported, never gated.

:func:`fairness_audit` is the older single-threshold audit of ``validation.select_and_fit``:

For each group attribute (e.g. sex, home language, OKI level, district) and each group: size,
selection rate, true positive rate, false positive rate, precision, and calibration (mean
predicted risk / observed rate), each also as a ratio to the reference group (the largest
group unless given). A ratio outside ``bounds`` is a disparity.

Approval: a run is approved when no *gating* metric of a group with at least ``min_group_size``
pupils and ``min_positives`` positives is outside the bounds. Gating by default: TPR (equal
opportunity: pupils who will leave are found equally often), precision (a flag means the same
in every group) and calibration (a risk of 30 % means 30 % in every group). Selection rate and
FPR follow the groups' real differences in risk, so their disparities are reported but do not
gate by default (pass ``gate=`` to change that).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame, false_positive_rate, selection_rate, true_positive_rate
from sklearn.metrics import precision_score

from .metrics import expected_calibration_error, selection_metrics

METRICS = ("selection_rate", "tpr", "fpr", "precision", "calibration")


def _num(x):
    x = float(x)
    return None if math.isnan(x) or math.isinf(x) else round(x, 4)


def fairness_audit(y_true, y_score, groups: pd.DataFrame, threshold: float, *, bounds=(0.8, 1.25),
                   gate=("tpr", "precision", "calibration"), min_group_size: int = 100, min_positives: int = 30,
                   reference: dict | None = None) -> dict:
    """Audit the selection ``y_score >= threshold`` against ``y_true`` per column of ``groups``.

    Returns ``{"threshold", "bounds", "gate", "attributes": {attr: {"reference", "groups": {g:
    {metrics, ratios, violations, gated}}}}, "approved": bool, "reasons": [str]}`` (JSON-safe).
    """
    y = np.asarray(y_true, dtype=np.int64)
    s = np.asarray(y_score, dtype=np.float64)
    pred = (s >= threshold).astype(np.int64)
    lo, hi = bounds
    out = {"threshold": _num(threshold), "bounds": [lo, hi], "gate": list(gate), "min_group_size": min_group_size,
           "attributes": {}, "approved": True, "reasons": []}
    for attr in groups.columns:
        g = groups[attr].astype(str).to_numpy()
        mf = MetricFrame(
            metrics={
                "selection_rate": selection_rate,
                "tpr": true_positive_rate,
                "fpr": false_positive_rate,
                "precision": lambda yt, yp: precision_score(yt, yp, zero_division=np.nan),
                "n": lambda yt, yp: len(yt),
                "positives": lambda yt, yp: int(np.sum(yt)),
                "observed_rate": lambda yt, yp: float(np.mean(yt)),
            },
            y_true=y, y_pred=pred, sensitive_features=g,
        )
        table = mf.by_group
        mean_score = pd.Series(s).groupby(g).mean()
        table["calibration"] = mean_score.reindex(table.index).to_numpy() / table["observed_rate"].replace(0, np.nan)
        ref = (reference or {}).get(attr) or str(table["n"].idxmax())
        res = {"reference": ref, "groups": {}}
        for grp, row in table.iterrows():
            gated = row["n"] >= min_group_size and row["positives"] >= min_positives
            metrics = {m: _num(row[m]) for m in METRICS}
            ratios, viol = {}, []
            for m in METRICS:
                r = row[m] / table.loc[ref, m] if table.loc[ref, m] not in (0, np.nan) else np.nan
                ratios[m] = _num(r)
                if ratios[m] is not None and not (lo <= ratios[m] <= hi):
                    viol.append(m)
            res["groups"][str(grp)] = {"n": int(row["n"]), "positives": int(row["positives"]), **metrics,
                                       "ratios": ratios, "disparities": viol, "gated": bool(gated)}
            if gated and grp != ref:
                for m in viol:
                    if m in gate:
                        out["approved"] = False
                        out["reasons"].append(
                            f"{attr}={grp}: {m} ratio {ratios[m]} to {attr}={ref} outside {lo}-{hi}")
        out["attributes"][attr] = res
    return out


def group_metrics(y_true, risk, weights, groups: pd.DataFrame, *, min_group_size: int = 500,
                  min_positives: int = 100, reference: dict | None = None, ceiling_weights=None) -> dict:
    """Per column of ``groups`` and per group: ``n``, ``positives``, ``base_rate``, ``mean_risk``,
    ``ece`` (of ``risk``), and at the operating point given by ``weights`` (0..1 per row)
    ``recall``, ``fpr``, ``precision``, ``selection_rate``; ``recall_ratio`` to the reference group
    (the largest unless ``reference`` names one). ``judged_ece``: the group has at least
    ``min_group_size`` rows; ``judged_recall``: also at least ``min_positives`` positives (recall
    of fewer positives is too noisy to hold to a 0.8-1.25 ratio). With ``ceiling_weights`` (the
    selection a perfect ranking would make at the same operating point) also ``recall_ceiling``:
    the highest recall any model could reach in the group under that selection (a per-school quota
    caps it in schools with many leavers). Computed with fairlearn's MetricFrame; JSON-safe."""
    y = np.asarray(y_true, dtype=np.int64)
    p = np.asarray(risk, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    cw = np.asarray(ceiling_weights if ceiling_weights is not None else weights, dtype=np.float64)
    names = ("recall", "fpr", "precision", "selection_rate")

    def per_group(yt, yp, w, cw):  # one call per group: MetricFrame copies its arguments per call
        sel = selection_metrics(yt, w)
        pos = int(np.sum(yt))
        return {"n": len(yt), "positives": pos, "base_rate": float(np.mean(yt)), "mean_risk": float(np.mean(yp)),
                "ece": expected_calibration_error(yt, yp), **{m: sel[m] for m in names},
                "recall_ceiling": float(np.sum(cw * yt) / pos) if pos else np.nan}

    out = {"min_group_size": min_group_size, "min_positives": min_positives, "attributes": {}}
    for attr in groups.columns:
        g = groups[attr].astype(str).to_numpy()
        mf = MetricFrame(metrics={"all": per_group}, y_true=y, y_pred=p, sensitive_features=g,
                         sample_params={"all": {"w": w, "cw": cw}})
        table = pd.DataFrame(list(mf.by_group["all"]), index=mf.by_group.index.astype(str))
        table[list(names)] = table[list(names)].astype(float)
        ref = (reference or {}).get(attr) or str(table["n"].astype(float).idxmax())
        ref_recall = table.loc[ref, "recall"] if ref in table.index else None
        res = {"reference": ref, "groups": {}}
        for grp, row in table.iterrows():
            n, pos = int(row["n"]), int(row["positives"])
            rec = row["recall"]
            ratio = None
            if rec is not None and ref_recall not in (None, 0) and not pd.isna(rec) and not pd.isna(ref_recall):
                ratio = _num(float(rec) / float(ref_recall))
            res["groups"][str(grp)] = {
                "n": n, "positives": pos, "base_rate": _num(row["base_rate"]), "mean_risk": _num(row["mean_risk"]),
                "ece": _num(row["ece"]),
                **{m: (None if row[m] is None or pd.isna(row[m]) else _num(row[m])) for m in names},
                "recall_ratio": ratio,
                **({"recall_ceiling": _num(row["recall_ceiling"])} if ceiling_weights is not None else {}),
                "judged_ece": n >= min_group_size,
                "judged_recall": n >= min_group_size and pos >= min_positives,
            }
        out["attributes"][attr] = res
    return out
