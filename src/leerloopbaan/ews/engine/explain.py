"""Per-pupil explanations that add up: the risk as a starting point plus one part per area.

``model.contributions(X)`` splits each pupil's calibrated logit exactly into one term per feature
plus a bias (LightGBM: TreeSHAP ``pred_contrib=True``; linear models: coefficient x standardised
value; the rule: its signals). Here the terms are summed per area (:data:`features.AREAS`):
attendance, results and school delay, school changes and moves down, wellbeing (no features yet:
its part is 0 until wellbeing surveys arrive) and context (OKI characteristics, school context,
grade, track, stream, dual learning and age: where a pupil is placed is not a reason to act).

How the parts add up to the risk (the breakdown a school sees)
--------------------------------------------------------------
Log-odds add up, probabilities do not. The breakdown therefore works on the probability scale:

- the **starting point** is ``sigmoid(bias)``: the risk of a pupil whose every area contributes
  nothing (the model's average pupil on the log-odds scale; it is lower than the mean risk,
  because risks are skewed);
- the **part of an area** is its Shapley value on the probability scale: the change in risk when
  the area's summed log-odds contribution is added, averaged over every order in which the areas
  can be added to the starting point (5 areas: 32 coalitions, computed exactly). The parts add up
  exactly to ``risk - starting point``; a part has the sign of the area's log-odds contribution
  (it never turns a lowering area into a raising one) and is 0 for an area that contributes 0.
- **display**: the risk is shown as a whole percentage (half up), the starting point likewise (the
  same number for every pupil of a model), and the parts as whole percentage points rounded by
  largest remainders to ``shown risk - shown starting point``: the numbers on the page add up
  as printed (``11 % + 7 + 8 - 1 - 2 = 23 %``).

School-facing output (``school_facing=True``, the default and what is stored) shows the context
area as one line, "schoolcontext" / "school context", with its summed part, and never names a
context feature or its value; the reasons in words (:func:`explain`, :func:`explain_in`) are only
the non-context areas that raise the shown risk by at least one point, each told by the pupil's own
value of the area's leading feature ("31 halve dagen problematisch afwezig dit schooljaar").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .features import AREAS, FEATURE_NAMES, FEATURES

AREA_NAMES = list(AREAS)
_AREA_OF = np.array([AREA_NAMES.index(f.area) for f in FEATURES])
_CONTEXT_AREA = AREA_NAMES.index("context")
# areas shown in a breakdown: those with at least one feature (wellbeing waits for its surveys)
SHOWN_AREAS = [a for a in AREA_NAMES if (_AREA_OF == AREA_NAMES.index(a)).any()]
_SHOWN_IDX = np.array([AREA_NAMES.index(a) for a in SHOWN_AREAS])
# the distances to the 5 and 30 thresholds are told through the count itself: their contributions
# are added to ``b_this_year`` when choosing and wording an area's leading feature
_FOLDED = ("b_to_5", "b_to_30")
_B_THIS = FEATURE_NAMES.index("b_this_year")
_FOLDED_IDX = [FEATURE_NAMES.index(f) for f in _FOLDED]


def area_label(area: str, lang: str) -> str:
    """The area's name in ``lang`` as a school sees it (the context area: "schoolcontext")."""
    return AREAS.get(area, {}).get(lang) or AREAS.get(area, {}).get("en") or area


def percent(p) -> np.ndarray:
    """Whole percentages, half up (after rounding to 6 decimals, so 0.185 gives 19): the one way a
    risk, a starting point or an interval bound is shown."""
    return np.floor(np.round(np.asarray(p, dtype=np.float64) * 100, 6) + 0.5).astype(np.int64)


def largest_remainder(values: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Round each row of ``values`` to integers that add up to the row's ``totals`` (Hamilton's
    largest remainder method): floor every value, then give the units still missing to the largest
    remainders (take surplus units from the smallest). While another value can take the unit, an
    exact zero stays zero and a value between 0 and 1 is not taken below zero (no part changes sign)."""
    values = np.asarray(values, dtype=np.float64)
    n, k = values.shape
    if k == 0:
        return np.zeros((n, 0), dtype=np.int64)
    fl = np.floor(np.round(values, 9))
    rem = values - fl
    d = np.asarray(totals, dtype=np.int64) - fl.sum(axis=1).astype(np.int64)
    q, r = np.divmod(d, k)
    zero = values == 0
    protect = zero | ((values > 0) & (fl == 0))  # taking a unit would show a raising part as lowering
    key = np.where((d < 0)[:, None] & protect, 2.0 + rem, rem)
    key = np.where((d > 0)[:, None] & zero, -1.0, key)
    order = np.argsort(-key, axis=1, kind="stable")
    rank = np.empty_like(order)
    rank[np.arange(n)[:, None], order] = np.arange(k)
    return (fl.astype(np.int64) + q[:, None] + (rank < r[:, None])).astype(np.int64)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -35, 35)))


def probability_parts(bias: np.ndarray, area_sum: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(base, parts)``: ``base = sigmoid(bias)`` and per area its Shapley value of
    ``S -> sigmoid(bias + sum of the areas in S)``; ``base + parts.sum(1) == sigmoid(bias +
    area_sum.sum(1))`` up to floating point."""
    n, A = area_sum.shape
    masks = ((np.arange(2**A)[:, None] >> np.arange(A)) & 1).astype(np.float64)  # coalitions x areas
    size = masks.sum(axis=1).astype(int)
    fact = np.array([np.prod(np.arange(1, i + 1, dtype=np.float64)) for i in range(A + 1)])
    W = np.zeros((2**A, A))
    for a in range(A):
        without = masks[:, a] == 0
        s = np.flatnonzero(without)
        w = fact[size[s]] * fact[A - size[s] - 1] / fact[A]
        W[s, a] -= w
        W[s | (1 << a), a] += w
    F = _sigmoid(bias[:, None] + area_sum @ masks.T)
    parts = F @ W
    parts[area_sum == 0] = 0.0  # exactly: not a rounding residue of the sums above
    return _sigmoid(bias), parts


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


class _Explained:
    """Contributions of ``X`` summed per area, the probability-scale parts and their display."""

    def __init__(self, model, X: pd.DataFrame, risk: np.ndarray | None = None):
        C = model.contributions(X)
        bias = C["bias"].to_numpy(dtype=np.float64)
        C = C[FEATURE_NAMES].to_numpy(dtype=np.float64)
        self.V = X[FEATURE_NAMES].to_numpy(dtype=np.float64)
        n, A = len(X), len(AREA_NAMES)
        self.n = n
        self.area_sum = np.zeros((n, A))
        for a in range(A):
            cols = _AREA_OF == a
            if cols.any():
                self.area_sum[:, a] = C[:, cols].sum(axis=1)
        self.base, self.parts = probability_parts(bias, self.area_sum)
        exact = self.base + self.parts.sum(axis=1)
        self.risk = exact if risk is None else np.asarray(risk, dtype=np.float64)
        self.total_pct = percent(self.risk)
        self.base_pct = percent(self.base)
        self.points = np.zeros((n, A), dtype=np.int64)
        self.points[:, _SHOWN_IDX] = largest_remainder(
            100 * self.parts[:, _SHOWN_IDX], self.total_pct - self.base_pct
        )
        # the leading feature of each area: the largest positive contribution among eligible features
        CL = C.copy()
        CL[:, _B_THIS] += C[:, _FOLDED_IDX].sum(axis=1)
        lead_c = np.where(_eligible(self.V) & (CL > 0), CL, -np.inf)
        self.lead = np.full((n, A), -1)
        for a in range(A):
            cols = np.flatnonzero(_AREA_OF == a)
            if len(cols):
                best = lead_c[:, cols].argmax(axis=1)
                ok = np.isfinite(lead_c[np.arange(n), cols[best]])
                self.lead[:, a] = np.where(ok, cols[best], -1)

    def order(self, top: int, school_facing: bool) -> np.ndarray:
        """Per pupil the areas that are reasons, strongest part first (-1 pads): a positive part
        shown as at least one point, with a leading feature to tell it by; never context for a school."""
        key = np.where((self.parts > 0) & (self.points > 0) & (self.lead >= 0), self.parts, -np.inf)
        if school_facing:
            key[:, _CONTEXT_AREA] = -np.inf
        order = np.argsort(-key, axis=1, kind="stable")[:, :top]
        return np.where(np.isfinite(np.take_along_axis(key, order, axis=1)), order, -1)

    def reasons(self, langs, top: int, school_facing: bool, text_key=None) -> list[list[dict]]:
        order = self.order(top, school_facing)
        out = []
        for i in range(self.n):
            reasons = []
            for a in order[i]:
                if a < 0:
                    break
                j = self.lead[i, a]
                f = FEATURES[j]
                reason = {
                    "area": AREA_NAMES[a],
                    "feature": f.name,
                    "value": float(self.V[i, j]),
                    "contribution": round(float(self.area_sum[i, a]), 4),
                    "points": int(self.points[i, a]),
                    "context": AREA_NAMES[a] == "context",
                }
                for lang in langs:
                    reason[text_key or f"text_{lang}"] = _format(f, self.V[i, j], lang)
                reasons.append(reason)
            out.append(reasons)
        return out

    def breakdowns(self) -> list[dict]:
        """Per pupil ``{"base": int %, "total": int %, "parts": [[area, int points], ...]}``, the
        parts in the order of :data:`SHOWN_AREAS`: ``base + sum(points) == total``."""
        pts = self.points[:, _SHOWN_IDX].tolist()
        return [
            {
                "base": int(b),
                "total": int(t),
                "parts": [[a, p] for a, p in zip(SHOWN_AREAS, row, strict=True)],
            }
            for b, t, row in zip(self.base_pct.tolist(), self.total_pct.tolist(), pts, strict=True)
        ]


def explain(
    model, X: pd.DataFrame, lang: str = "nl", top: int = 3, school_facing: bool = True
) -> list[list[dict]]:
    """Per pupil (rows of ``X``, in order) up to ``top`` reasons, strongest first: dicts with
    ``area``, ``area_label``, ``feature``, ``value``, ``contribution`` (the area's summed
    contribution to the logit), ``points`` (its part in whole percentage points, as in
    :func:`breakdown`), ``text`` and ``context``. With ``school_facing=False`` context reasons may
    appear too (flagged ``context=True``, naming the context feature: never for a school)."""
    out = _Explained(model, X).reasons((lang,), top, school_facing, text_key="text")
    for rs in out:
        for r in rs:
            r["area_label"] = area_label(r["area"], lang)
    return out


def explain_in(
    model, X: pd.DataFrame, langs=("nl", "en"), top: int = 3, school_facing: bool = True
) -> list[list[dict]]:
    """Like :func:`explain`, with the sentence in every language of ``langs`` (``text_<lang>``),
    computing the contributions once."""
    return _Explained(model, X).reasons(langs, top, school_facing)


def breakdown(model, X: pd.DataFrame, risk: np.ndarray | None = None) -> list[dict]:
    """Per pupil the school-facing breakdown ``{"base", "total", "parts"}`` (module docstring):
    ``total`` is ``risk`` (default: the model's) as a whole percentage, ``base`` the starting
    point, ``parts`` ``[area, points]`` per shown area, context as one part."""
    return _Explained(model, X, risk).breakdowns()


def explain_scores(model, X: pd.DataFrame, risk: np.ndarray, langs=("nl", "en"), top: int = 3):
    """``(reasons, breakdowns)`` for the stored scores: school-facing reasons as :func:`explain_in`
    and breakdowns as :func:`breakdown` whose ``total`` is ``risk`` as shown, from one computation
    of the contributions."""
    e = _Explained(model, X, risk)
    return e.reasons(langs, top, True), e.breakdowns()
