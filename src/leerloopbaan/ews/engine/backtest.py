"""Time-true backtesting: every number is what the platform could have measured on an as-of date.

For each as-of date A (by default 1 October of each school year whose pupils' outcomes are now
mostly known, see :func:`default_as_of_dates`):

An as-of date is skipped (and reported) when its training set has fewer than
``min_train_cohorts`` (3) entry cohorts or ``min_train_positives`` (50) leavers of each kind: in
the first years of a platform the finished cohorts were only seen in their last school years.

1. ``cut = frames.known_on(A)``: only rows recorded by A; enrolments closed or changed later are
   open; nothing dated after A.
2. Training rows: every pupil in secondary on each reference date R = 1 December of an earlier
   school year (R < A), features computed from ``cut`` only, label from ``labels_on(cut, A)``:
   only outcomes observable on A (leaving year X with X + 2 <= the school year of A; the label is
   re-censored here if a ``labels_on`` returns more). The school's past VSV rate of a row on R
   uses only the outcomes known on R: ``labels_on(cut.known_on(R), R)``, attributed to schools with
   the enrolments known on R.
3. Censored-cohort guard: a pupil whose outcome is not observable on A is left out, and so is every
   row of an entry cohort (the school year the pupil entered S1) in which more than
   ``max_censored_share`` (30 %) of the rows are censored on A. The outcomes known early are those
   of early leavers; training on a half-finished cohort would teach the model that its pupils all
   leave early and unqualified.
4. Test: the pupils scored on A (features from ``cut``), evaluated against the final outcomes
   (``final_labels``, what is known today), only pupils with a known final outcome; the share
   known is reported.
5. Operating point (gated): the product's, the **high band**. Each school's list is sorted by risk
   and the pupils whose risk is at or above the model's fixed high-band threshold are marked at the
   top of every list; the threshold of the model trained for A is set on that model's own training
   rows, as the product does (``model.band_thresholds_["high"]`` when the recipe set bands, else the
   90th percentile of its training risks, :func:`metrics.high_band_threshold`). Measured on the
   pupils with a known outcome. A secondary figure, reported and never gated, is the top 10 % of
   each school's list on A (``ceil`` per school, ``top_10pct_per_school``), with the recall a
   perfect ranking would reach under that quota (``recall_ceiling``).

Changing or adding anything recorded or dated after A leaves A's training set, the models fitted
on it and the scores of A's test pupils exactly unchanged (``tests/ews/test_backtest_leaks.py``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pandas as pd

from . import metrics as M
from .fairness import group_metrics
from .features import FEATURE_NAMES, Prepared, TrainingSet, entry_cohorts, school_leavers
from .frames import Frames, as_timestamp, clean_str, school_year_of, school_year_start

FAIRNESS_GROUPS = ("sex", "home_language", "oki_level", "district")
LabelsOn = Callable[[Frames, pd.Timestamp], pd.DataFrame]
# (training set) -> fitted model with predict_proba; see ``recipe``
Recipe = Callable[[TrainingSet], object]
SUMMARY_KEYS = (
    "auc",
    "average_precision",
    "precision_at_top",
    "recall_at_top",
    "precision_at_operating_point",
    "recall_at_operating_point",
    "fpr_at_operating_point",
    "selection_at_operating_point",
    "ece",
    "brier",
)
# the secondary, never gated, per-school quota figure (``Backtest.top_share`` of each school's list)
QUOTA = "top_10pct_per_school"
QUOTA_KEYS = ("precision", "recall", "fpr", "selection_rate")
QUOTA_GROUP_KEYS = (
    "n",
    "positives",
    "recall",
    "recall_ratio",
    "recall_ceiling",
    "precision",
    "selection_rate",
)


def observable(labels: pd.DataFrame | None, as_of) -> pd.DataFrame:
    """``labels`` (pupil_id, leaving_year, outcome) with every outcome not observable on ``as_of``
    set to 'censored': leaving year X counts only when X + 2 <= the school year of ``as_of`` (the
    pupil was not enrolled in X + 1, and X + 1 has ended). One row per pupil (the last)."""
    if labels is None or not len(labels):
        return pd.DataFrame(
            {
                "pupil_id": pd.Series(dtype=np.int64),
                "leaving_year": pd.Series(dtype=object),
                "outcome": pd.Series(dtype=object),
            }
        )
    y = school_year_of(as_timestamp(as_of))
    lab = labels.drop_duplicates("pupil_id", keep="last")
    outcome = np.array(clean_str(lab["outcome"]).to_numpy(dtype=object), dtype=object)
    leaving = np.array(lab["leaving_year"].to_numpy(dtype=object), dtype=object)
    lyear = school_year_start(leaving)
    known = np.isin(outcome, ["unqualified", "qualified"]) & (lyear > 0) & (lyear + 2 <= y)
    # new arrays only: never write into ``labels``
    return pd.DataFrame(
        {
            "pupil_id": lab["pupil_id"].to_numpy(copy=True),
            "leaving_year": np.where(known, leaving, None),
            "outcome": np.where(known, outcome, "censored").astype(object),
        }
    )


def labels_on_from(final_labels: pd.DataFrame) -> LabelsOn:
    """A ``labels_on`` built from one set of labels: on a date A, the outcomes observable on A
    (:func:`observable`), of the pupils present in the cut frames. Exact only while outcomes are
    never corrected after the fact (e.g. a demo city's truth); the platform passes
    ``ews.loading.labels_on``, which applies the registry's VSV definition to the cut frames."""
    final = final_labels.copy()

    def labels_on(cut: Frames, as_of) -> pd.DataFrame:
        known = observable(final, as_of)
        return known[known["pupil_id"].isin(cut.enrolments["pupil_id"].unique())].reset_index(drop=True)

    return labels_on


def december_firsts_before(frames: Frames, as_of) -> list[pd.Timestamp]:
    """1 December of every school year with enrolments, before the school year of ``as_of``."""
    years = school_year_start(frames.enrolments["school_year"].to_numpy())
    years = years[years > 0]
    if not len(years):
        return []
    last = school_year_of(as_timestamp(as_of)) - 1
    return [pd.Timestamp(y, 12, 1) for y in range(int(years.min()), last + 1)]


class SchoolOutcomes:
    """``R -> school_leavers(frames.known_on(R), labels_on(frames.known_on(R), R))``, cached per R.

    ``known_on`` is a projection (``f.known_on(A).known_on(R) == f.known_on(R)`` for R <= A), so
    one cache serves every as-of date A >= R; the backtest still builds it from ``cut`` dates
    only (R < A), and the leak test checks the result against changes after A."""

    def __init__(self, frames: Frames, labels_on: LabelsOn):
        self.frames = frames
        self.labels_on = labels_on
        self._cache: dict[pd.Timestamp, pd.DataFrame] = {}

    def __call__(self, ref) -> pd.DataFrame:
        r = as_timestamp(ref)
        if r not in self._cache:
            cut = self.frames.known_on(r)
            self._cache[r] = school_leavers(cut, observable(self.labels_on(cut, r), r))
        return self._cache[r]


@dataclasses.dataclass
class AsOf:
    """What the backtest builds for one as-of date: the training set, the test population and
    the final outcomes of its pupils."""

    as_of: pd.Timestamp
    train: TrainingSet
    train_info: dict
    X_test: pd.DataFrame
    meta_test: pd.DataFrame  # META_COLUMNS + pupil_id + outcome ('unqualified'/'qualified'/'censored')


def training_set_on(
    frames: Frames,
    as_of,
    labels_on: LabelsOn,
    *,
    reference_dates=None,
    max_censored_share: float = 0.3,
    school_outcomes: SchoolOutcomes | None = None,
    cut: Frames | None = None,
    prep: Prepared | None = None,
) -> tuple[TrainingSet, dict]:
    """The time-true training set of ``as_of`` (see the module docstring) and a summary dict.

    ``meta`` has META_COLUMNS plus ``pupil_id``, ``cohort`` and ``leaving_year`` (int, the first
    year of the leaving school year of the label). ``frames`` may be today's frames: only
    ``frames.known_on(as_of)`` is read."""
    A = as_timestamp(as_of)
    y_a = school_year_of(A)
    cut = cut if cut is not None else frames.known_on(A)
    school_outcomes = school_outcomes or SchoolOutcomes(cut, labels_on)
    prep = prep or Prepared(cut, school_outcomes=school_outcomes)
    refs = [
        as_timestamp(r)
        for r in (reference_dates if reference_dates is not None else december_firsts_before(cut, A))
    ]
    refs = [r for r in refs if r < A]
    given = labels_on(cut, A)
    lab = observable(given, A)
    relabelled = int(
        (
            clean_str(pd.Series(given["outcome"].to_numpy())).isin(["unqualified", "qualified"]).sum()
            if len(given)
            else 0
        )
        - lab["outcome"].isin(["unqualified", "qualified"]).sum()
    )
    lab = lab.set_index("pupil_id")
    cohorts = entry_cohorts(prep)
    Xs, metas = [], []
    for r in refs:
        X, meta = prep.features_on(r)
        Xs.append(X)
        metas.append(meta)
    if Xs:
        X = pd.concat(Xs)
        meta = pd.concat(metas)
    else:
        X = pd.DataFrame(columns=FEATURE_NAMES, dtype=np.float64, index=pd.Index([], name="pupil_id"))
        meta = pd.DataFrame(columns=["reference_date", "school_id"])
    meta["pupil_id"] = X.index.to_numpy()
    meta["cohort"] = cohorts.reindex(X.index).fillna(-1).astype(np.int64).to_numpy()
    outcome = clean_str(pd.Series(lab["outcome"].reindex(X.index).to_numpy())).to_numpy()
    meta["leaving_year"] = school_year_start(lab["leaving_year"].reindex(X.index).to_numpy())
    known = np.isin(outcome, ["unqualified", "qualified"])
    cens = pd.Series(~known).groupby(meta["cohort"].to_numpy()).mean()
    ok_cohorts = cens.index[cens <= max_censored_share].to_numpy()
    dropped = sorted(int(c) for c in cens.index[cens > max_censored_share])
    keep = known & np.isin(meta["cohort"].to_numpy(), ok_cohorts)
    yv = (outcome == "unqualified").astype(np.int64)
    # rows in (reference date, pupil) order whatever the order of the input frames
    idx = np.flatnonzero(keep)
    idx = idx[
        np.lexsort((meta["pupil_id"].to_numpy()[idx], pd.to_datetime(meta["reference_date"]).to_numpy()[idx]))
    ]
    ts = TrainingSet(X.iloc[idx].reset_index(drop=True), yv[idx], meta.iloc[idx].reset_index(drop=True))
    info = {
        "rows": int(len(ts.y)),
        "pupils": int(ts.meta["pupil_id"].nunique()) if len(ts.y) else 0,
        "positives": int(ts.y.sum()),
        "positive_rate": round(float(ts.y.mean()), 4) if len(ts.y) else None,
        "reference_dates": sorted({d.date().isoformat() for d in pd.to_datetime(ts.meta["reference_date"])})
        if len(ts.y)
        else [],
        "cohorts": sorted(int(c) for c in np.unique(ts.meta["cohort"])) if len(ts.y) else [],
        "censored_rows": int((~known).sum()),
        "cohorts_left_out": dropped,
        "latest_leaving_year": int(ts.meta["leaving_year"].max()) if len(ts.y) else None,
        "labels_recensored": max(relabelled, 0),
        "school_year": y_a,
    }
    return ts, info


def default_as_of_dates(
    frames: Frames, final_labels: pd.DataFrame, *, min_known_share: float = 0.7, month: int = 10, day: int = 1
) -> list[pd.Timestamp]:
    """1 October of each school year after the first with enrolments whose pupils in secondary on
    that date have a known final outcome for at least ``min_known_share`` of them (the test
    outcomes are "now known"); later years are left out, their known outcomes being mostly early
    leavers."""
    years = school_year_start(frames.enrolments["school_year"].to_numpy())
    years = np.unique(years[years > 0])
    final = observable_final(final_labels)
    known = set(final.loc[final["outcome"].isin(["unqualified", "qualified"]), "pupil_id"])
    prep = Prepared(frames) if len(years) else None
    out = []
    for y in years[1:]:
        A = pd.Timestamp(int(y), month, day)
        pop = prep.population(A)
        if not len(pop):
            continue
        ids = prep.pid[pop["pos"].to_numpy()]
        if np.isin(ids, list(known)).mean() >= min_known_share:
            out.append(A)
    return out


def observable_final(final_labels: pd.DataFrame | None) -> pd.DataFrame:
    """Final labels as given, one row per pupil (the outcome known today)."""
    if final_labels is None:
        return observable(None, pd.Timestamp.max)
    lab = final_labels.drop_duplicates("pupil_id", keep="last")
    return pd.DataFrame(
        {
            "pupil_id": lab["pupil_id"].to_numpy(copy=True),
            "leaving_year": np.array(lab["leaving_year"].to_numpy(dtype=object), dtype=object),
            "outcome": np.array(clean_str(lab["outcome"]).to_numpy(dtype=object), dtype=object),
        }
    )


def recipe(proto) -> Recipe:
    """The plain recipe of a model prototype: a fresh copy fitted on the training set (folds of
    calibration grouped by pupil)."""

    def fit(ts: TrainingSet):
        return type(proto)(**proto.get_params()).fit(ts.X, ts.y, groups=ts.meta["pupil_id"].to_numpy())

    fit.proto = proto
    return fit


class Backtest:
    """The time-true backtest over a list of as-of dates; models are added with :meth:`run`.

    ``frames`` are today's frames (their ``labels`` the final outcomes unless ``final_labels`` is
    given); ``labels_on(cut, A)`` the outcomes known on A (see the module docstring)."""

    def __init__(
        self,
        frames: Frames,
        labels_on: LabelsOn | None = None,
        *,
        as_of_dates=None,
        final_labels: pd.DataFrame | None = None,
        top_share: float = 0.10,
        high_band: float = 0.90,
        groups=FAIRNESS_GROUPS,
        max_censored_share: float = 0.3,
        min_known_share: float = 0.7,
        max_rows: int | None = None,
        min_train_positives: int = 50,
        min_train_cohorts: int = 3,
        min_group_size: int = 500,
        min_positives: int = 100,
        random_state: int = 0,
        progress=None,
    ):
        final = final_labels if final_labels is not None else frames.labels
        if final is None:
            raise ValueError("the backtest needs the final outcomes: frames.labels or final_labels")
        self.final = observable_final(final)
        self.labels_on = labels_on or labels_on_from(final)
        self.top_share = top_share
        self.high_band = high_band
        self.groups = tuple(groups)
        self.min_group_size = min_group_size
        self.min_positives = min_positives
        self.max_censored_share = max_censored_share
        self.min_known_share = min_known_share
        self.progress = progress or (lambda _m: None)
        dates = (
            as_of_dates
            if as_of_dates is not None
            else default_as_of_dates(frames, final, min_known_share=min_known_share)
        )
        self.requested = [as_timestamp(d) for d in dates]
        self.skipped: list[dict] = []
        self.dates: list[AsOf] = []
        outcome = self.final.set_index("pupil_id")["outcome"]
        for A in self.requested:
            self.progress(f"time-true backtest: building the data known on {A.date()}")
            cut = frames.known_on(A)
            so = SchoolOutcomes(cut, self.labels_on)
            prep = Prepared(cut, school_outcomes=so)
            ts, info = training_set_on(
                cut,
                A,
                self.labels_on,
                max_censored_share=max_censored_share,
                school_outcomes=so,
                cut=cut,
                prep=prep,
            )
            if max_rows:
                sampled = ts.sample_pupils(max_rows, random_state=random_state)
                if len(sampled.y) < len(ts.y):
                    info["sampled_from_rows"] = info["rows"]
                    info["rows"] = int(len(sampled.y))
                    info["positives"] = int(sampled.y.sum())
                ts = sampled
            too_few = None
            if len(info["cohorts"]) < min_train_cohorts:
                too_few = (
                    f"{len(info['cohorts'])} entry cohorts with known outcomes (at least "
                    f"{min_train_cohorts} needed)"
                )
            elif ts.y.sum() < min_train_positives or ts.y.sum() == len(ts.y):
                too_few = (
                    f"{int(ts.y.sum())} of {len(ts.y)} training rows with a known unqualified outcome "
                    f"(at least {min_train_positives} of both kinds needed)"
                )
            if too_few:
                self.skipped.append({"as_of": A.date().isoformat(), "reason": too_few})
                continue
            X, meta = prep.features_on(A)
            order = np.argsort(X.index.to_numpy(), kind="stable")
            X, meta = X.iloc[order], meta.iloc[order].copy()
            meta["pupil_id"] = X.index.to_numpy()
            meta["outcome"] = clean_str(pd.Series(outcome.reindex(X.index).to_numpy())).to_numpy()
            self.dates.append(AsOf(A, ts, info, X, meta))
        self.results: dict[str, list[dict]] = {}
        self.predictions: dict[str, list[np.ndarray]] = {}
        self.thresholds: dict[str, list[float]] = {}

    @property
    def as_of_dates(self) -> list[str]:
        return [d.as_of.date().isoformat() for d in self.dates]

    def run(self, recipes: dict[str, Recipe]) -> None:
        """Fit every recipe on each as-of date's training set, score the date's test pupils and
        evaluate them (results in ``self.results[name]``, one dict per as-of date)."""
        for name, fit in recipes.items():
            self.progress(f"time-true backtest: {name} on {len(self.dates)} as-of dates")
            res, preds, ts = [], [], []
            for d in self.dates:
                model = fit(d.train)
                t = M.high_band_threshold(model, d.train.X, self.high_band)
                risk = model.predict_proba(d.X_test)[:, 1]
                preds.append(risk)
                ts.append(t)
                res.append(self._evaluate(d, risk, t))
            self.results[name] = res
            self.predictions[name] = preds
            self.thresholds[name] = ts

    def _known(self, d: AsOf) -> np.ndarray:
        return np.isin(d.meta_test["outcome"].to_numpy(), ["unqualified", "qualified"])

    def _quota(self, d: AsOf, risk: np.ndarray) -> np.ndarray:
        """Weights of the secondary figure: the top ``top_share`` of each school's list on ``d``."""
        return M.operating_point_weights(risk, d.meta_test["school_id"].to_numpy(), self.top_share)

    def _groups(self, y, risk, w, meta: pd.DataFrame, cw=None, keys=None) -> dict:
        cols = [g for g in self.groups if g in meta.columns]
        out = group_metrics(
            y,
            risk,
            w,
            meta[cols].reset_index(drop=True),
            min_group_size=self.min_group_size,
            min_positives=self.min_positives,
            ceiling_weights=cw,
        )
        if keys:
            for res in out["attributes"].values():
                res["groups"] = {g: {k: m.get(k) for k in keys} for g, m in res["groups"].items()}
        return out

    def _quota_figures(self, y, risk, wq, cw, meta) -> dict:
        sel = M.selection_metrics(y, wq)
        return {
            "what": f"top {round(100 * self.top_share)} % of each school's list (ceil per school); "
            "reported, not gated",
            **{k: sel[k] for k in QUOTA_KEYS},
            "groups": self._groups(y, risk, wq, meta, cw, QUOTA_GROUP_KEYS)["attributes"],
        }

    def _evaluate(self, d: AsOf, risk: np.ndarray, threshold: float) -> dict:
        w = M.high_band_weights(risk, threshold)
        known = self._known(d)
        y = (d.meta_test["outcome"].to_numpy()[known] == "unqualified").astype(np.int64)
        out = M.evaluate(y, risk[known], top_share=self.top_share, operating_weights=w[known])
        out["high_band_threshold"] = M._f(threshold)
        out["selection_of_whole_list"] = M._f(w.mean()) if len(w) else None
        meta = d.meta_test.loc[known]
        out["groups"] = self._groups(y, risk[known], w[known], meta)["attributes"]
        wq = self._quota(d, risk)
        out[QUOTA] = self._quota_figures(y, risk[known], wq[known], self._ceiling(d)[known], meta)
        out[QUOTA]["selection_of_whole_list"] = M._f(wq.mean()) if len(wq) else None
        return out

    def _ceiling(self, d: AsOf) -> np.ndarray:
        """The per-school top 10 % of a perfect ranking (known leavers first) on ``d``'s list."""
        oracle = (d.meta_test["outcome"].to_numpy() == "unqualified").astype(np.float64)
        return M.operating_point_weights(oracle, d.meta_test["school_id"].to_numpy(), self.top_share)

    def pooled(self, name: str) -> dict:
        """Metrics of ``name`` over the test pupils of every as-of date together (each date scored
        by the model trained on its own date, the high band by that model's threshold; the
        secondary per-school quota taken per date and school)."""
        ys, ps, ws, wqs, gs, cs = [], [], [], [], [], []
        cols = [g for g in self.groups if all(g in d.meta_test.columns for d in self.dates)]
        for d, risk, t in zip(self.dates, self.predictions[name], self.thresholds[name], strict=True):
            known = self._known(d)
            ys.append((d.meta_test["outcome"].to_numpy()[known] == "unqualified").astype(np.int64))
            ps.append(risk[known])
            ws.append(M.high_band_weights(risk, t)[known])
            wqs.append(self._quota(d, risk)[known])
            cs.append(self._ceiling(d)[known])
            gs.append(d.meta_test.loc[known, cols])
        if not ys:
            return {}
        y, p, w = np.concatenate(ys), np.concatenate(ps), np.concatenate(ws)
        meta = pd.concat(gs).reset_index(drop=True)
        out = M.evaluate(y, p, top_share=self.top_share, operating_weights=w)
        out["groups"] = self._groups(y, p, w, meta)
        out[QUOTA] = self._quota_figures(y, p, np.concatenate(wqs), np.concatenate(cs), meta)
        return out

    def summary(self, name: str) -> dict:
        """Mean, sd, min and max over the as-of dates of each metric of ``name`` (and of the
        precision and recall of the secondary per-school quota, ``precision_top_10pct_per_school``
        and ``recall_top_10pct_per_school``)."""

        def stats(vals):
            if not vals:
                return None
            return {
                "mean": round(float(np.mean(vals)), 4),
                "sd": round(float(np.std(vals, ddof=1)), 4) if len(vals) > 1 else None,
                "min": round(float(np.min(vals)), 4),
                "max": round(float(np.max(vals)), 4),
                "n": len(vals),
            }

        rs = self.results[name]
        out = {k: stats([r[k] for r in rs if r.get(k) is not None]) for k in SUMMARY_KEYS}
        for k in QUOTA_KEYS[:2]:
            out[f"{k}_{QUOTA}"] = stats([r[QUOTA][k] for r in rs if r.get(QUOTA, {}).get(k) is not None])
        return out

    def report(self, names=None) -> dict:
        """A JSON-serialisable report of the backtest (per as-of date, summary, pooled)."""
        names = list(names or self.results)
        dates = []
        for i, d in enumerate(self.dates):
            known = self._known(d)
            dates.append(
                {
                    "as_of": d.as_of.date().isoformat(),
                    "train": d.train_info,
                    "test": {
                        "pupils": int(len(d.meta_test)),
                        "known": int(known.sum()),
                        "share_known": round(float(known.mean()), 4) if len(known) else None,
                        "positives": int((d.meta_test["outcome"] == "unqualified").sum()),
                    },
                    "models": {n: self.results[n][i] for n in names},
                }
            )
        return {
            "method": "time-true backtest",
            "as_of_dates": self.as_of_dates,
            "skipped": self.skipped,
            "top_share": self.top_share,
            "high_band": self.high_band,
            "operating_point": "the high band: risk >= the high-band threshold of the model trained for the "
            f"as-of date (the {round(100 * self.high_band)}th percentile of its own training risks), whatever "
            "the school",
            QUOTA: f"secondary, not gated: the top {round(100 * self.top_share)} % of each school's list on the "
            "as-of date (ceil per school)",
            "max_censored_share": self.max_censored_share,
            "min_known_share": self.min_known_share,
            "min_group_size": self.min_group_size,
            "min_positives": self.min_positives,
            "dates": dates,
            "summary": {n: self.summary(n) for n in names},
            "pooled": {n: self.pooled(n) for n in names},
        }
