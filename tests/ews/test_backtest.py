"""Pieces of the time-true backtest: ``Frames.known_on``, observable labels, the product's operating
point, the per-group table, the mitigations, and the backtest report on a small synthetic city."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from leerloopbaan.ews.engine import (
    FEATURE_NAMES,
    Backtest,
    Frames,
    LightGBMCandidate,
    LogisticCandidate,
    RuleBaseline,
    group_metrics,
    high_band_threshold,
    high_band_weights,
    observable,
    operating_point_weights,
    recalibrated,
    reweighing_weights,
)
from leerloopbaan.ews.engine.backtest import recipe
from leerloopbaan.ews.engine.mitigation import fold_platt

from .test_backtest_leaks import OPTIONS, small_city, toy_labels_on

T = pd.Timestamp
D = "2021-10-01"


def _frames() -> Frames:
    E = lambda p, y, st, en, reason="", rec=None, chg=None: dict(  # noqa: E731
        pupil_id=p,
        school_id=1,
        school_year=y,
        start_date=T(st),
        end_date=T(en) if en else pd.NaT,
        grade="S3",
        stream="",
        track="BSO",
        dual=False,
        end_reason=reason,
        recorded_on=T(rec) if rec else pd.NaT,
        changed_on=T(chg) if chg else pd.NaT,
    )
    enrol = pd.DataFrame(
        [
            E(1, "2020-2021", "2020-09-01", "2021-06-30", "qualified"),  # closed before: kept as is
            E(2, "2021-2022", "2021-09-01", "2021-11-15", "left"),  # closed after: open, reason unknown
            E(3, "2020-2021", "2020-09-01", "2021-03-01", "left", chg="2022-01-10"),  # corrected later: open
            E(4, "2021-2022", "2021-09-01", None, rec="2021-10-20"),  # recorded after: gone
            E(5, "2021-2022", "2021-10-05", None),  # starts after: gone
            E(
                6, "2021-2022", "2021-09-01", "2021-10-01", "moved_out", rec="2021-10-01"
            ),  # recorded that day: kept
        ]
    )
    pupils = pd.DataFrame({"pupil_id": [1, 2, 3, 4, 5, 6], "birth_date": T("2006-01-01"), "sex": "F"})
    ch = pd.DataFrame(
        {
            "pupil_id": [1, 1, 2],
            "as_of": [T("2020-09-01"), T("2021-11-01"), T("2021-09-01")],
            "home_language_not_dutch": [0, 1, 0],
            "mother_low_education": 0,
            "school_allowance": 0,
            "neighbourhood_high_delay": 0,
            "recorded_on": [pd.NaT, pd.NaT, T("2021-12-01")],
        }
    )
    ab = pd.DataFrame(
        {
            "pupil_id": [1, 1, 1, 2],
            "school_id": 1,
            "date": [T("2021-09-10"), T("2021-09-20"), T("2021-10-02"), T("2021-09-30")],
            "code": "B",
            "recorded_on": [T("2021-09-11"), T("2021-10-03"), T("2021-10-02"), pd.NaT],
        }
    )
    at = pd.DataFrame(
        {
            "pupil_id": [1, 2, 3],
            "school_id": 1,
            "school_year": ["2020-2021", "2021-2022", "2020-2021"],
            "grade": "S3",
            "result": "A",
            "qualification": "",
            "recorded_on": [pd.NaT, pd.NaT, T("2022-01-01")],
        }
    )
    schools = pd.DataFrame({"school_id": [1], "district": ["Deurne"], "network": ["CITY"]})
    labels = pd.DataFrame({"pupil_id": [1], "leaving_year": ["2020-2021"], "outcome": ["qualified"]})
    return Frames(pupils, ch, enrol, ab, at, schools, labels)


def test_known_on_keeps_only_what_was_known_at_the_end_of_the_day():
    f = _frames()
    cut = f.known_on(D)
    en = cut.enrolments.set_index("pupil_id")
    assert sorted(en.index) == [1, 2, 3, 6]
    assert en.loc[1, "end_date"] == T("2021-06-30") and en.loc[1, "end_reason"] == "qualified"
    assert pd.isna(en.loc[2, "end_date"]) and en.loc[2, "end_reason"] == ""
    assert pd.isna(en.loc[3, "end_date"]) and en.loc[3, "end_reason"] == ""
    assert en.loc[6, "end_date"] == T("2021-10-01") and en.loc[6, "end_reason"] == "moved_out"
    assert list(cut.absences["date"]) == [T("2021-09-10"), T("2021-09-30")]  # late-recorded and later: gone
    assert list(cut.characteristics["as_of"]) == [T("2020-09-01")]
    assert list(cut.attestations["pupil_id"]) == [1]  # this year's and the late one are not known
    assert cut.labels is None
    # the input is untouched, and the cut is a projection
    assert len(f.enrolments) == 6 and f.enrolments.loc[1, "end_reason"] == "left" and f.labels is not None
    for later, earlier in (("2022-03-01", D), (D, "2021-09-15"), ("2021-09-15", "2020-12-01")):
        a, b = f.known_on(later).known_on(earlier), f.known_on(earlier)
        for name in ("enrolments", "absences", "attestations", "characteristics"):
            pd.testing.assert_frame_equal(
                getattr(a, name).reset_index(drop=True), getattr(b, name).reset_index(drop=True)
            )


def test_known_on_without_bookkeeping_columns_still_cuts_by_date():
    f = _frames()
    bare = Frames(
        f.pupils,
        f.characteristics.drop(columns="recorded_on"),
        f.enrolments.drop(columns=["recorded_on", "changed_on"]),
        f.absences.drop(columns="recorded_on"),
        f.attestations.drop(columns="recorded_on"),
        f.schools,
        f.labels,
    )
    cut = bare.known_on(D)
    assert sorted(cut.enrolments["pupil_id"]) == [1, 2, 3, 4, 6]  # 4 counts as known always
    assert pd.isna(cut.enrolments.set_index("pupil_id").loc[2, "end_date"])
    assert cut.absences["date"].max() <= T(D) and len(cut.absences) == 3


def test_observable_labels():
    labels = pd.DataFrame(
        {
            "pupil_id": [1, 2, 3, 4],
            "leaving_year": ["2018-2019", "2019-2020", None, "2017-2018"],
            "outcome": ["unqualified", "qualified", "censored", "qualified"],
        }
    )
    out = observable(labels, T("2021-10-01")).set_index("pupil_id")  # school year 2021: X + 2 <= 2021
    assert out["outcome"].to_dict() == {1: "unqualified", 2: "qualified", 3: "censored", 4: "qualified"}
    out = observable(labels, T("2021-08-31")).set_index("pupil_id")  # school year 2020
    assert out["outcome"].to_dict() == {1: "unqualified", 2: "censored", 3: "censored", 4: "qualified"}
    assert pd.isna(out.loc[2, "leaving_year"])
    assert labels["outcome"].tolist() == ["unqualified", "qualified", "censored", "qualified"]  # untouched


def test_the_operating_point_is_the_high_band_whatever_the_school():
    # a school where many pupils are at high risk has them all in the high band; one with none has none
    school = np.repeat([1, 2, 3], [10, 10, 80])
    risk = np.r_[np.full(10, 0.8), np.full(10, 0.05), np.linspace(0.0, 0.6, 80)]
    risk[20] = 0.5  # at the threshold: in the high band
    w = high_band_weights(risk, 0.5)
    assert (w == (risk >= 0.5)).all() and w[20] == 1
    assert w[school == 1].sum() == 10 and w[school == 2].sum() == 0  # no quota: 10 and 0, not 1 and 1
    assert w[school == 3].sum() == (risk[school == 3] >= 0.5).sum()
    # the threshold: the model's own high band when its recipe set one, else the 90th percentile of
    # its risks on its own training rows (set with set_bands, as the product does)
    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.random((400, len(FEATURE_NAMES))) * 40, columns=FEATURE_NAMES)
    y = (X["b_this_year"] > 25).astype(int).to_numpy()
    m = LogisticCandidate().fit(X, y)
    t = high_band_threshold(m, X)
    assert t == pytest.approx(np.quantile(m.predict_proba(X)[:, 1], 0.9)) == m.band_thresholds_["high"]
    m.set_bands(m.predict_proba(X)[:, 1], high=0.8)
    assert high_band_threshold(m, X) == pytest.approx(np.quantile(m.predict_proba(X)[:, 1], 0.8))


def test_secondary_figure_is_the_top_ten_percent_of_each_schools_list():
    rng = np.random.default_rng(0)
    sizes = {1: 5, 2: 12, 3: 95, 4: 100, 5: 1}
    school = np.concatenate([[s] * n for s, n in sizes.items()])
    risk = rng.random(len(school))
    w = operating_point_weights(risk, school)
    for s, n in sizes.items():
        sel = w[school == s]
        assert sel.sum() == pytest.approx(math.ceil(0.1 * n))
        top = np.argsort(-risk[school == s])[: math.ceil(0.1 * n)]
        assert (sel[top] == 1).all()
    # ties at a school's cut share the remaining places (a rule with 4 values is not favoured by order)
    score = np.array([0.9, 0.5, 0.5, 0.5, 0.1] * 4)
    w = operating_point_weights(score, np.repeat([1], 20))
    assert w.sum() == pytest.approx(2) and np.allclose(w[score == 0.9], 0.5) and (w[score < 0.9] == 0).all()
    # a fixed 10 per school would take half of a school of 20; the operating point takes 2
    assert operating_point_weights(np.arange(20.0), np.zeros(20)).sum() == 2


def test_group_metrics_at_the_operating_point():
    y = np.array([1, 1, 0, 0, 1, 0, 0, 0] * 100)
    risk = np.array([0.9, 0.2, 0.8, 0.1, 0.7, 0.1, 0.1, 0.1] * 100)
    w = (risk >= 0.7).astype(float)
    g = pd.DataFrame({"sex": np.where(np.arange(800) % 8 < 4, "F", "M")})
    out = group_metrics(y, risk, w, g, min_group_size=300, min_positives=150)["attributes"]["sex"]
    f, m = out["groups"]["F"], out["groups"]["M"]
    assert out["reference"] in ("F", "M")
    assert f["recall"] == 0.5 and m["recall"] == 1.0 and f["fpr"] == 0.5 and m["fpr"] == 0.0
    assert f["precision"] == 0.5 and f["selection_rate"] == 0.5 and m["selection_rate"] == 0.25
    assert f["judged_ece"] and f["judged_recall"] and not m["judged_recall"]  # 100 leavers < 150
    json.dumps(out)


def test_reweighing_makes_label_and_group_independent():
    rng = np.random.default_rng(1)
    g = pd.DataFrame({"oki_level": rng.choice(["0", "2+"], 2000, p=[0.6, 0.4])})
    y = (rng.random(2000) < np.where(g["oki_level"] == "2+", 0.35, 0.08)).astype(int)
    w = reweighing_weights(g, y)
    rate = pd.Series(w * y).groupby(g["oki_level"]).sum() / pd.Series(w).groupby(g["oki_level"]).sum()
    assert rate["0"] == pytest.approx(rate["2+"]) == pytest.approx(y.mean())


def test_recalibration_is_folded_into_the_model_and_keeps_explanations_exact():
    rng = np.random.default_rng(2)
    X = pd.DataFrame(rng.random((600, len(FEATURE_NAMES))) * 5, columns=FEATURE_NAMES)
    y = (X["b_this_year"] + rng.normal(size=600) > 3).astype(int).to_numpy()
    for m in (
        LogisticCandidate().fit(X, y),
        LightGBMCandidate(n_estimators=20, calibration_folds=2).fit(X, y),
        RuleBaseline().fit(X, y),
    ):
        z = m.decision_function(X)
        fold_platt(m, 0.5, -0.3)
        np.testing.assert_allclose(m.decision_function(X), 0.5 * z - 0.3, atol=1e-9)
        np.testing.assert_allclose(m.contributions(X).sum(axis=1), m.decision_function(X), atol=1e-9)


LGB = LightGBMCandidate(n_estimators=40, num_leaves=7, min_child_samples=20, calibration_folds=2, n_jobs=1)


@pytest.fixture(scope="module")
def backtest(tmp_path_factory):
    f = small_city(tmp_path_factory.mktemp("city"))
    bt = Backtest(
        f, toy_labels_on, as_of_dates=[T("2019-10-01"), T("2020-10-01"), T("2021-10-01")], **OPTIONS
    )
    bt.run(
        {
            "rule": recipe(RuleBaseline()),
            "lightgbm": recipe(LGB),
            "lightgbm+recalibrated": recalibrated(recipe(LGB)),
        }
    )
    return bt


def test_backtest_report_per_as_of_date(backtest):
    report = backtest.report()
    json.dumps(report)
    assert report["as_of_dates"] == ["2019-10-01", "2020-10-01", "2021-10-01"]
    for d, asof in zip(report["dates"], backtest.dates, strict=True):
        assert all(r < d["as_of"] for r in d["train"]["reference_dates"])
        assert d["train"]["latest_leaving_year"] <= int(d["as_of"][:4]) - 2
        assert 0 < d["test"]["share_known"] <= 1 and d["test"]["known"] <= d["test"]["pupils"]
        for name, m in d["models"].items():
            for key in (
                "auc",
                "average_precision",
                "precision_at_top",
                "ece",
                "precision_at_operating_point",
                "recall_at_operating_point",
                "fpr_at_operating_point",
                "selection_at_operating_point",
            ):
                assert key in m, (name, key)
            assert set(m["groups"]) == {"sex", "home_language", "oki_level", "district"}
            # secondary figure: about 10 % of each school's list (ceil per school), never most of a school
            q = m["top_10pct_per_school"]
            assert 0.09 <= q["selection_of_whole_list"] <= 0.13, q["selection_of_whole_list"]
            assert "recall_ceiling" in q["groups"]["sex"]["groups"]["F"]
            assert m["n"] == d["test"]["known"]
        # the gated operating point is the high band of the model trained for the date: pupils at or
        # above the 90th percentile of its own training risks, however many of them a school has
        i = backtest.dates.index(asof)
        model = recipe(LGB)(asof.train)
        t = np.quantile(model.predict_proba(asof.train.X)[:, 1], 0.9)
        assert backtest.thresholds["lightgbm"][i] == pytest.approx(t)
        risk = backtest.predictions["lightgbm"][i]
        known = np.isin(asof.meta_test["outcome"], ["unqualified", "qualified"])
        yk = (asof.meta_test["outcome"].to_numpy()[known] == "unqualified").astype(int)
        band = risk >= t
        m = d["models"]["lightgbm"]
        assert m["high_band_threshold"] == pytest.approx(t, abs=1e-4)
        assert m["selection_of_whole_list"] == pytest.approx(band.mean(), abs=1e-4)
        assert m["recall_at_operating_point"] == pytest.approx(band[known][yk == 1].mean(), abs=1e-4)
        assert m["precision_at_operating_point"] == pytest.approx(yk[band[known]].mean(), abs=1e-4)
        per_school = pd.Series(
            operating_point_weights(
                backtest.predictions["lightgbm"][backtest.dates.index(asof)],
                asof.meta_test["school_id"].to_numpy(),
            )
        )
        sizes = asof.meta_test.groupby("school_id").size()
        chosen = per_school.groupby(asof.meta_test["school_id"].to_numpy()).sum()
        assert (chosen == np.ceil(0.1 * sizes)).all()
    for stat in ("mean", "sd", "min", "max"):
        assert stat in report["summary"]["lightgbm"]["auc"]
    assert "recall_top_10pct_per_school" in report["summary"]["lightgbm"]
    pooled = report["pooled"]["lightgbm"]
    assert pooled["n"] == sum(d["test"]["known"] for d in report["dates"])
    assert "recall_ceiling" in pooled["top_10pct_per_school"]["groups"]["sex"]["groups"]["F"]
    assert "high band" in report["operating_point"]
