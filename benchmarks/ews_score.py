"""Scoring throughput: 100,000 pupils through the product's scoring path, against the bare LightGBM explanation.

Generates plain synthetic frames (100,000 secondary pupils, two school years of enrolments,
absences, attestations, characteristics), fits a small LightGBM model on a sample, then times in
one run (a) ``engine.score_population`` — the very call ``ews.services.compute_scores`` makes after
loading the registry: point-in-time features, calibrated prediction, explanations (pred_contrib)
as Dutch and English reasons and the breakdown that adds up, the uncertainty interval from the
model's bootstrap replicates (8, as ``select_and_fit`` trains them), school, grade and track —
plus the CSV the ``ews score --out`` command writes, and (b) the bare
``booster.predict(X, pred_contrib=True)`` on the same matrix. Goal: (a) < 20 s, (a)/(b) <= 3.

It also times, in the same run, (a0) the same call with the same model without replicates (no
interval: the scoring before intervals existed) and the training of the replicates beside the
training of the model itself.

    .venv/bin/python benchmarks/ews_score.py [pupils] [replicates]
"""

from __future__ import annotations

import io
import sys
import time

import numpy as np
import pandas as pd

from leerloopbaan.ews.engine import Frames, LightGBMCandidate, build_features, from_dict, score_population

REF = pd.Timestamp("2025-12-01")


def synthetic_frames(n: int, seed: int = 0) -> Frames:
    rng = np.random.default_rng(seed)
    ids = np.arange(1, n + 1)
    g = rng.integers(1, 8, n)
    birth = pd.to_datetime("2013-06-01") - pd.to_timedelta(
        (g - 1) * 365 + rng.integers(0, 365 * 2, n), unit="D"
    )
    pupils = pd.DataFrame({"pupil_id": ids, "birth_date": birth, "sex": rng.choice(["M", "F"], n)})
    ch = pd.DataFrame(
        {
            "pupil_id": ids,
            "as_of": pd.Timestamp("2024-09-01"),
            **{
                c: rng.integers(0, 2, n)
                for c in [
                    "home_language_not_dutch",
                    "mother_low_education",
                    "school_allowance",
                    "neighbourhood_high_delay",
                ]
            },
        }
    )
    school = rng.integers(1, 101, n)
    tracks = np.array(["ASO", "TSO", "KSO", "BSO", "DBSO"])
    tr = tracks[rng.integers(0, 5, n)]
    prev = pd.DataFrame(
        {
            "pupil_id": ids,
            "school_id": school,
            "school_year": "2024-2025",
            "start_date": pd.Timestamp("2024-09-01"),
            "end_date": pd.Timestamp("2025-06-30"),
            "grade": [f"S{max(1, x - 1)}" for x in g],
            "stream": "",
            "track": tr,
            "dual": False,
            "end_reason": "",
        }
    )
    moved = rng.random(n) < 0.05
    cur = pd.DataFrame(
        {
            "pupil_id": ids,
            "school_id": np.where(moved, rng.integers(1, 101, n), school),
            "school_year": "2025-2026",
            "start_date": pd.Timestamp("2025-09-01"),
            "end_date": pd.NaT,
            "grade": [f"S{x}" for x in g],
            "stream": "",
            "track": tr,
            "dual": False,
            "end_reason": "",
        }
    )
    enrol = pd.concat([prev, cur], ignore_index=True)
    k = rng.negative_binomial(1, 0.08, n)  # absences per pupil, long tail
    pid = np.repeat(ids, k)
    days = pd.Timestamp("2024-09-02") + pd.to_timedelta(rng.integers(0, 455, len(pid)), unit="D")
    absences = pd.DataFrame(
        {
            "pupil_id": pid,
            "school_id": 1,
            "date": days,
            "code": rng.choice(list("BZRP"), len(pid), p=[0.4, 0.4, 0.1, 0.1]),
        }
    )
    absences = absences[absences["date"].dt.day_of_week < 5]
    att = pd.DataFrame(
        {
            "pupil_id": ids,
            "school_id": school,
            "school_year": "2024-2025",
            "grade": prev["grade"],
            "result": rng.choice(["A", "B", "C"], n, p=[0.8, 0.1, 0.1]),
            "qualification": "",
        }
    )
    schools = pd.DataFrame({"school_id": np.arange(1, 101), "district": "Antwerpen", "network": "CITY"})
    labels = pd.DataFrame({"pupil_id": [], "leaving_year": [], "outcome": []})
    return Frames(pupils, ch, enrol, absences, att, schools, labels)


def main(n: int = 100_000, replicates: int = 8) -> dict:
    t = time.perf_counter()
    frames = synthetic_frames(n)
    print(
        f"synthetic frames: {n:,} pupils, {len(frames.absences):,} absence rows ({time.perf_counter() - t:.1f} s)"
    )
    # a model to score with: fitted on a sample with a synthetic label
    X0 = build_features(frames, REF)
    rng = np.random.default_rng(1)
    sample = X0.sample(min(20_000, len(X0)), random_state=1)
    z = (
        -3
        + 0.04 * sample["b_this_year"]
        + 0.5 * sample["attest_c"]
        + 0.3 * sample["oki"]
        + 0.2 * sample["grade"]
    )
    y = (rng.random(len(sample)) < 1 / (1 + np.exp(-z))).astype(int)
    f0 = time.perf_counter()
    model = LightGBMCandidate(n_estimators=300, calibration_folds=0).fit(sample, y)
    fit = time.perf_counter() - f0
    model.set_bands(model.predict_proba(sample)[:, 1])
    plain = from_dict(model.to_dict())  # the same model, without replicates
    f0 = time.perf_counter()
    model.fit_intervals(sample, y, n_replicates=replicates)
    fit_replicates = time.perf_counter() - f0
    print(
        f"training: the model {fit:.2f} s, its {replicates} bootstrap replicates {fit_replicates:.2f} s "
        f"(select_and_fit trains ~28 boosters of the model's size before these)"
    )

    a0 = time.perf_counter()
    score_population(plain, frames, REF, langs=("nl", "en"))
    before = time.perf_counter() - a0

    t0 = time.perf_counter()
    s = score_population(model, frames, REF, langs=("nl", "en"))
    t2 = time.perf_counter()
    buf = io.StringIO()
    s.insert(1, "reference_date", REF.date().isoformat())
    s = s.assign(reasons=["; ".join(r["text_nl"] for r in rs) for rs in s["reasons"]])
    s[["pupil_id", "school_id", "reference_date", "risk", "band", "reasons"]].to_csv(buf, index=False)
    t3 = time.perf_counter()
    total = t3 - t0

    X = build_features(frames, REF)
    A = X[model.feature_names_].to_numpy()
    b0 = time.perf_counter()
    model.booster_.predict(A, pred_contrib=True)
    bare = time.perf_counter() - b0

    print(
        f"scored {len(s):,} pupils: score_population (features, prediction, explanations, breakdown, interval) "
        f"{t2 - t0:.2f} s, CSV {t3 - t2:.2f} s ({len(buf.getvalue()) / 1e6:.1f} MB)"
    )
    print(
        f"without replicates (no interval): {before:.2f} s; with {replicates}: {t2 - t0:.2f} s "
        f"(ratio {(t2 - t0) / before:.2f})"
    )
    print(f"total {total:.2f} s (goal < 20 s)")
    print(f"bare booster.predict(X, pred_contrib=True): {bare:.2f} s")
    print(f"ratio total / bare = {total / bare:.2f} (goal <= 3)")
    print(
        f"uncertain band: {s['uncertain_band'].mean():.1%} of pupils; median interval width "
        f"{100 * (s['risk_high'] - s['risk_low']).median():.1f} points"
    )
    print("example:", s.iloc[int(np.argmax(s["risk"]))].to_dict())
    return {
        "total": total,
        "bare": bare,
        "ratio": total / bare,
        "before": before,
        "fit": fit,
        "fit_replicates": fit_replicates,
    }


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
