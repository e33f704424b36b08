"""The leak test of the time-true backtest: nothing recorded or dated after an as-of date A changes
A's training set, the models fitted on it, the scores of A's test pupils or the training summary.

The world is a small synthetic city (the demo generator); its labels come from a toy VSV rule
applied to the frames themselves (``toy_labels_on``), as the platform's ``labels_on`` applies the
registry's VSV definition to the cut frames.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from leerloopbaan.ews.engine import (
    Backtest,
    Frames,
    LightGBMCandidate,
    LogisticCandidate,
    RuleBaseline,
    build_features,
    recalibrated,
    reweighed,
    training_set,
    training_set_on,
)
from leerloopbaan.ews.engine.backtest import recipe
from leerloopbaan.ews.engine.frames import school_year_of, school_year_start

from . import frames_from_import_csv

generator = pytest.importorskip("leerloopbaan.demo.generator")

A = pd.Timestamp("2021-10-01")
TODAY = pd.Timestamp("2026-12-06")
LATER = A + pd.Timedelta(days=45)  # "recorded after A"
T = pd.Timestamp


def toy_labels_on(frames: Frames, as_of) -> pd.DataFrame:
    """A toy VSV rule on the frames as given: a pupil left in X, the last school year with a
    secondary enrolment, once X + 1 has ended (X + 2 <= the school year of ``as_of``); qualified
    with an attestation carrying a qualification or an enrolment ended 'qualified', censored when
    the pupil moved out or died, unqualified otherwise."""
    y_a = school_year_of(pd.Timestamp(as_of))
    en = frames.enrolments
    sec = en[en["grade"].astype(str).str.startswith("S")].copy()
    sec["y"] = school_year_start(sec["school_year"].to_numpy())
    last = sec.sort_values(["pupil_id", "y", "start_date"], kind="stable").groupby("pupil_id").tail(1)
    at = frames.attestations
    qualified = set(at.loc[at["qualification"].fillna("").astype(str) != "", "pupil_id"])
    reason = last["end_reason"].fillna("").astype(str).to_numpy()
    x = last["y"].to_numpy()
    outcome = np.where(
        np.isin(reason, ["moved_out", "deceased"]),
        "censored",
        np.where(
            last["pupil_id"].isin(qualified).to_numpy() | (reason == "qualified"), "qualified", "unqualified"
        ),
    )
    seen = x + 2 <= y_a
    outcome = np.where(seen, outcome, "censored")
    leaving = [
        f"{v}-{v + 1}" if ok and o != "censored" else None for v, ok, o in zip(x, seen, outcome, strict=True)
    ]
    return pd.DataFrame(
        {"pupil_id": last["pupil_id"].to_numpy(), "leaving_year": leaving, "outcome": outcome}
    )


def small_city(tmp_path, pupils: int = 900, seed: int = 3) -> Frames:
    generator.generate_city(tmp_path, pupils=pupils, seed=seed, current_year=2026)
    f = frames_from_import_csv(tmp_path)
    # the platform's bookkeeping columns: every row recorded on its own date (absences the day
    # after), enrolments closed after A were last changed when they closed
    ab = f.absences.assign(recorded_on=f.absences["date"] + pd.Timedelta(days=1))
    en = f.enrolments.assign(
        recorded_on=f.enrolments["start_date"] - pd.Timedelta(days=30), changed_on=f.enrolments["end_date"]
    )
    # some enrolments closed before A were corrected by an import after A: A did not know their end
    corrected = (en["end_date"] < A) & en["school_year"].isin(["2019-2020", "2020-2021"])
    corrected &= np.arange(len(en)) % 7 == 0
    en.loc[corrected, "changed_on"] = T("2023-03-01")
    f = Frames(f.pupils, f.characteristics, en, ab, f.attestations, f.schools, None)
    f.labels = toy_labels_on(f, TODAY)
    return f


def changed_after(f: Frames, rng) -> Frames:
    """Everything a later import can do without touching what was known on A."""
    en = f.enrolments.copy()
    pupils = f.pupils.copy()
    # enrolments open on A close later (end, reason), and a correction rewrites rows changed after A
    open_on_a = (en["start_date"] <= A) & (en["end_date"].isna() | (en["end_date"] > A))
    en.loc[open_on_a, "end_date"] = A + pd.Timedelta(days=20)
    en.loc[open_on_a, "end_reason"] = "left"
    en.loc[open_on_a, "changed_on"] = A + pd.Timedelta(days=20)
    later_changed = (en["changed_on"] > A) & ~open_on_a & (en["start_date"] <= A)
    assert later_changed.sum() > 50
    en.loc[later_changed, "end_date"] -= pd.Timedelta(days=30)  # corrected once more
    en.loc[later_changed, "end_reason"] = "left"
    en.loc[later_changed, "changed_on"] = T("2024-01-01")
    ids = en.loc[open_on_a, "pupil_id"].unique()
    someone = en.loc[open_on_a, ["pupil_id", "school_id"]].drop_duplicates("pupil_id").head(150)
    # re-enrolments after A of those pupils, and enrolments recorded late (dated before A)
    re = en[en["pupil_id"].isin(ids[:40])].drop_duplicates("pupil_id").copy()
    re = re.assign(
        school_year="2021-2022",
        start_date=A + pd.Timedelta(days=25),
        end_date=pd.NaT,
        end_reason="",
        recorded_on=A + pd.Timedelta(days=25),
        changed_on=pd.NaT,
    )
    late = en[en["pupil_id"].isin(ids[40:70])].drop_duplicates("pupil_id").copy()
    late = late.assign(
        school_year="2020-2021",
        start_date=T("2020-09-01"),
        end_date=T("2021-06-30"),
        grade="S1",
        track="BSO",
        end_reason="",
        recorded_on=LATER,
        changed_on=pd.NaT,
    )
    # new pupils enrolled after A at the biggest school, with high OKI (would move school_oki)
    school = f.enrolments["school_id"].value_counts().index[0]
    new_ids = np.arange(10_000_000, 10_000_300)
    pupils = pd.concat(
        [pupils, pd.DataFrame({"pupil_id": new_ids, "birth_date": T("2009-05-01"), "sex": "M"})],
        ignore_index=True,
    )
    new_en = pd.DataFrame(
        {
            "pupil_id": new_ids,
            "school_id": school,
            "school_year": "2021-2022",
            "start_date": A + pd.Timedelta(days=3),
            "end_date": pd.NaT,
            "grade": "S3",
            "stream": "",
            "track": "BSO",
            "dual": False,
            "end_reason": "",
            "recorded_on": A + pd.Timedelta(days=3),
            "changed_on": pd.NaT,
        }
    )
    en = pd.concat([en, re, late, new_en], ignore_index=True)
    ch = pd.concat(
        [
            f.characteristics,
            pd.DataFrame(
                {
                    "pupil_id": new_ids,
                    "as_of": A + pd.Timedelta(days=3),
                    "home_language_not_dutch": 1,
                    "mother_low_education": 1,
                    "school_allowance": 1,
                    "neighbourhood_high_delay": 1,
                }
            ),
        ],
        ignore_index=True,
    )
    # characteristics of existing pupils corrected later (as_of before A, recorded after)
    old = f.characteristics.drop_duplicates("pupil_id").head(200)
    ch = pd.concat(
        [
            ch,
            old.assign(
                as_of=A - pd.Timedelta(days=10),
                home_language_not_dutch=1,
                mother_low_education=1,
                recorded_on=LATER,
            ),
        ],
        ignore_index=True,
    )
    # absences: late-imported ones dated before A, and ones after A
    late_ab = pd.DataFrame(
        {
            "pupil_id": np.repeat(someone["pupil_id"].to_numpy(), 40),
            "school_id": np.repeat(someone["school_id"].to_numpy(), 40),
            "date": np.tile(pd.date_range("2020-10-01", periods=40, freq="7D").to_numpy(), len(someone)),
            "code": "B",
            "recorded_on": LATER,
        }
    )
    after_ab = late_ab.assign(date=A + pd.Timedelta(days=2), recorded_on=A + pd.Timedelta(days=3))
    ab = pd.concat([f.absences, late_ab, after_ab], ignore_index=True)
    # attestations: this year's, and a qualification recorded late for pupils who left before A
    at = f.attestations.copy()
    left_early = f.labels[f.labels["outcome"] == "unqualified"]["pupil_id"].head(60)
    late_att = pd.DataFrame(
        {
            "pupil_id": left_early.to_numpy(),
            "school_id": school,
            "school_year": "2018-2019",
            "grade": "S6",
            "result": "A",
            "qualification": "se_diploma",
            "recorded_on": LATER,
        }
    )
    this_year = (
        at.drop_duplicates("pupil_id")
        .head(300)
        .assign(school_year="2021-2022", result="C", recorded_on=LATER)
    )
    at = pd.concat([at, late_att, this_year], ignore_index=True)
    g = Frames(pupils, ch, en, ab, at, f.schools, None)
    labels = toy_labels_on(g, TODAY)  # today's outcomes follow the changes
    flip = rng.random(len(labels)) < 0.3  # and some are corrected by hand
    labels.loc[flip, "outcome"] = np.where(
        labels.loc[flip, "outcome"] == "qualified", "unqualified", "qualified"
    )
    labels.loc[flip & labels["leaving_year"].isna(), "leaving_year"] = "2017-2018"
    g.labels = labels
    return g


def _recipes():
    lgb = LightGBMCandidate(
        n_estimators=40, num_leaves=7, min_child_samples=20, calibration_folds=2, n_jobs=1
    )
    return {
        "rule": recipe(RuleBaseline()),
        "logistic": recipe(LogisticCandidate(C=0.5)),
        "lightgbm": recipe(lgb),
        "lightgbm+reweighed": recalibrated(reweighed(recipe(lgb), ["oki_level", "home_language"])),
    }


OPTIONS = {"min_train_cohorts": 1, "min_train_positives": 5, "min_group_size": 50, "min_positives": 10}


@pytest.fixture(scope="module")
def worlds(tmp_path_factory):
    f = small_city(tmp_path_factory.mktemp("city"))
    g = changed_after(f, np.random.default_rng(0))
    return f, g


def test_the_changes_are_real(worlds):
    """The later world differs where it may: today's outcomes, the naive school rate, the frames."""
    f, g = worlds
    assert len(g.enrolments) > len(f.enrolments) and len(g.absences) > len(f.absences)
    merged = f.labels.merge(g.labels, on="pupil_id", suffixes=("_f", "_g"))
    assert (merged["outcome_f"] != merged["outcome_g"]).mean() > 0.2
    # the old training path (today's labels for the school rate and the label) sees the changes
    old_f = training_set(f, [T("2019-12-01"), T("2020-12-01")], max_censored_share=1.0)
    old_g = training_set(g, [T("2019-12-01"), T("2020-12-01")], max_censored_share=1.0)
    assert len(old_f.y) != len(old_g.y) or not np.array_equal(old_f.y, old_g.y) or not old_f.X.equals(old_g.X)


def test_nothing_after_the_as_of_date_changes_its_training_set_scores_and_summary(worlds):
    f, g = worlds
    runs = []
    for world in (f, g):
        bt = Backtest(world, toy_labels_on, as_of_dates=[A], **OPTIONS)
        assert bt.as_of_dates == [A.date().isoformat()], bt.skipped
        bt.run(_recipes())
        runs.append(bt)
    bf, bg = runs
    df, dg = bf.dates[0], bg.dates[0]
    # the training set (X, y, meta) and its summary: exactly equal
    pd.testing.assert_frame_equal(df.train.X, dg.train.X)
    np.testing.assert_array_equal(df.train.y, dg.train.y)
    pd.testing.assert_frame_equal(df.train.meta, dg.train.meta)
    assert df.train_info == dg.train_info
    assert df.train_info["rows"] > 300 and df.train_info["positives"] > 20
    # the test pupils scored on A: same pupils, same features, same scores of every model
    pd.testing.assert_frame_equal(df.X_test, dg.X_test)
    pd.testing.assert_frame_equal(df.meta_test.drop(columns="outcome"), dg.meta_test.drop(columns="outcome"))
    for name in bf.predictions:
        np.testing.assert_array_equal(bf.predictions[name][0], bg.predictions[name][0], err_msg=name)
    # what is evaluated against today's outcomes does change (the outcomes were changed)
    assert bf.results["lightgbm"][0]["auc"] != bg.results["lightgbm"][0]["auc"]


def test_training_rows_are_before_the_as_of_date_with_labels_observable_then(worlds):
    f, _ = worlds

    def cheating_labels_on(cut, as_of):  # returns today's outcomes, also those not observable on A
        return f.labels

    ts, info = training_set_on(f, A, cheating_labels_on, max_censored_share=1.0)
    assert len(ts.y) > 300
    assert (pd.to_datetime(ts.meta["reference_date"]) < A).all()
    assert (ts.meta["leaving_year"] + 2 <= school_year_of(A)).all()
    assert info["labels_recensored"] > 0 and info["latest_leaving_year"] <= school_year_of(A) - 2
    honest, _ = training_set_on(f, A, toy_labels_on, max_censored_share=1.0)
    assert (honest.meta["leaving_year"] + 2 <= school_year_of(A)).all()


def test_school_vsv_rate_uses_the_outcomes_known_on_the_reference_date(worlds):
    """A qualification recorded after R must not move a school's past VSV rate on R (today's labels
    did: ``Prepared`` without ``school_outcomes``)."""
    f, g = worlds
    R = T("2020-12-01")
    from leerloopbaan.ews.engine.backtest import SchoolOutcomes
    from leerloopbaan.ews.engine.features import Prepared

    xs = [
        Prepared(w.known_on(A), school_outcomes=SchoolOutcomes(w.known_on(A), toy_labels_on)).features_on(R)[
            0
        ]
        for w in (f, g)
    ]
    pd.testing.assert_series_equal(
        xs[0]["school_vsv_rate"].sort_index(), xs[1]["school_vsv_rate"].sort_index()
    )
    naive = [build_features(w, R)["school_vsv_rate"].sort_index() for w in (f, g)]
    assert not naive[0].equals(naive[1])


def test_a_rows_school_rate_is_the_same_seen_from_every_later_as_of_date(worlds):
    """A row on R has the school rate of the outcomes known on R, whichever as-of date trains on it."""
    f, _ = worlds
    a1, a2 = T("2020-10-01"), A
    sets = {a: training_set_on(f, a, toy_labels_on, max_censored_share=1.0)[0] for a in (a1, a2)}
    rows = {
        a: ts.X.assign(
            ref=ts.meta["reference_date"].to_numpy(), pupil=ts.meta["pupil_id"].to_numpy()
        ).set_index(["ref", "pupil"])
        for a, ts in sets.items()
    }
    common = rows[a1].index.intersection(rows[a2].index)
    assert len(common) > 200
    s1, s2 = rows[a1].loc[common, "school_vsv_rate"], rows[a2].loc[common, "school_vsv_rate"]
    assert s1.notna().sum() > 200
    pd.testing.assert_series_equal(s1, s2)


def test_labels_on_only_ever_sees_frames_cut_at_its_date(worlds):
    """Every outcome the backtest reads (training labels on A, school rates on each R) comes from
    ``labels_on(frames.known_on(D), D)``: nothing in the frames it is given is later than D."""
    f, _ = worlds
    calls = []

    def spy(cut, as_of):
        calls.append(
            (
                pd.Timestamp(as_of),
                cut.enrolments["start_date"].max(),
                cut.absences["date"].max(),
                cut.absences["recorded_on"].max(),
                cut.labels,
            )
        )
        return toy_labels_on(cut, as_of)

    bt = Backtest(f, spy, as_of_dates=[T("2020-10-01"), A], **OPTIONS)
    assert len(bt.dates) == 2
    seen = {c[0] for c in calls}
    assert {A, T("2020-10-01")} <= seen and {T(f"{y}-12-01") for y in range(2015, 2021)} <= seen
    for d, start, day, recorded, labels in calls:
        assert start <= d and day <= d and recorded <= d and labels is None
