"""Scores of a population: calibrated risk, band and school-facing reasons per pupil."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .explain import reason_texts

BANDS = ("low", "medium", "high")


def bands(model, risk: np.ndarray) -> np.ndarray:
    """``high`` when risk >= the 90th percentile of the model's training risks (the top decile),
    ``medium`` when >= the 75th percentile, ``low`` otherwise (``model.band_thresholds_``)."""
    t = model.band_thresholds_
    if not t:
        raise ValueError("the model has no band thresholds (fit it with select_and_fit or call set_bands)")
    return np.where(risk >= t["high"], "high", np.where(risk >= t["medium"], "medium", "low"))


def score(model, X: pd.DataFrame, lang: str = "nl", top: int = 3) -> pd.DataFrame:
    """DataFrame ``pupil_id, risk, band, reasons`` for the rows of ``X`` (index pupil_id):
    ``risk`` the calibrated probability of leaving without a qualification, ``band`` per
    :func:`bands`, ``reasons`` the top ``top`` school-facing reasons joined by '; '."""
    risk = model.predict_proba(X)[:, 1]
    return pd.DataFrame({
        "pupil_id": X.index.to_numpy(),
        "risk": np.round(risk, 4),
        "band": bands(model, risk),
        "reasons": reason_texts(model, X, lang=lang, top=top),
    })
