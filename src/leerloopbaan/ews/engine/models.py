"""Risk models with one contract, and their persistence.

Every model follows the scikit-learn estimator contract (``fit(X, y)`` returns self,
``predict_proba(X)`` returns an (n, 2) array of calibrated probabilities, constructor
parameters only, ``random_state`` where randomness is involved, fitted state in attributes
ending in ``_``) and adds:

- ``decision_function(X)``: the calibrated logit, ``risk = 1 / (1 + exp(-decision))``;
- ``contributions(X)``: a DataFrame with one column per feature plus ``bias`` whose row sums are
  exactly ``decision_function(X)`` (exact additive explanations; for LightGBM these are the
  ``pred_contrib=True`` values scaled by the calibration slope);
- ``to_dict()`` / ``from_dict(d)``: a JSON-serialisable description (no pickle);
- ``fit_intervals(X, y, groups)`` / ``interval(X)``: bootstrap replicates of the fitted model and the
  uncertainty interval of each risk they give (see :meth:`_Base.fit_intervals`).

Models:

``RuleBaseline``       the documented Flemish "on track" rule (ABC style): signals
                       (1) >= 30 half days of problematic absence (code B) this or last school year,
                       (2) at least one C attestation, (3) >= 2 years of school delay. The risk of
                       a pupil is the observed rate of leaving unqualified among training pupils
                       with the same number of signals (0-3), shrunk to the base rate.
``ContextBaseline``    logistic regression on the intake features only (OKI characteristics,
                       school OKI, school's past VSV rate): what a school's intake alone predicts.
``LogisticCandidate``  logistic regression on all features (median imputation, log1p of counts,
                       standardisation).
``LightGBMCandidate``  gradient boosting (LightGBM), calibrated by Platt scaling of the margin
                       fitted on out-of-fold margins (folds grouped by pupil), final booster on all
                       training rows.
"""

from __future__ import annotations

import json
import pathlib

import lightgbm as lgb
import numpy as np
import pandas as pd
from scipy import stats
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, KFold

from .features import CONTEXT_FEATURES, FEATURE_NAMES

# The school-context baseline reads the intake only: the OKI characteristics and the school context.
# Age, grade, track, stream and dual learning are context too (never a reason shown to a school) but not intake.
INTAKE_FEATURES = [f for f in CONTEXT_FEATURES if f not in ("age", "grade", "stream_b", "dual") and not f.startswith("track_")]

_COUNT_LIKE = {
    "b_this_year", "b_last_year", "b_last_28_days", "z_this_year", "z_last_year", "other_this_year",
    "retentions", "attest_b", "attest_c", "attest_none", "school_changes", "midyear_changes", "downward_moves",
}


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -35, 35)))


def _logit(p):
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


class _Base:
    kind = "base"
    band_thresholds_: dict | None = None
    replicates_: list | None = None  # bootstrap replicates (models of the same kind), see fit_intervals
    interval_level_: float | None = None

    def get_params(self, deep=True):
        return {k: getattr(self, k) for k in self._param_names}

    def set_params(self, **params):
        for k, v in params.items():
            setattr(self, k, v)
        return self

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.get_params().items())})"

    def _frame(self, X) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            X = pd.DataFrame(np.asarray(X, dtype=np.float64), columns=self.feature_names_)
        return X[self.feature_names_].astype(np.float64)

    def predict_proba(self, X) -> np.ndarray:
        p = _sigmoid(self.decision_function(X))
        return np.column_stack([1 - p, p])

    def predict(self, X) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(np.int64)

    def set_bands(self, risk_train: np.ndarray, high: float = 0.90, medium: float = 0.75) -> None:
        """Band thresholds from the training distribution of the calibrated risk: ``high`` = the
        top decile (risk >= its 90th percentile), ``medium`` = the next 15 % (>= 75th percentile),
        ``low`` otherwise. Fixed at training, so a pupil's band does not depend on who else is
        scored."""
        self.band_thresholds_ = {
            "high": float(np.quantile(risk_train, high)),
            "medium": float(np.quantile(risk_train, medium)),
            "quantiles": [medium, high],
        }

    # --- uncertainty ------------------------------------------------------------------------
    def fit_intervals(self, X, y, groups=None, n_replicates: int = 8, level: float = 0.90, random_state: int = 0):
        """Bootstrap replicates of the fitted model, for an interval around every risk it gives.

        Each replicate is the same model (same parameters) fitted on a bootstrap sample of whole
        pupils (``groups``; every row its own pupil when ``None``): pupils drawn with replacement,
        a pupil drawn k times weighs k times. LightGBM replicates train one booster on the drawn
        rows and are Platt-calibrated on the rows not drawn (out of bag), so no replicate costs
        more than the final booster alone. :meth:`interval` turns the spread of the replicates'
        logits into a ``level`` interval around the model's own logit. Returns self."""
        y = np.asarray(y, dtype=np.float64)
        groups = np.arange(len(y)) if groups is None else np.asarray(groups)
        _, gi = np.unique(groups, return_inverse=True)
        n_groups = int(gi.max()) + 1 if len(gi) else 0
        rng = np.random.default_rng(random_state)
        A = self._frame(X).to_numpy()
        reps = []
        for _ in range(n_replicates):
            w = np.bincount(rng.integers(0, n_groups, n_groups), minlength=n_groups)[gi]
            reps.append(self._replicate(X, A, y, w))
        self.replicates_ = reps
        self.interval_level_ = float(level)
        return self

    def _replicate(self, X, A, y, w):
        """The model refitted on the rows repeated by their bootstrap weights ``w``."""
        idx = np.repeat(np.arange(len(y)), w)
        X = X if isinstance(X, pd.DataFrame) else pd.DataFrame(A, columns=self.feature_names_)
        return type(self)(**self.get_params()).fit(X.iloc[idx], y[idx])

    def replicate_decisions(self, X) -> np.ndarray:
        """The calibrated logit of every replicate: an (n, replicates) array."""
        return np.column_stack([r.decision_function(X) for r in self.replicates_])

    def interval(self, X, decision: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray] | None:
        """``(low, high)`` risks: ``sigmoid(d -/+ t * s)`` with ``d`` the model's logit (``decision``
        when given), ``s`` the standard deviation of the replicates' logits and ``t`` the Student
        quantile of ``interval_level_`` with (replicates - 1) degrees of freedom, which allows for
        ``s`` being estimated from few replicates (1.895 for 90 % and 8 replicates). Always
        ``low <= risk <= high``. ``None`` for a model fitted without replicates."""
        if not self.replicates_:
            return None
        d = self.decision_function(X) if decision is None else np.asarray(decision, dtype=np.float64)
        D = self.replicate_decisions(X)
        if D.shape[1] < 2:
            return _sigmoid(d), _sigmoid(d)
        t = float(stats.t.ppf(0.5 + self.interval_level_ / 2, df=D.shape[1] - 1))
        sd = D.std(axis=1, ddof=1)
        return _sigmoid(d - t * sd), _sigmoid(d + t * sd)

    def _dict(self, **fitted) -> dict:
        out = {"kind": self.kind, "params": self.get_params(), "feature_names": list(self.feature_names_),
               "band_thresholds": self.band_thresholds_, **fitted}
        if self.replicates_:
            out["replicates"] = [r.to_dict() for r in self.replicates_]
            out["interval_level"] = self.interval_level_
        return out


class RuleBaseline(_Base):
    """Rule-based baseline (see the module docstring). ``prior`` pseudo-pupils shrink each
    signal-count rate towards the base rate."""

    kind = "rule"
    _param_names = ("absence_threshold", "delay_threshold", "prior")
    SIGNALS = ("absence", "c_attest", "delay")

    def __init__(self, absence_threshold: int = 30, delay_threshold: int = 2, prior: float = 5.0):
        self.absence_threshold = absence_threshold
        self.delay_threshold = delay_threshold
        self.prior = prior

    def signals(self, X) -> pd.DataFrame:
        X = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X, columns=FEATURE_NAMES)
        t = self.absence_threshold
        return pd.DataFrame({
            "absence": (X["b_this_year"].fillna(0) >= t) | (X["b_last_year"].fillna(0) >= t),
            "c_attest": X["attest_c"].fillna(0) >= 1,
            "delay": X["delay_years"].fillna(0) >= self.delay_threshold,
        }, index=X.index)

    def fit(self, X, y, groups=None):
        y = np.asarray(y, dtype=np.float64)
        self.feature_names_ = list(FEATURE_NAMES)
        k = self.signals(X).sum(axis=1).to_numpy()
        base = y.mean()
        pos = np.bincount(k, weights=y, minlength=4)
        n = np.bincount(k, minlength=4)
        self.rates_ = ((pos + self.prior * base) / (n + self.prior * 1.0)).tolist()
        return self

    def decision_function(self, X) -> np.ndarray:
        k = self.signals(X).sum(axis=1).to_numpy()
        return _logit(np.asarray(self.rates_))[k]

    def contributions(self, X) -> pd.DataFrame:
        s = self.signals(X)
        k = s.sum(axis=1).to_numpy()
        lg = _logit(np.asarray(self.rates_))
        share = np.where(k > 0, (lg[k] - lg[0]) / np.maximum(k, 1), 0.0)
        out = pd.DataFrame(0.0, index=s.index, columns=[*FEATURE_NAMES, "bias"])
        b_this = X["b_this_year"].fillna(0).to_numpy() >= self.absence_threshold
        out["b_this_year"] = np.where(s["absence"] & b_this, share, 0.0)
        out["b_last_year"] = np.where(s["absence"] & ~b_this, share, 0.0)
        out["attest_c"] = np.where(s["c_attest"], share, 0.0)
        out["delay_years"] = np.where(s["delay"], share, 0.0)
        out["bias"] = lg[0]
        return out

    def to_dict(self):
        return self._dict(rates=self.rates_)

    def _load(self, d):
        self.rates_ = d["rates"]


class _Linear(_Base):
    """Logistic regression on a subset of features: median imputation, log1p of count-like
    features, standardisation; contributions coef * standardised value (bias = intercept)."""

    _param_names = ("C", "random_state", "columns")
    features: list[str] = FEATURE_NAMES

    def __init__(self, C: float = 1.0, random_state: int | None = 0, columns: list[str] | None = None):
        self.C = C
        self.random_state = random_state
        self.columns = columns  # None: the engine's features (other columns: benchmarks on other data)

    def _z(self, X) -> np.ndarray:
        A = self._frame(X).to_numpy(copy=True)
        A = np.where(np.isnan(A), self.median_, A)
        A[:, self.log_] = np.log1p(np.maximum(A[:, self.log_], 0))
        return (A - self.mean_) / self.scale_

    def fit(self, X, y, groups=None):
        self.feature_names_ = list(self.columns or self.features)
        A = self._frame(X).to_numpy()
        med = np.nanmedian(A, axis=0)
        self.median_ = np.where(np.isnan(med), 0.0, med)
        self.log_ = np.array([f in _COUNT_LIKE for f in self.feature_names_])
        A = np.where(np.isnan(A), self.median_, A)
        A[:, self.log_] = np.log1p(np.maximum(A[:, self.log_], 0))
        self.mean_ = A.mean(axis=0)
        sd = A.std(axis=0)
        self.scale_ = np.where(sd > 0, sd, 1.0)
        lr = LogisticRegression(C=self.C, max_iter=2000, random_state=self.random_state)
        lr.fit((A - self.mean_) / self.scale_, np.asarray(y))
        self.coef_ = lr.coef_[0].copy()
        self.intercept_ = float(lr.intercept_[0])
        return self

    def decision_function(self, X) -> np.ndarray:
        return self._z(X) @ self.coef_ + self.intercept_

    def contributions(self, X) -> pd.DataFrame:
        Xf = self._frame(X)
        c = self._z(Xf) * self.coef_
        cols = self.feature_names_ if self.columns else FEATURE_NAMES
        out = pd.DataFrame(0.0, index=Xf.index, columns=[*cols, "bias"])
        out[self.feature_names_] = c
        out["bias"] = self.intercept_
        return out

    def to_dict(self):
        return self._dict(median=self.median_.tolist(), log=self.log_.tolist(), mean=self.mean_.tolist(),
                          scale=self.scale_.tolist(), coef=self.coef_.tolist(), intercept=self.intercept_)

    def _load(self, d):
        self.median_ = np.asarray(d["median"])
        self.log_ = np.asarray(d["log"], dtype=bool)
        self.mean_ = np.asarray(d["mean"])
        self.scale_ = np.asarray(d["scale"])
        self.coef_ = np.asarray(d["coef"])
        self.intercept_ = float(d["intercept"])


class LogisticCandidate(_Linear):
    kind = "logistic"
    features = FEATURE_NAMES


class ContextBaseline(_Linear):
    kind = "context"
    features = INTAKE_FEATURES


class LightGBMCandidate(_Base):
    """LightGBM booster (binary log-loss) + Platt scaling of the margin.

    Calibration: ``calibration_folds`` folds grouped by pupil (``groups`` in ``fit``) give
    out-of-fold margins; a logistic regression of y on the margin gives slope ``a_`` and
    intercept ``b_``; the final booster is trained on all rows. ``risk = sigmoid(a * margin + b)``.
    """

    kind = "lightgbm"
    _param_names = ("n_estimators", "learning_rate", "num_leaves", "max_depth", "min_child_samples", "subsample",
                    "colsample", "reg_lambda", "calibration_folds", "n_jobs", "random_state", "columns")

    def __init__(self, n_estimators: int = 300, learning_rate: float = 0.03, num_leaves: int = 15,
                 max_depth: int = 5, min_child_samples: int = 40, subsample: float = 0.8, colsample: float = 0.8,
                 reg_lambda: float = 1.0, calibration_folds: int = 3, n_jobs: int = 2,
                 random_state: int | None = 0, columns: list[str] | None = None):
        self.columns = columns  # None: the engine's features (other columns: benchmarks on other data)
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.max_depth = max_depth  # shallow trees keep TreeSHAP (pred_contrib) fast
        self.min_child_samples = min_child_samples
        self.subsample = subsample
        self.colsample = colsample
        self.reg_lambda = reg_lambda
        self.calibration_folds = calibration_folds
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _params(self) -> dict:
        seed = 0 if self.random_state is None else int(self.random_state)
        return {
            "objective": "binary", "learning_rate": self.learning_rate, "num_leaves": self.num_leaves,
            "max_depth": self.max_depth,
            "min_data_in_leaf": self.min_child_samples, "bagging_fraction": self.subsample, "bagging_freq": 1,
            "feature_fraction": self.colsample, "lambda_l2": self.reg_lambda, "seed": seed,
            "num_threads": self.n_jobs, "deterministic": True, "force_row_wise": True, "verbose": -1,
        }

    def _train(self, A: np.ndarray, y: np.ndarray) -> lgb.Booster:
        ds = lgb.Dataset(A, label=y, feature_name=self.feature_names_, free_raw_data=True)
        return lgb.train(self._params(), ds, num_boost_round=self.n_estimators)

    def fit(self, X, y, groups=None):
        self.feature_names_ = list(self.columns or FEATURE_NAMES)
        A = self._frame(X).to_numpy()
        y = np.asarray(y, dtype=np.float64)
        self.a_, self.b_ = 1.0, 0.0
        k = self.calibration_folds
        if k and k >= 2:
            oof = np.zeros(len(y))
            if groups is not None:
                splits = GroupKFold(n_splits=k).split(A, y, np.asarray(groups))
            else:
                splits = KFold(n_splits=k, shuffle=True, random_state=self.random_state).split(A)
            for tr, te in splits:
                oof[te] = self._train(A[tr], y[tr]).predict(A[te], raw_score=True)
            lr = LogisticRegression(C=1e6, max_iter=1000).fit(oof.reshape(-1, 1), y)
            self.a_, self.b_ = float(lr.coef_[0, 0]), float(lr.intercept_[0])
        self.booster_ = self._train(A, y)
        return self

    def raw_margin(self, X) -> np.ndarray:
        return self.booster_.predict(self._frame(X).to_numpy(), raw_score=True)

    def decision_function(self, X) -> np.ndarray:
        return self.a_ * self.raw_margin(X) + self.b_

    def raw_contributions(self, X) -> np.ndarray:
        """``booster.predict(X, pred_contrib=True)``: n x (features + 1), last column the bias."""
        return self.booster_.predict(self._frame(X).to_numpy(), pred_contrib=True)

    def contributions(self, X) -> pd.DataFrame:
        Xf = self._frame(X)
        c = self.raw_contributions(Xf) * self.a_
        c[:, -1] += self.b_
        return pd.DataFrame(c, index=Xf.index, columns=[*self.feature_names_, "bias"])

    def _replicate(self, X, A, y, w):
        """One booster on the drawn rows (weights = times drawn), Platt-calibrated out of bag
        (uncalibrated, like the model, when the model has no calibration folds)."""
        rep = type(self)(**{**self.get_params(), "calibration_folds": 0})
        rep.feature_names_ = list(self.feature_names_)
        inb = w > 0
        ds = lgb.Dataset(A[inb], label=y[inb], weight=w[inb].astype(np.float64), feature_name=rep.feature_names_,
                         free_raw_data=True)
        rep.booster_ = lgb.train(self._params(), ds, num_boost_round=self.n_estimators)
        rep.a_, rep.b_ = 1.0, 0.0
        oob = ~inb
        if self.calibration_folds and self.calibration_folds >= 2 and len(np.unique(y[oob])) == 2:
            margin = rep.booster_.predict(A[oob], raw_score=True)
            lr = LogisticRegression(C=1e6, max_iter=1000).fit(margin.reshape(-1, 1), y[oob])
            rep.a_, rep.b_ = float(lr.coef_[0, 0]), float(lr.intercept_[0])
        return rep

    def replicate_decisions(self, X) -> np.ndarray:
        A = self._frame(X).to_numpy()
        return np.column_stack([r.a_ * r.booster_.predict(A, raw_score=True) + r.b_ for r in self.replicates_])

    def to_dict(self):
        return self._dict(a=self.a_, b=self.b_, booster=self.booster_.model_to_string())

    def _load(self, d):
        self.a_, self.b_ = float(d["a"]), float(d["b"])
        self.booster_ = lgb.Booster(model_str=d["booster"])


KINDS = {c.kind: c for c in (RuleBaseline, ContextBaseline, LogisticCandidate, LightGBMCandidate)}


def from_dict(d: dict):
    model = KINDS[d["kind"]](**d["params"])
    model.feature_names_ = list(d["feature_names"])
    model.band_thresholds_ = d.get("band_thresholds")
    model._load(d)
    if d.get("replicates"):
        model.replicates_ = [from_dict(r) for r in d["replicates"]]
        model.interval_level_ = float(d["interval_level"])
    return model


def save(model, path) -> None:
    """Write the model as JSON (LightGBM booster as its model string; no pickle)."""
    pathlib.Path(path).write_text(json.dumps(model.to_dict()), encoding="utf-8")


def load(path):
    return from_dict(json.loads(pathlib.Path(path).read_text(encoding="utf-8")))
