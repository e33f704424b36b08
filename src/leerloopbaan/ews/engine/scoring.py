"""Scores of a population: calibrated risk, its interval, band and school-facing reasons per pupil.

:func:`score_population` is the one scoring path: the product (``ews.services.compute_scores``)
loads the registry into :class:`Frames` and calls it; ``benchmarks/ews_score.py`` times the same
call. :func:`score` is a convenience view of the same computation for one language.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .explain import explain_scores
from .features import build_features

BANDS = ("low", "medium", "high")


def bands(model, risk: np.ndarray) -> np.ndarray:
    """``high`` when risk >= the 90th percentile of the model's training risks (the top decile),
    ``medium`` when >= the 75th percentile, ``low`` otherwise (``model.band_thresholds_``)."""
    t = model.band_thresholds_
    if not t:
        raise ValueError("the model has no band thresholds (fit it with select_and_fit or call set_bands)")
    return np.where(risk >= t["high"], "high", np.where(risk >= t["medium"], "medium", "low"))


def score_features(model, X: pd.DataFrame, langs=("nl", "en"), top: int = 3) -> pd.DataFrame:
    """``pupil_id, risk, band, reasons, risk_low, risk_high, uncertain_band, breakdown`` for the rows
    of ``X`` (index pupil_id):

    - ``risk`` the calibrated probability of leaving without a qualification, ``band`` per :func:`bands`;
    - ``reasons`` a list per pupil of the top ``top`` school-facing reasons (area, feature, value,
      contribution, points, context, ``text_<lang>`` for every language in ``langs``);
    - ``risk_low``/``risk_high`` the uncertainty interval of the risk (``model.interval``; NaN for a
      model without bootstrap replicates) and ``uncertain_band`` whether the interval reaches
      into another band;
    - ``breakdown`` the school-facing breakdown ``{"base", "total", "parts"}`` whose shown numbers
      add up to the shown risk (``explain`` module docstring).
    """
    decision = model.decision_function(X)
    risk = 1.0 / (1.0 + np.exp(-np.clip(decision, -35, 35)))
    shown = np.round(risk, 4)
    reasons, breakdowns = explain_scores(model, X, shown, langs=langs, top=top)
    interval = model.interval(X, decision) if hasattr(model, "interval") else None
    if interval is None:
        low = high = np.full(len(X), np.nan)
        uncertain = np.zeros(len(X), dtype=bool)
    else:
        low, high = np.round(interval[0], 4), np.round(interval[1], 4)
        uncertain = bands(model, low) != bands(model, high)
    return pd.DataFrame(
        {
            "pupil_id": X.index.to_numpy(),
            "risk": shown,
            "band": bands(model, risk),
            "reasons": reasons,
            "risk_low": low,
            "risk_high": high,
            "uncertain_band": uncertain,
            "breakdown": breakdowns,
        }
    )


def score_population(model, frames, reference_date, langs=("nl", "en"), top: int = 3) -> pd.DataFrame | None:
    """Score every pupil enrolled in secondary on ``reference_date`` with only the data known then.

    Returns ``pupil_id, school_id, risk, band, reasons, risk_low, risk_high, uncertain_band,
    breakdown, grade, track`` (:func:`score_features`; the school, grade and track of the enrolment
    current on the date), or ``None`` when nobody is scored."""
    X, meta = build_features(frames, reference_date, with_meta=True)
    if len(X) == 0:
        return None
    out = score_features(model, X, langs=langs, top=top)
    out.insert(1, "school_id", meta["school_id"].to_numpy())
    enrol = frames.enrolments
    ref = np.datetime64(pd.Timestamp(reference_date).date())
    current = enrol[(enrol["start_date"] <= ref) & (enrol["end_date"].isna() | (enrol["end_date"] >= ref))]
    current = current.drop_duplicates("pupil_id", keep="last").set_index("pupil_id")
    out["grade"] = out["pupil_id"].map(current["grade"]).fillna("")
    out["track"] = out["pupil_id"].map(current["track"]).fillna("")
    return out


def score(model, X: pd.DataFrame, lang: str = "nl", top: int = 3, sep: str = "; ") -> pd.DataFrame:
    """``pupil_id, risk, band, reasons`` of :func:`score_features` in one language, the reasons
    joined by ``sep`` into one string."""
    out = score_features(model, X, langs=(lang,), top=top)[["pupil_id", "risk", "band", "reasons"]]
    out["reasons"] = ["" if not r else sep.join(x[f"text_{lang}"] for x in r) for r in out["reasons"]]
    return out
