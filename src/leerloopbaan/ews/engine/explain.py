"""Per-pupil explanations: exact additive contributions, grouped by actionable area, in words.

``model.contributions(X)`` splits each pupil's calibrated logit exactly into one term per feature
plus a bias (LightGBM: TreeSHAP ``pred_contrib=True``; linear models: coefficient x standardised
value; the rule: its signals). Here the terms are summed per area (attendance, results and delay,
school changes and track, wellbeing, context); the areas that raise the risk most are rendered as
a short sentence with the pupil's own value of the area's leading feature, in Dutch or English
("31 halve dagen problematisch afwezig dit schooljaar").

Context features (OKI characteristics, school context) count in the score and are returned with
``context=True``, but are never among the school-facing reasons (``school_facing=True``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .features import AREAS, FEATURE_NAMES, FEATURES

_AREA_NAMES = list(AREAS)
_AREA_OF = np.array([_AREA_NAMES.index(f.area) for f in FEATURES])
_CONTEXT_AREA = _AREA_NAMES.index("context")
# the distances to the 5 and 30 thresholds are told through the count itself: their contributions
# are added to ``b_this_year`` when choosing and wording an area's leading feature
_FOLDED = ("b_to_5", "b_to_30")
_B_THIS = FEATURE_NAMES.index("b_this_year")
_FOLDED_IDX = [FEATURE_NAMES.index(f) for f in _FOLDED]


def _format(feature, v: float, lang: str) -> str:
    k = feature.kind
    if k == "flag":
        s = ""
    elif k in ("share", "rate"):
        s = f"{100 * v:.0f} %"
    elif k == "years":
        s = f"{v:.1f}"
        if lang == "nl":
            s = s.replace(".", ",")
    else:
        s = f"{v:.0f}"
    return getattr(feature, lang).format(v=s)


def _eligible(X: np.ndarray) -> np.ndarray:
    """Whether a feature's own value is notable enough to be named as a reason."""
    el = np.ones_like(X, dtype=bool)
    for j, f in enumerate(FEATURES):
        v = X[:, j]
        if f.name in _FOLDED:
            el[:, j] = False
        elif f.kind == "flag" or f.kind in ("count", "share") and f.name not in ("grade", "oki"):
            el[:, j] = v > 0
        el[:, j] &= ~np.isnan(v)
    return el


def _ranked(model, X: pd.DataFrame, top: int, school_facing: bool):
    C = model.contributions(X)[FEATURE_NAMES].to_numpy()
    V = X[FEATURE_NAMES].to_numpy(dtype=np.float64)
    n, A = len(X), len(_AREA_NAMES)
    area_sum = np.zeros((n, A))
    for a in range(A):
        cols = _AREA_OF == a
        if cols.any():
            area_sum[:, a] = C[:, cols].sum(axis=1)
    CL = C.copy()
    CL[:, _B_THIS] += C[:, _FOLDED_IDX].sum(axis=1)
    lead_c = np.where(_eligible(V) & (CL > 0), CL, -np.inf)
    lead = np.full((n, A), -1)
    for a in range(A):
        cols = np.flatnonzero(_AREA_OF == a)
        if len(cols):
            best = lead_c[:, cols].argmax(axis=1)
            ok = np.isfinite(lead_c[np.arange(n), cols[best]])
            lead[:, a] = np.where(ok, cols[best], -1)
    score = np.where((area_sum > 0) & (lead >= 0), area_sum, -np.inf)
    if school_facing:
        score[:, _CONTEXT_AREA] = -np.inf
    order = np.argsort(-score, axis=1, kind="stable")[:, :top]
    return C, V, area_sum, lead, score, order


def explain(model, X: pd.DataFrame, lang: str = "nl", top: int = 3, school_facing: bool = True) -> list[list[dict]]:
    """Per pupil (rows of ``X``, in order) up to ``top`` reasons, strongest first: dicts with
    ``area``, ``area_label``, ``feature``, ``value``, ``contribution`` (the area's summed
    contribution to the logit), ``text`` and ``context``. With ``school_facing=False`` context
    reasons may appear too (flagged ``context=True``)."""
    C, V, area_sum, lead, score, order = _ranked(model, X, top, school_facing)
    out = []
    for i in range(len(X)):
        reasons = []
        for a in order[i]:
            if not np.isfinite(score[i, a]):
                break
            j = lead[i, a]
            f = FEATURES[j]
            reasons.append({
                "area": _AREA_NAMES[a], "area_label": AREAS[_AREA_NAMES[a]][lang], "feature": f.name,
                "value": float(V[i, j]), "contribution": round(float(area_sum[i, a]), 4),
                "text": _format(f, V[i, j], lang), "context": _AREA_NAMES[a] == "context",
            })
        out.append(reasons)
    return out


def explain_in(model, X: pd.DataFrame, langs=("nl", "en"), top: int = 3, school_facing: bool = True) -> list[list[dict]]:
    """Like :func:`explain`, with the sentence in every language of ``langs`` (``text_<lang>``),
    computing the contributions once."""
    C, V, area_sum, lead, score, order = _ranked(model, X, top, school_facing)
    out = []
    for i in range(len(X)):
        reasons = []
        for a in order[i]:
            if not np.isfinite(score[i, a]):
                break
            j = lead[i, a]
            f = FEATURES[j]
            reason = {"area": _AREA_NAMES[a], "feature": f.name, "value": float(V[i, j]),
                      "contribution": round(float(area_sum[i, a]), 4), "context": _AREA_NAMES[a] == "context"}
            for lang in langs:
                reason[f"text_{lang}"] = _format(f, V[i, j], lang)
            reasons.append(reason)
        out.append(reasons)
    return out

