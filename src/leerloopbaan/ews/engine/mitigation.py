"""Mitigations tried when a candidate fails the release gate, each a training *recipe* that the
time-true backtest evaluates and gates like any other model.

``reweighed(recipe, attributes)``
    Reweighing (Kamiran & Calders 2012): every training row gets the weight
    ``P(group) P(label) / P(group, label)``, so that in the weighted data the label is independent of
    the group (the joint cell of ``attributes``, e.g. OKI level x home language). The models take no
    sample weights, so the weights are applied by a reproducible weighted resampling of the rows
    (with replacement, as many rows as before). The groups are read at training time only: a
    protected attribute is never an input of the model when it scores a pupil (no
    ThresholdOptimizer or group-specific thresholds at decision time).

``recalibrated(recipe)``
    Time-true Platt recalibration on the last known year: the model is fitted on the training rows
    of the earlier entry cohorts, and a logistic map of its logit is fitted on the rows of the
    latest entry cohort in the training set (all known on the as-of date). The map is folded into the
    model's own parameters (linear coefficients, the LightGBM calibration slope and intercept, the
    rule's rates), so the recalibrated model keeps its exact explanations and its JSON form.

Reweighing changes the base rate the model sees, so it is always followed by the recalibration.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from .features import TrainingSet


def _logit(p):
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def reweighing_weights(groups: pd.DataFrame, y) -> np.ndarray:
    """Kamiran-Calders weights ``P(g) P(y) / P(g, y)`` of each row, ``g`` the joint cell of the
    columns of ``groups``."""
    y = np.asarray(y)
    key = (
        groups.astype(str).agg("|".join, axis=1).to_numpy()
        if groups.shape[1]
        else np.zeros(len(y), dtype=object)
    )
    df = pd.DataFrame({"g": key, "y": y})
    n = len(df)
    pg = df["g"].map(df["g"].value_counts() / n)
    py = df["y"].map(df["y"].value_counts() / n)
    pgy = df.groupby(["g", "y"])["y"].transform("size") / n
    return (pg * py / pgy).to_numpy(dtype=np.float64)


def resample(ts: TrainingSet, weights, random_state: int = 0) -> TrainingSet:
    """A reproducible resample of the rows of ``ts`` (with replacement, same size) with
    probabilities proportional to ``weights``."""
    w = np.asarray(weights, dtype=np.float64)
    idx = np.random.default_rng(random_state).choice(len(w), size=len(w), replace=True, p=w / w.sum())
    idx.sort()
    return TrainingSet(
        ts.X.iloc[idx].reset_index(drop=True), np.asarray(ts.y)[idx], ts.meta.iloc[idx].reset_index(drop=True)
    )


def fold_platt(model, a: float, b: float):
    """Replace ``model``'s calibrated logit ``z`` by ``a * z + b``, in its own parameters."""
    if hasattr(model, "a_") and hasattr(model, "b_"):  # LightGBM: z = a_ * margin + b_
        model.a_, model.b_ = float(a * model.a_), float(a * model.b_ + b)
    elif hasattr(model, "coef_"):  # linear: z = coef . x + intercept
        model.coef_ = a * np.asarray(model.coef_)
        model.intercept_ = float(a * model.intercept_ + b)
    elif hasattr(model, "rates_"):  # rule: z = logit(rate of the signal count)
        z = a * _logit(model.rates_) + b
        model.rates_ = (1.0 / (1.0 + np.exp(-z))).tolist()
    else:
        raise TypeError(f"cannot recalibrate a {type(model).__name__}")
    return model


def reweighed(fit, attributes, random_state: int = 0):
    """Recipe: ``fit`` on the training set resampled with the reweighing weights of ``attributes``."""
    attributes = list(attributes)

    def recipe(ts: TrainingSet):
        cols = [a for a in attributes if a in ts.meta.columns]
        return fit(resample(ts, reweighing_weights(ts.meta[cols], ts.y), random_state))

    recipe.mitigation = {"kind": "reweighing", "attributes": attributes}
    return recipe


def recalibrated(fit, by: str = "cohort"):
    """Recipe: ``fit`` on the training rows before the last known year, Platt-recalibrated on the
    rows of the last known year (time-true: all are known on the as-of date). ``by='cohort'``: the
    last known year is the latest entry cohort of the training set (the most recent cohort whose
    outcomes are known, seen in every grade it passed through on the platform);
    ``by='reference_date'``: the latest reference date (its known outcomes are all of pupils who
    left that very year, so it is a poor calibration sample; kept for comparison). When that
    year or the years before it hold rows of only one class, ``fit`` as it is."""

    def recipe(ts: TrainingSet):
        if by == "reference_date":
            key = pd.to_datetime(ts.meta["reference_date"]).to_numpy()
        else:
            key = ts.meta[by].to_numpy()
        y = np.asarray(ts.y)
        if not len(key):
            return fit(ts)
        early = key < key.max()
        if not early.any() or len(np.unique(y[~early])) < 2 or len(np.unique(y[early])) < 2:
            return fit(ts)
        model = fit(ts.subset(early))
        z = model.decision_function(ts.X[~early])
        lr = LogisticRegression(C=1e6, max_iter=1000).fit(z.reshape(-1, 1), y[~early])
        return fold_platt(model, float(lr.coef_[0, 0]), float(lr.intercept_[0]))

    recipe.mitigation = {
        "kind": "recalibration",
        "method": "Platt",
        "on": f"the last known {by.replace('_', ' ')}",
    }
    return recipe
