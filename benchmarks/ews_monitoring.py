"""Monitoring the early warning on an Antwerp-sized city, beside one ``build_features`` call.

Times in one run, on plain synthetic frames (no database):

- the reference: one ``engine.build_features`` call for the whole population on one date (what a
  scoring starts with);
- feature drift after an import (``monitoring.services.measure_drift`` minus loading the registry):
  ``build_features`` on the import day plus the PSI of every feature against the training bins; and,
  once per model run, binning the training rows (``metrics.baseline_bins``);
- the page's figures (``monitoring.selectors.monitoring`` minus the database reads): the outcomes of
  every pupil (``registry.outflow.report.pupil_outcomes`` on synthetic registry facts), and for each
  of 12 monthly lists the counts per school, the stability into the next list and the disclosure
  release of the date (``Release.publish``: suppression, complements and the proof).

It also says how much of the city and the schools the disclosure control leaves on the page. Goals:
drift <= 1.5 x the reference (it is one ``build_features`` and a histogram per feature), the page's
figures < 30 s (they are cached per data version and computed once per import).

    .venv/bin/python benchmarks/ews_monitoring.py [pupils] [secondary pupils per list] [schools]
"""

from __future__ import annotations

import datetime
import os
import sys
import time

import numpy as np
import pandas as pd

REF = pd.Timestamp("2025-12-01")
TRAINING = pd.Timestamp("2024-12-01")


def synthetic_lists(pupils: int, schools: int, dates: int = 12, seed: int = 0):
    """Monthly lists (``pupil_id, school_id, risk, band`` each) of ``pupils`` secondary pupils in
    ``schools`` schools of uneven size (about 1 % leave every month), and the outcome of every pupil
    whose outcome is known (about a quarter; unqualified more often at a high risk)."""
    rng = np.random.default_rng(seed)
    size = rng.lognormal(0, 0.8, schools)
    school = rng.choice(np.arange(1, schools + 1), pupils, p=size / size.sum())
    base = rng.normal(-2.2, 1.2, pupils)
    ids = np.arange(1, pupils + 1)
    lists, alive = [], np.ones(pupils, dtype=bool)
    high = medium = None
    for _d in range(dates):
        risk = 1 / (1 + np.exp(-(base + rng.normal(0, 0.3, pupils))))
        if high is None:
            high, medium = np.quantile(risk, 0.9), np.quantile(risk, 0.75)
        band = np.where(risk >= high, "high", np.where(risk >= medium, "medium", "low"))
        lists.append(
            pd.DataFrame(
                {
                    "pupil_id": ids[alive],
                    "school_id": school[alive],
                    "risk": np.round(risk[alive], 4),
                    "band": band[alive],
                }
            )
        )
        alive &= rng.random(pupils) > 0.01
    known = rng.random(pupils) < 0.25
    unq = rng.random(pupils) < 1 / (1 + np.exp(-(1.3 * base + 1.5)))
    outcome = pd.Series(np.where(unq, "unqualified", "qualified")[known], index=ids[known])
    return lists, outcome


def synthetic_facts(frames):
    """The registry facts ``pupil_outcomes`` reads (birth dates, enrolments, qualifications), from the frames."""
    from leerloopbaan.registry import measures

    births = dict(zip(frames.pupils["pupil_id"], frames.pupils["birth_date"].dt.date, strict=True))
    enrolments: dict[int, list] = {}
    e = frames.enrolments
    for pid, sid, year, start, end, grade, track, reason in zip(
        e["pupil_id"],
        e["school_id"],
        e["school_year"],
        e["start_date"].dt.date,
        e["end_date"].dt.date,
        e["grade"],
        e["track"],
        e["end_reason"],
        strict=True,
    ):
        enrolments.setdefault(int(pid), []).append(
            measures.Enrol(str(sid), year, start, None if pd.isna(end) else end, grade, track, "", reason)
        )
    return births, {}, enrolments, {}


def main(pupils: int = 103_000, listed: int = 45_000, schools: int = 83) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leerloopbaan.settings")
    import django

    django.setup()
    from benchmarks.ews_score import synthetic_frames
    from leerloopbaan.ews.city.monitoring import metrics, selectors
    from leerloopbaan.ews.engine import build_features
    from leerloopbaan.registry.outflow.report import pupil_outcomes

    t = time.perf_counter()
    frames = synthetic_frames(pupils)
    print(
        f"synthetic frames: {pupils:,} pupils, {len(frames.absences):,} absence rows ({time.perf_counter() - t:.1f} s)"
    )

    t = time.perf_counter()
    X = build_features(frames, REF)
    reference = time.perf_counter() - t
    print(f"reference, one build_features call ({len(X):,} pupils): {reference:.2f} s")

    t = time.perf_counter()
    bins = metrics.baseline_bins(build_features(frames, TRAINING))
    baseline = time.perf_counter() - t
    t = time.perf_counter()
    psis, _shares = metrics.drift(bins, build_features(frames, REF))
    drift = time.perf_counter() - t
    levels = {
        lv: sum(1 for v in psis.values() if metrics.psi_level(v) == lv)
        for lv in ("stable", "watch", "shifted")
    }
    print(
        f"feature drift after an import (features on the day + PSI of {len(psis)} features): {drift:.2f} s "
        f"= {drift / reference:.2f} x the reference (goal <= 1.5); {levels}"
    )
    print(
        f"training bins, once per model run (one date of training rows here): {baseline:.2f} s = {baseline / reference:.2f} x"
    )

    t = time.perf_counter()
    facts = synthetic_facts(frames)
    pupil_outcomes(facts=facts)
    outcomes_time = time.perf_counter() - t
    lists, outcome = synthetic_lists(listed, schools)
    t = time.perf_counter()
    shown = {"city precision": 0, "schools": 0, "school precision": 0, "school pending share": 0}
    for i, scores in enumerate(lists[:-1]):
        counts = metrics.list_counts(scores, outcome)
        stability = metrics.stability_counts(scores, lists[i + 1])
        pub = selectors.date_release(
            datetime.date(2025, 1, 1) + datetime.timedelta(days=30 * i), counts, stability
        ).publish()
        key = ("list", datetime.date(2025, 1, 1) + datetime.timedelta(days=30 * i))
        shown["city precision"] += pub[(*key, selectors.CITY, "high precision")].shown
        shown["schools"] += len(counts)
        shown["school precision"] += sum(pub[(*key, int(s), "high precision")].shown for s in counts.index)
        shown["school pending share"] += sum(pub[(*key, int(s), "pending share")].shown for s in counts.index)
    page = time.perf_counter() - t
    total = outcomes_time + page
    print(
        f"page figures: outcomes of {len(facts[2]):,} pupils {outcomes_time:.2f} s; {len(lists) - 1} lists of {listed:,} pupils in "
        f"{schools} schools (counts, stability, disclosure) {page:.2f} s; total {total:.2f} s = {total / reference:.2f} x the "
        f"reference (goal < 30 s)"
    )
    print(
        f"shown: the city's precision on {shown['city precision']} of {len(lists) - 1} lists; a school's precision in "
        f"{shown['school precision']} of {shown['schools']} school lists, its share not yet known in {shown['school pending share']}"
    )
    return {"reference": reference, "drift": drift, "ratio": drift / reference, "page": total}


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
